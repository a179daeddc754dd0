#!/usr/bin/env bash
# Usage: scripts/ci/plan.sh BASE_REF COMMENT_FILE
# Writes a pull request's plan comment to COMMENT_FILE: for every stack that the change since
# BASE_REF affects, what `pulumi preview` would do (`python -m providers plan`). Every stack
# is planned even when one fails, and the file is written whatever happens, so the comment
# never shows an earlier push's plan. Exits 1 when any plan failed (validation included).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
source scripts/ci/lib.sh

if [ $# -ne 2 ]; then
  echo "usage: scripts/ci/plan.sh BASE_REF COMMENT_FILE" >&2
  exit 2
fi
base_ref=$1
comment=$(realpath -m "$2")
# GitHub refuses comments over 65,536 characters.
comment_limit=65000
run_log="the job's log"
if [ -n "${GITHUB_RUN_ID:-}" ]; then
  run_log="[the job's log](${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID})"
fi
part=$(mktemp)
trap 'rm -f "$part"' EXIT

# On a pull request CI checks out the merge of its head into the base branch.
if git rev-parse --quiet --verify HEAD^2 >/dev/null; then
  subject="merging $(git rev-parse --short HEAD^2) into ${base_ref#origin/}"
else
  subject=$(git rev-parse --short HEAD)
fi

failed=()
{
  echo "## gemini-tuning plan: $subject"
  echo
  if ! changed=$(python -m providers stacks --changed-since "$base_ref"); then
    echo "Could not work out which stacks this change affects; see $run_log."
    failed+=("(affected stacks)")
    changed=""
    # Most often a job file that does not load: say what is wrong with it.
    if ! problems=$(python -m providers validate 2>&1 </dev/null); then
      printf '\n```\n%s\n```\n' "$problems"
    fi
  elif [ -z "$changed" ]; then
    echo "This change affects no stack: merging it changes nothing on Vertex AI."
  fi
  while read -r stack; do
    [ -n "$stack" ] || continue
    echo "### Stack \`$stack\`"
    echo
    : >"$part"
    if ! python -m providers plan --stack "$stack" --format markdown --output "$part" \
        </dev/null >&2; then
      failed+=("$stack")
      [ -s "$part" ] || echo "The plan failed before it could say anything; see $run_log."
    fi
    cat "$part"
    echo
  done <<<"$changed"
} >"$comment"

ci_summary "$comment"
ci_fit "$comment" "$comment_limit" "*Cut short: the whole plan is on the run's summary page.*"
cat "$comment"
if [ ${#failed[@]} -gt 0 ]; then
  echo "plan: failed for ${failed[*]}" >&2
  exit 1
fi
