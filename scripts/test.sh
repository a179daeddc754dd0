#!/usr/bin/env bash
# Runs the whole test suite: unit, emulator and end-to-end (real pulumi CLI) tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
exec python -m pytest "$@"
