"""actionlint, the pinned build `make bootstrap` links into .tools/bin, passes every workflow.

shellcheck and pyflakes, which actionlint runs on `run:` scripts when it finds them on
PATH, are turned off so the result is the same on every machine; the workflow rules test
keeps each `run:` a single project command instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.pulumi_project import REPO_ROOT

ACTIONLINT = REPO_ROOT / ".tools" / "bin" / "actionlint"
LINT_SECONDS = 60


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if ACTIONLINT.exists():
        return ACTIONLINT
    message = f"{ACTIONLINT.relative_to(REPO_ROOT)} is missing; run `make test` (it bootstraps one)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def lint(actionlint: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [actionlint, "-no-color", "-shellcheck=", "-pyflakes=", *files],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=LINT_SECONDS, check=False,
    )


def test_the_linked_actionlint_is_the_version_the_project_pins(actionlint):
    go_mod = (REPO_ROOT / "tools" / "actionlint" / "go.mod").read_text()
    pinned = re.search(r"^\s*github\.com/rhysd/actionlint (v\S+)", go_mod, re.MULTILINE).group(1)
    result = subprocess.run([actionlint, "-version"], capture_output=True, text=True, timeout=LINT_SECONDS, check=True)
    assert result.stdout.splitlines()[0] == pinned


def test_every_workflow_passes_actionlint(actionlint):
    result = lint(actionlint)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(actionlint, tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    # A job that reads another job's output without `needs:` on it.
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  staging:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: scripts/ci/apply.sh \"$STACK\"\n"
        "        env:\n"
        "          STACK: ${{ needs.affected.outputs.stacks }}\n"
    )
    result = lint(actionlint, broken)
    assert result.returncode == 1
    assert 'property "affected" is not defined' in result.stdout
