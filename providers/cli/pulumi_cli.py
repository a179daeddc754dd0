"""Running the Pulumi CLI for one stack, with machine-readable output.

The commands here (`plan`, `status`) ask Pulumi what it would do or what a stack holds;
they run in the project folder with the caller's environment (backend, secrets, Google
credentials or the emulator), exactly as a `pulumi` command typed there would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from providers.stack.settings import PLAN_VARIABLE

TIMEOUT_SECONDS = 900


class PulumiFailed(Exception):
    """A `pulumi` command failed; the message holds what it said."""


def preview(stack: str, project_dir: Path) -> dict:
    """`pulumi preview --json` for `stack` (refreshing first, as Pulumi.yaml asks)."""
    result = _run(["preview", "--json", *_stack(stack)], project_dir, {PLAN_VARIABLE: "1"})
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise PulumiFailed(_said(result)) from None
    if result.returncode != 0:
        raise PulumiFailed("\n".join(_diagnostics(report)) or _said(result))
    return report


def refresh(stack: str, project_dir: Path) -> None:
    """`pulumi refresh --run-program`: the stack's outputs follow what Vertex AI holds."""
    result = _run(["refresh", "--yes", "--skip-preview", "--run-program", *_stack(stack)], project_dir)
    if result.returncode != 0:
        raise PulumiFailed(_said(result))


def stack_outputs(stack: str, project_dir: Path) -> dict:
    result = _run(["stack", "output", "--json", *_stack(stack)], project_dir)
    if result.returncode != 0:
        raise PulumiFailed(_said(result))
    return json.loads(result.stdout or "{}")


def _stack(stack: str) -> list[str]:
    """The `--stack` argument; none for the selected stack."""
    return ["--stack", stack] if stack else []


def _run(args: list[str], project_dir: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=project_dir,
                              env={**os.environ, **(extra_env or {})}, capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise PulumiFailed("the pulumi CLI is not on PATH: run `make bootstrap` and "
                           "`source scripts/env.sh`") from None


def _diagnostics(report: dict) -> list[str]:
    return [d.get("message", "").strip() for d in report.get("diagnostics", [])
            if d.get("severity") == "error" and d.get("message", "").strip()]


def _said(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return "\n".join(lines[-20:]) or f"pulumi exited {result.returncode}"
