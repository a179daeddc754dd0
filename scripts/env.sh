# Sourced by users' shells, the demo and the tests: puts the project's virtualenv and Pulumi
# CLI first on PATH. It sets no backend and no secrets: `pulumi login` and your stack's
# secrets provider decide those (the demo and the tests add scripts/local-backend.sh).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/.venv/bin:$ROOT/.tools/bin:$PATH"
# The language host reads the virtualenv from here; the dynamic-provider host too.
export PULUMI_RUNTIME_VIRTUALENV="$ROOT/.venv"
export PULUMI_SKIP_UPDATE_CHECK=true
unset ROOT
