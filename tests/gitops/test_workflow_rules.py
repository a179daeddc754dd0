"""What a reviewer relies on in `.github/`, read from the workflows themselves.

- Every `run:` step is one command from ALLOWED_RUN_COMMANDS (so any CI runs the same).
- Every `pulumi up` holds its stack's lock: one concurrency group per stack, shared by the
  merge and the scheduled workflows, never cancelled half-way.
- Prod applies only commits approved through the `prod` environment.
- Google credentials come from Workload Identity Federation only; id-token is granted
  only to jobs that sign in; Pulumi's passphrase only from secrets.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.gitops.workflows import (
    ACTIONS_DIR, REPO_ROOT, WORKFLOWS_DIR, Job, action_files, command_words, environment_name,
    load, runs_script, step_output_source, triggered_jobs, uses_action, workflow_files, workflows,
)

# The only commands a workflow step may run: the project's own, which GitLab CI or any other
# runner calls the same way. Each word tuple is a prefix of the command; the make targets
# must match whole. The CI scripts in turn call `python -m providers stacks|plan|status|validate`
# and `pulumi up` (see test_ci_scripts_call_only_the_project_commands).
ALLOWED_RUN_COMMANDS = {
    ("make", "bootstrap"): "virtualenv and tools",
    ("make", "validate"): "job files and local data sets, no cloud calls",
    ("scripts/ci/affected-stacks.sh",): "the stacks a push affects",
    ("scripts/ci/plan.sh",): "the pull request's plan comment",
    ("scripts/ci/approved.sh",): "the commit approved for a gated stack",
    ("scripts/ci/apply.sh",): "pulumi up and the status summary",
}
PROVIDERS_SUBCOMMANDS_USED_BY_CI_SCRIPTS = {"stacks", "plan", "status", "validate"}
APPLY_SCRIPT = "scripts/ci/apply.sh"
APPROVED_SCRIPT = "scripts/ci/approved.sh"
AUTH_ACTION = "google-github-actions/auth"
WATCHED_PATHS = {"jobs/**", "Pulumi.*.yaml", "__main__.py", "providers/**", "requirements.txt"}
SHELL_OPERATORS = re.compile(r"[;&|<>`\n]|\$\(")


def all_steps() -> list[tuple[str, dict]]:
    steps = []
    for path in workflow_files():
        for job_name, job in load(path)["jobs"].items():
            steps += [(f"{path.name}/{job_name}", step) for step in job.get("steps", [])]
    for path in action_files():
        steps += [(str(path.relative_to(ACTIONS_DIR)), step) for step in load(path)["runs"].get("steps", [])]
    return steps


def applied_stack(job: Job) -> str | None:
    """The stack a job runs `pulumi up` on (through apply.sh), or None."""
    stacks = [command_words(step)[1] for step in job.steps if runs_script(step, APPLY_SCRIPT)]
    assert len(stacks) <= 1, f"{job.workflow}/{job.name} applies more than once"
    return stacks[0] if stacks else None


def applied_branch(job: Job) -> str:
    """The branch apply.sh checks the applied commit against (its REF)."""
    [step] = [step for step in job.steps if runs_script(step, APPLY_SCRIPT)]
    return command_words(step)[2]


def apply_jobs() -> list[Job]:
    return [job for job in triggered_jobs() if applied_stack(job)]


def test_workflows_and_actions_exist():
    assert {path.name for path in workflow_files()} >= {"plan.yml", "deploy.yml", "reconcile.yml", "apply.yml"}
    assert action_files()


RUN_STEPS = [pytest.param(origin, step, id=f"{origin}: {step['run'].strip()}")
             for origin, step in all_steps() if "run" in step]


@pytest.mark.parametrize(("origin", "step"), RUN_STEPS)
def test_every_run_step_is_one_project_command(origin, step):
    command = step["run"].strip()
    assert "${{" not in command, f"{origin}: pass values through env:, not into the command: {command!r}"
    assert not SHELL_OPERATORS.search(command), f"{origin}: one command per step: {command!r}"
    words = shlex.split(command)
    allowed = [prefix for prefix in ALLOWED_RUN_COMMANDS
               if tuple(words[:len(prefix)]) == prefix and (prefix[0] != "make" or len(words) == len(prefix))]
    assert allowed, f"{origin}: {command!r} is not a project command ({sorted(ALLOWED_RUN_COMMANDS)})"
    if words[0].startswith("scripts/ci/"):
        script = REPO_ROOT / words[0]
        assert script.is_file() and script.stat().st_mode & 0o111, f"{words[0]} is missing or not executable"


def test_ci_scripts_call_only_the_project_commands():
    called = set()
    for script in (REPO_ROOT / "scripts" / "ci").glob("*.sh"):
        called |= set(re.findall(r"python -m providers (\w+)", script.read_text()))
    assert called == PROVIDERS_SUBCOMMANDS_USED_BY_CI_SCRIPTS


def test_every_pulumi_up_holds_its_stacks_lock_in_merge_and_schedule_alike():
    groups_by_stack: dict[str, set[str]] = {}
    workflows_by_stack: dict[str, set[str]] = {}
    for job in apply_jobs():
        stack = applied_stack(job)
        concurrency = job.definition.get("concurrency")
        where = f"{job.workflow}/{job.name}"
        assert isinstance(concurrency, dict), f"{where}: pulumi up without a concurrency group"
        assert concurrency.get("cancel-in-progress") is False, f"{where}: an update could be cancelled half-way"
        assert "${{" not in concurrency["group"], f"{where}: group {concurrency['group']!r} is not one stack's"
        assert stack in concurrency["group"], f"{where}: group {concurrency['group']!r} does not name {stack}"
        groups_by_stack.setdefault(stack, set()).add(concurrency["group"])
        workflows_by_stack.setdefault(stack, set()).add(job.workflow)
    assert set(groups_by_stack) == {"staging", "prod"}
    assert all(len(groups) == 1 for groups in groups_by_stack.values()), groups_by_stack
    assert groups_by_stack["staging"] != groups_by_stack["prod"]
    assert all(names == {"deploy.yml", "reconcile.yml"} for names in workflows_by_stack.values()), workflows_by_stack


# The branch each stack's commits come from: apply.sh applies a commit only while its branch
# still points at it, so that an older commit never lands after a newer one.
APPLIED_BRANCHES = {"staging": "main", "prod": "approved/prod"}


def test_every_pulumi_up_applies_only_the_newest_commit_of_its_stacks_branch():
    jobs = apply_jobs()
    assert {applied_stack(job) for job in jobs} == set(APPLIED_BRANCHES)
    for job in jobs:
        assert applied_branch(job) == APPLIED_BRANCHES[applied_stack(job)], f"{job.workflow}/{job.name}"


def test_merge_and_schedule_triggers():
    documents = workflows()
    assert set(documents["deploy.yml"]["on"]["push"]["branches"]) == {"main"}
    assert documents["reconcile.yml"]["on"]["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in documents["reconcile.yml"]["on"]


def test_pull_requests_plan_what_merges_deploy():
    documents = workflows()
    planned = set(documents["plan.yml"]["on"]["pull_request"]["paths"])
    deployed = set(documents["deploy.yml"]["on"]["push"]["paths"])
    assert planned == deployed
    assert planned >= WATCHED_PATHS


def test_prod_applies_only_commits_approved_through_the_prod_environment():
    prod_jobs = [job for job in apply_jobs() if applied_stack(job) == "prod"]
    assert prod_jobs
    for job in prod_jobs:
        commit = job.inputs.get("commit", "")
        source_job, step = step_output_source(job, commit)
        words = command_words(step)
        assert words[:2] == [APPROVED_SCRIPT, "prod"], f"{job.workflow}/{job.name} applies {commit!r}"
        checkout = next(step for step in job.steps if uses_action(step, "actions/checkout"))
        assert checkout["with"]["ref"] == commit, f"{job.workflow}/{job.name} checks out another commit"
        # An empty ref would check out main, approved or not.
        guard = commit.removeprefix("${{").removesuffix("}}").strip() + " != ''"
        assert guard in job.caller.get("if", ""), f"{job.workflow}/{job.name} runs without an approved commit"
    recorders = [job for job in triggered_jobs()
                 if any(runs_script(step, APPROVED_SCRIPT) and "--record" in command_words(step) for step in job.steps)]
    assert recorders, "nothing records an approval"
    for job in recorders:
        assert environment_name(job) == "prod", f"{job.workflow}/{job.name} approves prod without the prod environment"
        assert "concurrency" not in job.definition, f"{job.workflow}/{job.name} would hold a lock while awaiting review"


def test_merge_updates_staging_before_prod_is_offered_for_approval():
    jobs = {job.name: job for job in triggered_jobs() if job.workflow == "deploy.yml"}
    staging = next(name for name, job in jobs.items() if applied_stack(job) == "staging")
    approving = next(job for job in jobs.values() if environment_name(job) == "prod")
    assert staging in approving.needs
    assert jobs[staging].inputs["commit"] == "${{ github.sha }}"


def test_google_credentials_come_from_workload_identity_only():
    auth_steps = [(origin, step) for origin, step in all_steps() if uses_action(step, AUTH_ACTION)]
    assert auth_steps
    for origin, step in auth_steps:
        settings = step.get("with", {})
        assert re.fullmatch(r"\$\{\{ vars\.[A-Z0-9_]+ \}\}", settings.get("workload_identity_provider", "")), origin
        assert re.fullmatch(r"\$\{\{ (vars|inputs)\.[A-Za-z0-9_-]+ \}\}", settings.get("service_account", "")), origin
    for path in workflow_files() + action_files():
        assert "credentials_json" not in path.read_text(), f"{path.name} names a key file"


def test_id_token_only_for_jobs_that_sign_in_to_google():
    for job in triggered_jobs():
        signs_in = any(uses_action(step, AUTH_ACTION) for step in job.steps)
        where = f"{job.workflow}/{job.name}"
        assert (job.permission("id-token") == "write") == signs_in, where
        if job.caller is not None:
            assert (job.caller.get("permissions", {}).get("id-token") == "write") == signs_in, where


def test_no_job_gets_the_default_token_permissions():
    for name, document in workflows().items():
        assert document.get("permissions") == {}, f"{name}: set permissions: {{}} and grant per job"
        for job_name, job in document["jobs"].items():
            assert "permissions" in job, f"{name}/{job_name} says nothing of its permissions"


def test_pulumi_passphrase_only_from_secrets():
    for path in workflow_files():
        for job in load(path)["jobs"].values():
            for values in [job.get("env", {})] + [step.get("env", {}) for step in job.get("steps", [])]:
                if "PULUMI_CONFIG_PASSPHRASE" in values:
                    assert values["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}", path.name


def test_actions_are_pinned():
    for path in workflow_files() + action_files():
        for match in re.finditer(r"uses:\s*(\S+)(.*)", path.read_text()):
            action, comment = match.groups()
            if action.startswith("./"):
                continue
            name, _, ref = action.partition("@")
            if name.startswith("actions/"):
                assert re.fullmatch(r"v\d+(\.\d+)*", ref), f"{path.name}: {action} is not pinned to a version"
            else:
                # Actions from outside GitHub run by commit, with the release named beside it.
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {action} is not pinned to a commit"
                assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{path.name}: say which release {action} is"


def test_ci_installs_the_pulumi_cli_the_project_pins():
    go_mod = (REPO_ROOT / "tools" / "pulumi-cli" / "go.mod").read_text()
    pinned = re.search(r"^\s*github\.com/pulumi/pulumi/pkg/v3 (v\S+)", go_mod, re.MULTILINE).group(1)
    installs = [step["with"]["pulumi-version"] for _, step in all_steps() if uses_action(step, "pulumi/actions")]
    assert installs == [pinned]


def test_one_plan_comment_updated_in_place_even_when_validation_fails():
    plan_jobs = [job for job in triggered_jobs() if any(runs_script(step, "scripts/ci/plan.sh") for step in job.steps)]
    assert len(plan_jobs) == 1
    steps = plan_jobs[0].steps
    plan_index = next(index for index, step in enumerate(steps) if runs_script(step, "scripts/ci/plan.sh"))
    validate_index = next(index for index, step in enumerate(steps) if step.get("run") == "make validate")
    comment = next(step for step in steps if uses_action(step, "marocchino/sticky-pull-request-comment"))
    assert comment["with"]["header"], "the hidden marker that finds the earlier comment"
    assert not {"append", "recreate", "hide_and_recreate"} & set(comment["with"])
    assert Path(comment["with"]["path"]).name == Path(command_words(steps[plan_index])[2]).name
    for step in steps[validate_index + 1:]:
        assert step.get("if") == "${{ !cancelled() }}", f"{step} is skipped when validation fails"
