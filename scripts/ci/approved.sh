#!/usr/bin/env bash
# Usage: scripts/ci/approved.sh STACK [--record]
# Prints the commit approved for STACK: the branch approved/STACK on origin, the only branch
# the stack's environment lets deploy (on GitHub: runs of prod.yml on approved/prod), so a
# merge reaches a gated stack only once approved. It must be on the history of the commit
# checked out (main): a branch someone pushed to a commit that was never merged is refused.
# Prints an empty line when nothing is approved yet.
#
# With --record (run after a reviewer approved HEAD for STACK), moves approved/STACK forward
# to HEAD and prints HEAD; the checkout's credentials must be allowed to move the branch
# (on GitHub: the approver app's token, the only one its ruleset lets through). It never moves back: when a newer commit is approved already, it
# prints an empty line (that commit's own run applies it). The push is a fast-forward, which
# git refuses when HEAD is not on the approved commit's line of history (main was rewritten).
#
# On GitHub Actions the printed commit is also the step output `commit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/ci/lib.sh

if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != --record ]; }; then
  echo "usage: scripts/ci/approved.sh STACK [--record]" >&2
  exit 2
fi
stack=$1
ci_json_list "$stack" >/dev/null
branch="refs/heads/approved/$stack"

approved=$(ci_origin_branch "approved/$stack")
head=$(git rev-parse HEAD)
if [ -n "$approved" ]; then
  git fetch --quiet origin "$branch"
fi
if [ "${2:-}" = --record ]; then
  if [ -n "$approved" ] && [ "$approved" != "$head" ] && git merge-base --is-ancestor "$head" "$approved"; then
    echo "approved: $stack has ${approved:0:12} already, which includes ${head:0:12}" >&2
    approved=""
  else
    git push --quiet origin "$head:$branch"
    echo "approved: $stack now applies ${head:0:12}" >&2
    approved=$head
  fi
elif [ -z "$approved" ]; then
  echo "approved: nothing is approved for $stack yet" >&2
elif ! git merge-base --is-ancestor "$approved" HEAD; then
  echo "approved: approved/$stack is ${approved:0:12}, which is not on the history of ${head:0:12}; refusing it" >&2
  exit 1
fi
ci_output commit "$approved"
