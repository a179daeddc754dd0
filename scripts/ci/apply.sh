#!/usr/bin/env bash
# Usage: scripts/ci/apply.sh STACK REF
# `pulumi up` on STACK at the commit checked out, which came from branch REF of origin (`main`
# for staging, `approved/prod` for prod), then where every job stands (`python -m providers
# status`), printed and, on GitHub Actions, put on the run's summary page. Exits 1 when the
# update failed or any tuning job is FAILED; the status is reported either way.
#
# Only the newest commit is applied. Runs for one stack wait for each other (CI's per-stack
# lock) in the order they arrived, not in the order of their commits, so an older commit can
# get the stack after a newer one; applying it then would cancel the newer jobs and pay for
# the older ones again. So, once the run holds the stack, a REF that no longer points at the
# checked-out commit means a newer one is applied by its own run (or the next reconcile): the
# script says so in one line and exits 0 without `pulumi up`. Run it only while holding the
# stack's lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
source scripts/ci/lib.sh

if [ $# -ne 2 ] || ! git check-ref-format --branch "$2" >/dev/null 2>&1; then
  echo "usage: scripts/ci/apply.sh STACK REF (REF: the branch the commit came from, e.g. main)" >&2
  exit 2
fi
stack=$1
ref=$2
ci_json_list "$stack" >/dev/null
status_report=$(mktemp)
trap 'rm -f "$status_report"' EXIT

head=$(git rev-parse HEAD)
if ! tip=$(ci_origin_branch "$ref"); then
  echo "apply: stack $stack: cannot read branch $ref on origin; nothing was applied" >&2
  exit 1
fi
if [ -z "$tip" ]; then
  echo "apply: stack $stack: origin has no branch $ref, which ${head:0:12} should come from; nothing was applied" >&2
  exit 1
fi
if [ "$tip" != "$head" ]; then
  echo "apply: skipped stack $stack: $ref has moved from ${head:0:12} to ${tip:0:12}, which its own run (or the next reconcile) applies" |
    tee "$status_report"
  ci_summary "$status_report"
  exit 0
fi

failures=()
# No preview first: the pull request's plan was the preview, and a preview that a check
# refuses (a retired model, a budget) ends `pulumi up` before any step, so the stack's sweep
# would not stop what is no longer declared, nor a job past its deadline (docs/architecture.md).
pulumi up --yes --skip-preview --non-interactive --stack "$stack" ||
  failures+=("pulumi up failed")
python -m providers status --stack "$stack" --format markdown >"$status_report" ||
  failures+=("status reports a FAILED tuning job, or could not be read")
cat "$status_report"
ci_summary "$status_report"

for failure in ${failures[@]+"${failures[@]}"}; do
  echo "apply: stack $stack: $failure" >&2
done
[ ${#failures[@]} -eq 0 ]
