# Sourced by the demo, the tests and users' shells: puts the project's virtualenv and
# Pulumi CLI first on PATH and keeps Pulumi's state in a local file backend.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/.venv/bin:$ROOT/.tools/bin:$PATH"
# The language host reads the virtualenv from here; the dynamic-provider host too.
export PULUMI_RUNTIME_VIRTUALENV="$ROOT/.venv"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
# The dev stack's secrets provider is a passphrase; this is the demo's, not a secret.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-local-dev-stack}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset ROOT
