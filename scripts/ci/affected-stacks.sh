#!/usr/bin/env bash
# Usage: scripts/ci/affected-stacks.sh REF STACK...
# Prints, as a JSON list, the stacks that the commits since REF affect (`python -m providers
# stacks --changed-since REF`); on GitHub Actions also the step output `stacks`. When REF
# names no commit of this clone (the zeros GitHub sends for a branch's first push, a commit
# that a forced push removed), every STACK given counts as affected.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
source scripts/ci/lib.sh

if [ $# -lt 2 ]; then
  echo "usage: scripts/ci/affected-stacks.sh REF STACK..." >&2
  exit 2
fi
ref=$1
shift

if git rev-parse --quiet --verify "$ref^{commit}" >/dev/null; then
  changed=$(python -m providers stacks --changed-since "$ref")
  mapfile -t stacks <<<"$changed"
  [ -n "$changed" ] || stacks=()
else
  echo "affected-stacks: '$ref' is no commit of this clone; taking every stack: $*" >&2
  stacks=("$@")
fi
json=$(ci_json_list ${stacks[@]+"${stacks[@]}"})
ci_output stacks "$json"
