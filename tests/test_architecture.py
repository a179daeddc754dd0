"""The direction of dependence between the packages, as docs/architecture.md draws it.

`lint-imports` (import-linter) checks the contracts in `.importlinter`: the layers of
`providers/`, that only `providers.gcp` uses Google's client libraries, and that the
emulator and the tool never import each other.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_no_import_runs_against_the_documented_direction():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout
