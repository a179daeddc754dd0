"""The CI scripts' own logic, run for real in a throwaway clone with a local `origin`.

Covered here: recording and reading the commit approved for a gated stack (git only), an
apply that finds its branch moved on and applies nothing, the fallback of the affected
stacks when the push's previous commit is unknown, the plan comment that is rewritten even
when no plan can be made, and the shared helpers. What needs Pulumi and the project's
commands (`scripts/ci/apply.sh` end to end, the plan of a real stack) runs against the
emulator in the project's end-to-end tests.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.pulumi_project import REPO_ROOT

SCRIPT_SECONDS = 60
ZERO_COMMIT = "0" * 40
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@example.com",
    "GIT_COMMITTER_NAME": "CI", "GIT_COMMITTER_EMAIL": "ci@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


class Clone:
    """A git clone holding the project's scripts, with a bare repository as `origin`."""

    def __init__(self, root: Path):
        self.origin = root / "origin.git"
        self.dir = root / "clone"
        self.github_output = root / "github-output"
        self.step_summary = root / "step-summary.md"
        self.environment = {name: value for name, value in os.environ.items()
                            if not name.startswith(("GITHUB_", "GIT_", "PYTHONPATH"))}
        self.environment |= GIT_IDENTITY | {
            "GITHUB_OUTPUT": str(self.github_output), "GITHUB_STEP_SUMMARY": str(self.step_summary),
        }
        self.git("init", "--quiet", "--bare", str(self.origin), cwd=root)
        self.dir.mkdir()
        self.git("init", "--quiet", "--initial-branch=main")
        self.git("remote", "add", "origin", str(self.origin))
        shutil.copytree(REPO_ROOT / "scripts" / "ci", self.dir / "scripts" / "ci")
        shutil.copy2(REPO_ROOT / "scripts" / "env.sh", self.dir / "scripts" / "env.sh")
        # The project's virtualenv, so `python` is the real one; the clone has no providers/.
        (self.dir / ".venv").symlink_to(REPO_ROOT / ".venv")
        self.commit("scripts")
        self.git("push", "--quiet", "origin", "main")

    def git(self, *arguments: str, cwd: Path | None = None) -> str:
        result = subprocess.run(["git", *arguments], cwd=cwd or self.dir, env=self.environment,
                                capture_output=True, text=True, timeout=SCRIPT_SECONDS, check=True)
        return result.stdout.strip()

    def commit(self, message: str) -> str:
        (self.dir / f"{message.replace(' ', '-')}.txt").write_text(message + "\n")
        self.git("add", "--all")
        self.git("commit", "--quiet", "--message", message)
        return self.git("rev-parse", "HEAD")

    def run(self, script: str, *arguments: str) -> subprocess.CompletedProcess:
        self.github_output.write_text("")
        return subprocess.run([self.dir / "scripts" / "ci" / script, *arguments], cwd=self.dir,
                              env=self.environment, capture_output=True, text=True,
                              timeout=SCRIPT_SECONDS, check=False, stdin=subprocess.DEVNULL)

    def bash(self, command: str) -> subprocess.CompletedProcess:
        """`command` in bash with the CI scripts' helpers loaded."""
        return subprocess.run(["bash", "-c", f"source scripts/ci/lib.sh\n{command}"], cwd=self.dir,
                              env=self.environment, capture_output=True, text=True,
                              timeout=SCRIPT_SECONDS, check=False)

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.github_output.read_text().splitlines())

    def approved_on_origin(self, stack: str) -> str:
        return self.git("ls-remote", "origin", f"refs/heads/approved/{stack}").split("\t")[0]


@pytest.fixture
def clone(tmp_path) -> Clone:
    return Clone(tmp_path)


# approved.sh: the commit a gated stack applies

def test_nothing_approved_yet(clone):
    result = clone.run("approved.sh", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n"
    assert clone.outputs() == {"commit": ""}
    assert "nothing is approved for prod yet" in result.stderr


def test_an_approval_is_what_later_runs_apply(clone):
    head = clone.git("rev-parse", "HEAD")
    recorded = clone.run("approved.sh", "prod", "--record")
    assert recorded.returncode == 0, recorded.stderr
    assert clone.outputs() == {"commit": head}
    assert clone.approved_on_origin("prod") == head
    read = clone.run("approved.sh", "prod")
    assert read.stdout.strip() == head
    assert clone.outputs() == {"commit": head}
    assert clone.approved_on_origin("staging") == ""


# Approvals in the order reviewers give them, on main's line of history. Each row: the
# commit approved, what the approval prints (the commit its run applies now, or nothing when
# a newer one is approved already), and the commit approved afterwards.
@pytest.mark.parametrize("approvals", [
    pytest.param([("first", "first", "first"), ("second", "second", "second")], id="forward"),
    pytest.param([("second", "second", "second"), ("first", "", "second")], id="an older approval keeps the newer"),
    pytest.param([("second", "second", "second"), ("second", "second", "second")], id="the same twice"),
])
def test_approvals_move_forward_only(clone, approvals):
    commits = {"first": clone.commit("first"), "second": clone.commit("second"), "": ""}
    clone.git("push", "--quiet", "origin", "main")
    for approved, printed, afterwards in approvals:
        clone.git("checkout", "--quiet", commits[approved])
        result = clone.run("approved.sh", "prod", "--record")
        assert result.returncode == 0, result.stderr
        assert clone.outputs() == {"commit": commits[printed]}
        assert clone.approved_on_origin("prod") == commits[afterwards]


def test_a_commit_off_the_approved_line_is_not_approved(clone):
    base = clone.git("rev-parse", "HEAD")
    approved = clone.commit("on main")
    clone.git("push", "--quiet", "origin", "main")
    assert clone.run("approved.sh", "prod", "--record").returncode == 0
    clone.git("checkout", "--quiet", "-b", "rewritten", base)
    clone.commit("main rewritten")
    result = clone.run("approved.sh", "prod", "--record")
    assert result.returncode != 0
    assert clone.approved_on_origin("prod") == approved


def test_an_approved_branch_pushed_to_an_unmerged_commit_is_refused(clone):
    main = clone.git("rev-parse", "HEAD")
    clone.git("checkout", "--quiet", "-b", "unreviewed")
    unmerged = clone.commit("never merged")
    clone.git("push", "--quiet", "origin", f"{unmerged}:refs/heads/approved/prod")
    clone.git("checkout", "--quiet", main)
    result = clone.run("approved.sh", "prod")
    assert result.returncode == 1
    assert "not on the history" in result.stderr
    assert clone.outputs() == {}


def test_an_unreadable_origin_is_an_error_not_an_empty_approval(clone, tmp_path):
    clone.git("remote", "set-url", "origin", str(tmp_path / "gone.git"))
    result = clone.run("approved.sh", "prod")
    assert result.returncode != 0
    assert clone.outputs() == {}


@pytest.mark.parametrize("arguments", [(), ("prod", "--force"), ("prod", "--record", "again"), ("pro d",)])
def test_approved_refuses_bad_arguments(clone, arguments):
    result = clone.run("approved.sh", *arguments)
    assert result.returncode != 0
    assert clone.approved_on_origin("prod") == ""
    assert clone.outputs() == {}


# apply.sh: only the newest commit of the branch a run came from is applied. The clone has
# no Pulumi project, so a run that gets as far as `pulumi up` fails ("pulumi up failed").

PULUMI_UP_FAILED = "apply: stack staging: pulumi up failed"


@pytest.mark.parametrize("branch", ["main", "approved/prod"])
def test_an_apply_whose_branch_moved_on_skips_in_one_line_and_succeeds(clone, branch):
    older = clone.commit("older")
    newer = clone.commit("newer")
    clone.git("push", "--quiet", "origin", f"{newer}:refs/heads/{branch}")
    clone.git("checkout", "--quiet", older)  # a run for the older commit gets the stack last

    result = clone.run("apply.sh", "staging", branch)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"apply: skipped stack staging: {branch} has moved from {older[:12]} to "
                             f"{newer[:12]}, which its own run (or the next reconcile) applies\n")
    assert PULUMI_UP_FAILED not in result.stderr
    assert clone.step_summary.read_text() == result.stdout


def test_an_apply_of_the_branchs_newest_commit_runs_pulumi_up(clone):
    clone.commit("newest")
    clone.git("push", "--quiet", "origin", "main")

    result = clone.run("apply.sh", "staging", "main")

    assert result.returncode == 1
    assert PULUMI_UP_FAILED in result.stderr
    assert "skipped" not in result.stdout


def test_an_apply_from_a_branch_origin_does_not_have_applies_nothing(clone):
    result = clone.run("apply.sh", "staging", "approved/staging")
    assert result.returncode == 1
    assert "origin has no branch approved/staging" in result.stderr
    assert PULUMI_UP_FAILED not in result.stderr


def test_an_apply_that_cannot_read_origin_applies_nothing(clone, tmp_path):
    clone.git("remote", "set-url", "origin", str(tmp_path / "gone.git"))
    result = clone.run("apply.sh", "staging", "main")
    assert result.returncode == 1
    assert "cannot read branch main on origin" in result.stderr
    assert PULUMI_UP_FAILED not in result.stderr


@pytest.mark.parametrize("arguments", [("staging",), ("staging", "main", "extra"), ("staging", "no..ref"),
                                       ("pro d", "main")])
def test_apply_refuses_bad_arguments(clone, arguments):
    result = clone.run("apply.sh", *arguments)
    assert result.returncode != 0
    assert PULUMI_UP_FAILED not in result.stderr


# affected-stacks.sh

@pytest.mark.parametrize("before", [ZERO_COMMIT, "1" * 40, "no-such-branch"])
def test_every_given_stack_is_affected_when_the_previous_commit_is_unknown(clone, before):
    result = clone.run("affected-stacks.sh", before, "staging", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout == '["staging","prod"]\n'
    assert clone.outputs() == {"stacks": '["staging","prod"]'}


def test_a_failing_stacks_command_fails_rather_than_affecting_nothing(clone):
    # The clone has no providers/ package, so `python -m providers stacks` fails.
    result = clone.run("affected-stacks.sh", "HEAD", "staging", "prod")
    assert result.returncode != 0
    assert clone.outputs() == {}


def test_affected_stacks_needs_a_ref_and_stacks(clone):
    assert clone.run("affected-stacks.sh", ZERO_COMMIT).returncode == 2


# plan.sh

def test_the_plan_comment_is_rewritten_when_no_plan_can_be_made(clone, tmp_path):
    clone.git("checkout", "--quiet", "-b", "feature")
    head = clone.commit("a change")
    clone.git("checkout", "--quiet", "main")
    clone.commit("main moved on")
    clone.git("merge", "--quiet", "--no-ff", "--no-edit", "feature")  # as GitHub checks out a pull request
    comment = tmp_path / "comment.md"
    comment.write_text("the plan of an earlier push\n")

    result = clone.run("plan.sh", "origin/main", str(comment))

    assert result.returncode == 1
    text = comment.read_text()
    assert text.startswith(f"## gemini-tuning plan: merging {head[:7]} into main\n")
    assert "Could not work out which stacks this change affects" in text
    assert "```\n" in text and "No module named providers" in text  # what `validate` said
    assert "earlier push" not in text
    assert clone.step_summary.read_text() == text


# lib.sh

@pytest.mark.parametrize(("words", "expected"), [
    ("staging prod", '["staging","prod"]'),
    ("", "[]"),
    ("eu-west.1_b", '["eu-west.1_b"]'),
])
def test_json_list_of_stack_names(clone, words, expected):
    result = clone.bash(f"ci_json_list {words}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize("word", ['a"b', "a\\b", "a b", "prod]", ""])
def test_json_list_refuses_what_is_no_stack_name(clone, word):
    result = clone.bash(f"ci_json_list staging {shlex.quote(word)}")
    assert result.returncode == 1
    assert result.stdout == ""


def test_output_is_printed_and_set_for_the_step(clone):
    result = clone.bash("ci_output stacks '[\"prod\"]'")
    assert result.stdout == '["prod"]\n'
    assert clone.github_output.read_text() == 'stacks=["prod"]\n'
    clone.environment.pop("GITHUB_OUTPUT")
    assert clone.bash("ci_output commit abc").stdout == "abc\n"


@pytest.mark.parametrize("lines", [
    pytest.param(["short line"], id="fits"),
    pytest.param([f"| job-{number} | SUCCEEDED | état ✓ |" for number in range(400)], id="cut"),
])
def test_fit_keeps_whole_lines_within_the_limit(clone, tmp_path, lines):
    limit, note = 2000, "*Cut short: the whole plan is on the run's summary page.*"
    text = "".join(line + "\n" for line in lines)
    comment = tmp_path / "comment.md"
    comment.write_text(text)
    result = clone.bash(f"ci_fit {comment} {limit} {shlex.quote(note)}")
    assert result.returncode == 0, result.stderr
    fitted = comment.read_bytes()
    if len(text.encode()) <= limit:
        assert fitted.decode() == text
        return
    assert len(fitted) <= limit
    kept = fitted.decode().splitlines()
    assert kept[-2:] == ["", note]
    assert kept[:-2] == lines[:len(kept) - 2]
    assert len(kept) > 10
