# Sourced by the demo and the tests only, after scripts/env.sh: Pulumi state in a local file
# backend (.pulumi-state/) and the dev stack's passphrase, which is the demo's and no secret.
# Never source it for a real stack: these would override your `pulumi login` and secrets.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PULUMI_BACKEND_URL="file://$ROOT/.pulumi-state"
export PULUMI_CONFIG_PASSPHRASE=local-dev-stack
# The project needs no plugin from the internet; never try to download one.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset ROOT
