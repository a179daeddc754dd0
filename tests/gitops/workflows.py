"""The project's GitHub Actions workflows as data, for tests of what a reviewer relies on.

Reads `.github/workflows/*.yml` and the local composite actions with `yaml.safe_load`, and
follows a job that calls a reusable workflow (`uses: ./.github/workflows/X.yml`) into the
jobs it runs, with the caller's `with:` values put in place of `${{ inputs.NAME }}`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.support.pulumi_project import REPO_ROOT

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
ACTIONS_DIR = REPO_ROOT / ".github" / "actions"
INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
STEP_OUTPUT_EXPRESSION = re.compile(r"^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$")
PERMISSION_LEVELS = ("none", "read", "write")
JOB_OUTPUT_EXPRESSION = re.compile(r"^\$\{\{\s*needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$")


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS_DIR.glob("*.yml")) + sorted(WORKFLOWS_DIR.glob("*.yaml"))


def action_files() -> list[Path]:
    return sorted(ACTIONS_DIR.glob("*/action.yml")) + sorted(ACTIONS_DIR.glob("*/action.yaml"))


def workflows() -> dict[str, dict]:
    return {path.name: load(path) for path in workflow_files()}


def substitute_inputs(value, inputs: dict[str, str]):
    """`value` with each `${{ inputs.NAME }}` replaced by the caller's value for NAME."""
    if isinstance(value, str):
        return INPUT_EXPRESSION.sub(lambda match: str(inputs.get(match.group(1), match.group(0))), value)
    if isinstance(value, dict):
        return {key: substitute_inputs(item, inputs) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_inputs(item, inputs) for item in value]
    return value


@dataclass
class Job:
    """A job that runs steps, as one trigger runs it.

    `workflow` and `name` name the job of a triggered workflow (for a reusable workflow's
    job: its caller). `inputs` are the caller's `with:` values, already substituted into
    `definition`; `caller` is the calling job's definition, or None.
    """

    workflow: str
    name: str
    definition: dict
    caller: dict | None = None
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def steps(self) -> list[dict]:
        return self.definition.get("steps", [])

    @property
    def needs(self) -> list[str]:
        needs = (self.caller or self.definition).get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    def permission(self, scope: str) -> str:
        """The job's access to `scope` (none, read, write); a reusable workflow's job gets
        no more than its caller grants."""
        own = self.definition.get("permissions", {}).get(scope, "none")
        if self.caller is None:
            return own
        granted = self.caller.get("permissions", {}).get(scope, "none")
        return min(own, granted, key=PERMISSION_LEVELS.index)


def triggered_jobs() -> list[Job]:
    """Every job that runs steps, reached from a workflow that an event triggers."""
    documents = workflows()
    jobs = []
    for workflow_name, document in documents.items():
        if "workflow_call" in document["on"]:
            continue
        for job_name, definition in document["jobs"].items():
            called = definition.get("uses", "")
            if not called.startswith("./.github/workflows/"):
                jobs.append(Job(workflow_name, job_name, definition))
                continue
            inputs = definition.get("with", {})
            for called_job in documents[Path(called).name]["jobs"].values():
                jobs.append(Job(workflow_name, job_name, substitute_inputs(called_job, inputs),
                                caller=definition, inputs=inputs))
    return jobs


def job_named(workflow: str, name: str) -> Job:
    matches = [job for job in triggered_jobs() if (job.workflow, job.name) == (workflow, name)]
    assert len(matches) == 1, f"{workflow}: expected one job {name}, found {len(matches)}"
    return matches[0]


def command_words(step: dict) -> list[str]:
    """The words of a step's `run:` command, its `$NAME` arguments replaced by the step's env."""
    environment = {name: str(value) for name, value in step.get("env", {}).items()}
    return [re.sub(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$", lambda match: environment.get(match.group(1), match.group(0)), word)
            for word in shlex.split(step["run"])]


def runs_script(step: dict, script: str) -> bool:
    return "run" in step and shlex.split(step["run"])[:1] == [script]


def uses_action(step: dict, action: str) -> bool:
    return step.get("uses", "").split("@")[0] == action


def step_output_source(job: Job, expression: str) -> tuple[Job, dict]:
    """The job and step whose output `expression` (`${{ needs.J.outputs.O }}`) carries."""
    needed = JOB_OUTPUT_EXPRESSION.match(expression.strip())
    assert needed, f"{job.workflow}/{job.name}: {expression!r} is not a job output"
    source_job = job_named(job.workflow, needed.group(1))
    assert needed.group(1) in job.needs, f"{job.workflow}/{job.name} does not need {needed.group(1)}"
    output = source_job.definition.get("outputs", {}).get(needed.group(2), "")
    from_step = STEP_OUTPUT_EXPRESSION.match(output.strip())
    assert from_step, f"{source_job.workflow}/{source_job.name}: output {needed.group(2)} is not a step's"
    steps = [step for step in source_job.steps if step.get("id") == from_step.group(1)]
    assert len(steps) == 1, f"{source_job.workflow}/{source_job.name}: no step {from_step.group(1)}"
    return source_job, steps[0]


def environment_name(job: Job) -> str | None:
    environment = job.definition.get("environment")
    if isinstance(environment, dict):
        return environment.get("name")
    return environment
