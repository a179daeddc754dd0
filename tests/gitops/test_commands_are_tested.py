"""Every command a workflow runs is one that a test runs too, named here.

ALLOWED_RUN_COMMANDS (test_workflow_rules.py) is the one list of what workflow steps may
run; each entry names the test that runs that command for real, and that test must exist.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.gitops.test_workflow_rules import ALLOWED_RUN_COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[2]
EXERCISED_BY = {
    ("make", "bootstrap"): "tests/gitops/test_commands_are_tested.py::test_make_validate_runs_the_checks",
    ("make", "validate"): "tests/gitops/test_commands_are_tested.py::test_make_validate_runs_the_checks",
    ("scripts/ci/affected-stacks.sh",):
        "tests/e2e/test_gitops.py::test_the_ci_plan_scripts_write_one_comment_for_the_affected_stacks",
    ("scripts/ci/plan.sh",):
        "tests/e2e/test_gitops.py::test_the_ci_plan_scripts_write_one_comment_for_the_affected_stacks",
    ("scripts/ci/approved.sh",): "tests/gitops/test_ci_scripts.py::test_an_approval_is_what_later_runs_apply",
    ("scripts/ci/apply.sh",):
        "tests/e2e/test_gitops.py::test_the_ci_apply_script_updates_the_stack_and_writes_the_summary",
}


def test_every_command_the_workflows_may_run_is_run_by_a_named_test():
    assert set(EXERCISED_BY) == set(ALLOWED_RUN_COMMANDS)
    for test in EXERCISED_BY.values():
        file, name = test.split("::")
        defined = {node.name for node in ast.walk(ast.parse((REPO_ROOT / file).read_text()))
                   if isinstance(node, ast.FunctionDef)}
        assert name in defined, f"{test} does not exist"


def test_make_validate_runs_the_checks():
    # `make validate` depends on `make bootstrap`, which finds everything in place here.
    result = subprocess.run(["make", "validate"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "job file(s) in jobs:" in result.stdout
