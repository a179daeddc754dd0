"""What a reviewer relies on in `.github/`, read from the workflows themselves.

- Every `run:` step is one command from ALLOWED_RUN_COMMANDS (so any CI runs the same).
- Every `pulumi up` holds its stack's lock: one concurrency group per stack, shared by
  every workflow that updates it, never cancelled half-way.
- Prod applies only commits approved through the `prod-approval` environment, in runs on
  approved/prod; every job that signs in with a stack's deploy identity runs in that
  stack's environment (the identity trusts that environment's tokens only).
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
    load, runs_script, triggered_jobs, uses_action, workflow_files, workflows,
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
APP_TOKEN_ACTION = "actions/create-github-app-token"
DISPATCH_ACTION = "actions/github-script"
PROD_WORKFLOW = "prod.yml"
APPROVED_PROD_RUN = "github.ref == 'refs/heads/approved/prod'"
APPROVAL_ENVIRONMENT = "prod-approval"
DEPLOY_IDENTITIES = {"${{ vars.GCP_SERVICE_ACCOUNT_STAGING }}": "staging",
                     "${{ vars.GCP_SERVICE_ACCOUNT_PROD }}": "prod"}
"""Each stack's deploy identity, and the GitHub environment whose tokens it trusts."""
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


def test_every_pulumi_up_holds_its_stacks_lock_whichever_workflow_runs_it():
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
    assert workflows_by_stack == {"staging": {"deploy.yml", "reconcile.yml"}, "prod": {PROD_WORKFLOW}}


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


def dispatches_prod(step: dict) -> bool:
    """Whether a step starts prod.yml's run on approved/prod."""
    script = step.get("with", {}).get("script", "")
    return uses_action(step, DISPATCH_ACTION) and "createWorkflowDispatch" in script and (
        f'workflow_id: "{PROD_WORKFLOW}"' in script and 'ref: "approved/prod"' in script)


def test_prod_applies_only_the_approved_commit_in_runs_on_approved_prod():
    prod_jobs = [job for job in apply_jobs() if applied_stack(job) == "prod"]
    assert prod_jobs
    for job in prod_jobs:
        where = f"{job.workflow}/{job.name}"
        assert set(workflows()[job.workflow]["on"]) == {"workflow_dispatch"}, where
        assert job.caller is not None and job.caller.get("if") == APPROVED_PROD_RUN, f"{where} runs on any branch"
        checkout = next(step for step in job.steps if uses_action(step, "actions/checkout"))
        assert "ref" not in checkout.get("with", {}), f"{where} applies another commit than its run's"
    # The only ways into such a run: a reviewer's approval, and the reconcile re-applying it.
    starters = [job for job in triggered_jobs() if any(dispatches_prod(step) for step in job.steps)]
    assert {job.workflow for job in starters} == {"deploy.yml", "reconcile.yml"}
    for job in starters:
        index = next(i for i, step in enumerate(job.steps) if dispatches_prod(step))
        [approved] = [step for step in job.steps[:index] if runs_script(step, APPROVED_SCRIPT)]
        assert job.steps[index].get("if") == f"steps.{approved['id']}.outputs.commit != ''", (
            f"{job.workflow}/{job.name} starts prod without an approved commit")
        assert job.permission("actions") == "write"


def test_only_a_reviewers_approval_moves_approved_prod():
    recorders = [job for job in triggered_jobs()
                 if any(runs_script(step, APPROVED_SCRIPT) and "--record" in command_words(step) for step in job.steps)]
    assert recorders, "nothing records an approval"
    for job in recorders:
        where = f"{job.workflow}/{job.name}"
        assert environment_name(job) == APPROVAL_ENVIRONMENT, f"{where} approves prod without its reviewers"
        assert "concurrency" not in job.definition, f"{where} would hold a lock while awaiting review"
        # approved/prod's ruleset lets only the approver app move it; its key is a secret of
        # the approval environment, readable once a reviewer approved.
        [app_token] = [step for step in job.steps if uses_action(step, APP_TOKEN_ACTION)]
        assert app_token["with"]["private-key"] == "${{ secrets.APPROVER_APP_PRIVATE_KEY }}"
        checkout = next(step for step in job.steps if uses_action(step, "actions/checkout"))
        assert checkout["with"]["token"] == f"${{{{ steps.{app_token['id']}.outputs.token }}}}", where
        assert job.permission("contents") == "read", f"{where}: the workflow's own token must not push"
    for job in triggered_jobs():
        if environment_name(job) != APPROVAL_ENVIRONMENT:
            assert not any(uses_action(step, APP_TOKEN_ACTION) for step in job.steps), f"{job.workflow}/{job.name}"


def test_every_job_that_signs_in_with_a_deploy_identity_runs_in_its_stacks_environment():
    signing_in = 0
    for job in triggered_jobs():
        for step in job.steps:
            account = step.get("with", {}).get("service_account", "") if uses_action(step, AUTH_ACTION) else ""
            if account in DEPLOY_IDENTITIES:
                signing_in += 1
                assert environment_name(job) == DEPLOY_IDENTITIES[account], (
                    f"{job.workflow}/{job.name} signs in as {account} outside the {DEPLOY_IDENTITIES[account]} environment")
    assert signing_in == len(apply_jobs())


def test_merge_updates_staging_before_prod_is_offered_for_approval():
    jobs = {job.name: job for job in triggered_jobs() if job.workflow == "deploy.yml"}
    staging = next(name for name, job in jobs.items() if applied_stack(job) == "staging")
    approving = next(job for job in jobs.values() if environment_name(job) == APPROVAL_ENVIRONMENT)
    assert staging in approving.needs


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
