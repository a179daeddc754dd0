#!/usr/bin/env bash
# Usage: scripts/ci/apply.sh STACK
# `pulumi up` on STACK, then where every job stands (`python -m providers status`), printed
# and, on GitHub Actions, put on the run's summary page. Exits 1 when the update failed or
# any tuning job is FAILED; the status is reported either way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
source scripts/ci/lib.sh

if [ $# -ne 1 ]; then
  echo "usage: scripts/ci/apply.sh STACK" >&2
  exit 2
fi
stack=$1
ci_json_list "$stack" >/dev/null
status_report=$(mktemp)
trap 'rm -f "$status_report"' EXIT

failures=()
pulumi up --yes --non-interactive --stack "$stack" ||
  failures+=("pulumi up failed")
python -m providers status --stack "$stack" --format markdown >"$status_report" ||
  failures+=("status reports a FAILED tuning job, or could not be read")
cat "$status_report"
ci_summary "$status_report"

for failure in ${failures[@]+"${failures[@]}"}; do
  echo "apply: stack $stack: $failure" >&2
done
[ ${#failures[@]} -eq 0 ]
