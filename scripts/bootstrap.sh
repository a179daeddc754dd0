#!/usr/bin/env bash
# Sets up everything the demo and the tests need on a fresh machine: the project's
# virtualenv (.venv), a Pulumi CLI with its Python language host, and actionlint for the
# workflow tests (.tools/bin).
#
# A `pulumi` already on PATH is used as it is. Otherwise the pinned CLI and the language
# host are built from the Go module proxy with the machine's Go into a per-user cache
# keyed by the pinned versions, and linked into .tools/bin, so a fresh clone on the same
# machine reuses the build and a second bootstrap takes seconds. actionlint is built and
# cached the same way; without Go it is left out and the workflow tests say so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf 'bootstrap: %s\n' "$*" >&2; }

ensure_virtualenv() {
  local stamp=.venv/.requirements.installed
  if [ -x .venv/bin/python ] && cmp -s requirements.txt "$stamp"; then
    return
  fi
  log "installing Python dependencies into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
}

# The pinned versions live in the wrapper modules' go.mod files and nowhere else.
module_version() { # go.mod, module path
  awk -v m="$2" '$1 == m { print $2 }' "$1"
}

build_pulumi() { # cache dir
  local cache=$1 cli_version host_version staging sdk_dir
  cli_version=$(module_version tools/pulumi-cli/go.mod github.com/pulumi/pulumi/pkg/v3)
  host_version=$(module_version tools/pulumi-language-python/go.mod github.com/pulumi/pulumi/sdk/v3)
  command -v go >/dev/null || { log "error: no pulumi on PATH and no Go toolchain to build it"; exit 1; }
  staging=$(mktemp -d "${cache}.building.XXXXXX")
  trap 'rm -rf "$staging"' RETURN
  log "building pulumi $cli_version from the Go module proxy (first run only; several minutes)"
  (cd tools/pulumi-cli && go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
    -o "$staging/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  log "building pulumi-language-python $host_version"
  (cd tools/pulumi-language-python && go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
    -o "$staging/" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
  # The exec shim and the dynamic-provider host are scripts shipped in the sdk module
  # of the CLI's release.
  sdk_dir=$(cd tools/pulumi-cli && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$staging/"
  install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$staging/"
  rm -rf "$cache"
  mv "$staging" "$cache"
  trap - RETURN
}

ensure_pulumi() {
  if [ ! -L .tools/bin/pulumi ] && command -v pulumi >/dev/null; then
    log "using $(command -v pulumi) ($(pulumi version))"
    return
  fi
  local key cache
  key=$(cat tools/pulumi-cli/go.mod tools/pulumi-cli/go.sum \
            tools/pulumi-language-python/go.mod tools/pulumi-language-python/go.sum \
        | sha256sum | cut -c1-16)
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/gemini-tuning/pulumi-$key"
  mkdir -p "$(dirname "$cache")"
  if [ ! -x "$cache/pulumi" ]; then
    build_pulumi "$cache"
  fi
  mkdir -p .tools/bin
  local tool
  for tool in "$cache"/*; do
    ln -sfn "$tool" ".tools/bin/$(basename "$tool")"
  done
}

build_actionlint() { # cache dir
  local cache=$1 version staging
  version=$(module_version tools/actionlint/go.mod github.com/rhysd/actionlint)
  staging=$(mktemp -d "${cache}.building.XXXXXX")
  trap 'rm -rf "$staging"' RETURN
  log "building actionlint $version from the Go module proxy (first run only)"
  (cd tools/actionlint && go build -trimpath \
    -ldflags "-X github.com/rhysd/actionlint.version=$version" \
    -o "$staging/" github.com/rhysd/actionlint/cmd/actionlint)
  rm -rf "$cache"
  mv "$staging" "$cache"
  trap - RETURN
}

ensure_actionlint() {
  local key cache
  key=$(cat tools/actionlint/go.mod tools/actionlint/go.sum | sha256sum | cut -c1-16)
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/gemini-tuning/actionlint-$key"
  if [ ! -x "$cache/actionlint" ]; then
    if ! command -v go >/dev/null; then
      log "no Go toolchain: actionlint not built (the workflow tests skip, and fail under CI=true)"
      return
    fi
    mkdir -p "$(dirname "$cache")"
    build_actionlint "$cache"
  fi
  mkdir -p .tools/bin
  ln -sfn "$cache/actionlint" .tools/bin/actionlint
}

ensure_virtualenv
ensure_pulumi
ensure_actionlint
log "ready"
