"""End to end: one stack per environment, each touching only what carries its own id."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from tests.e2e.test_tuning_jobs import flash_job, state_of
from tests.support.polling import wait_for
from tests.support.pulumi_project import REPO_ROOT, PulumiProject

ACTIVE = ("PENDING", "RUNNING", "QUEUED", "CANCELLING")


def jobs_in(emulator, gcp_project: str, region: str = "us-central1") -> list:
    return sorted(emulator.tuning_client().list_tuning_jobs(parent=f"projects/{gcp_project}/locations/{region}"),
                  key=lambda j: j.create_time)


def test_stacks_in_job_files_promote_a_job_from_staging_to_prod_with_its_overrides(start_emulator, make_project):
    emulator = start_emulator(quota=5, cancel_seconds=1)
    staging = make_project(emulator, stack="staging")
    prod = staging.for_stack("prod", gcp_project="e2e-prod")
    job = flash_job(regions=["us-central1"], stacks=["staging"],
                    overrides={"prod": {"regions": ["us-central1", "europe-west4"],
                                        "trainingDataset": "gs://acme/full.jsonl"}})
    staging.write_job("triage", **job)
    staging.write_job("everywhere", **flash_job())

    staging.up()
    prod.up()
    assert sorted(j.labels["gt-job"] for j in jobs_in(emulator, "e2e-project")) == ["everywhere", "triage"]
    assert [j.labels["gt-job"] for j in jobs_in(emulator, "e2e-prod")] == ["everywhere"]

    # Promotion is a change to the file: prod joins `stacks`, and gets its overrides.
    staging.write_job("triage", **{**job, "stacks": ["staging", "prod"]})
    staging.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    prod.up()
    promoted = [j for region in ("us-central1", "europe-west4") for j in jobs_in(emulator, "e2e-prod", region)
                if j.labels["gt-job"] == "triage"]
    assert sorted(j.name.split("/")[3] for j in promoted) == ["europe-west4", "us-central1"]
    assert {j.supervised_tuning_spec.training_dataset_uri for j in promoted} == {"gs://acme/full.jsonl"}

    # Destroying staging leaves prod's jobs running.
    staging.run("destroy", "--yes", "--skip-preview")
    assert {state_of(j) for j in jobs_in(emulator, "e2e-project")} <= {"CANCELLING", "CANCELLED"}
    assert {state_of(j) for j in jobs_in(emulator, "e2e-prod")} <= {"PENDING", "RUNNING"}


def test_two_stacks_with_one_name_in_two_backends_touch_only_their_own_jobs(start_emulator, tmp_path):
    emulator = start_emulator(quota=5, cancel_seconds=0, job_seconds=600)
    mine = PulumiProject(tmp_path / "mine", emulator.host)
    theirs = PulumiProject(tmp_path / "theirs", emulator.host)  # a fork: same names, same project
    for project in (mine, theirs):
        project.write_job("triage", **flash_job())

    mine.up()
    theirs.up()
    theirs.write_job("triage", **flash_job(hyperParameters={"epochCount": 7}))
    theirs.up()  # replaces their job; ours must be neither adopted nor cancelled
    mine.run("destroy", "--yes", "--skip-preview")

    by_owner = {}
    for job in jobs_in(emulator, "e2e-project"):
        by_owner.setdefault(job.labels["gt-stack-id"], []).append(state_of(job))
    assert by_owner == {mine.stack_id: ["CANCELLED"], theirs.stack_id: ["CANCELLED", "PENDING"]}


def test_a_stack_without_an_id_is_refused_with_the_command_that_gives_it_one(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.run("config", "rm", "gemini-tuning:stackId")

    result = project.run("preview", check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("Pulumi.test.yaml: gemini-tuning:stackId: the stack has no id of its own" in output)
    assert "run `pulumi config set gemini-tuning:stackId " in output
    assert "Traceback" not in output
    assert jobs_in(emulator, "e2e-project") == []


def test_the_emulator_host_on_a_real_stack_is_refused_before_any_call(start_emulator, make_project, tmp_path):
    log = tmp_path / "rpc.jsonl"
    emulator = start_emulator(rpc_log=log)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.up()
    [job] = jobs_in(emulator, "e2e-project")
    calls_before = len(log.read_text().splitlines())

    # The state of a stack that runs on real Vertex AI: the providers' recorded config (which a
    # refresh runs with, before the program) says so too. The emulator's variable is still set.
    project.run("config", "set", "gemini-tuning:useEmulator", "false")
    real_stack_state(project)
    refused_preview = project.run("preview", check=False)
    refused_up = project.up(check=False)

    for result in (refused_preview, refused_up):
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "VERTEX_AI_EMULATOR_HOST is set" in output and "is not an emulator stack" in output
        assert "Traceback" not in output
    assert len(log.read_text().splitlines()) == calls_before, "nothing was called"
    # Refresh did not drop the stack's job from its state.
    assert project.resource_outputs("triage-us-central1")["vertex_job_name"] == job.name


def test_a_changed_default_region_is_refused_before_anything_moves(start_emulator, make_project):
    emulator = start_emulator(quota=5)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())  # no regions: the stack's gcp:region
    project.up()
    [job] = jobs_in(emulator, "e2e-project")

    project.run("config", "set", "gcp:region", "europe-west4")
    refused = project.up(check=False)
    project.run("config", "set", "gemini-tuning:allowRegionChange", "europe-west4")
    moved = project.up(check=False)

    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "the stack's gcp:region changed from 'us-central1' to 'europe-west4'" in output
    assert "`pulumi config set gemini-tuning:allowRegionChange europe-west4`" in output
    assert "Traceback" not in output
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert state_of(jobs_in(emulator, "e2e-project")[0]) in ("CANCELLING", "CANCELLED")
    assert [state_of(j) for j in jobs_in(emulator, "e2e-project", "europe-west4")] == ["PENDING"]
    assert job.name == jobs_in(emulator, "e2e-project")[0].name


def state_without_guard(project) -> None:
    """The stack's state as a release before the stack guard left it: no guard, nothing depending on it."""
    state = json.loads(project.run("stack", "export").stdout)
    resources = state["deployment"]["resources"]
    [guard] = [r["urn"] for r in resources if r["type"].endswith(":StackGuard")]
    state["deployment"]["resources"] = [r for r in resources if r["urn"] != guard]
    for resource in state["deployment"]["resources"]:
        resource["dependencies"] = [urn for urn in resource.get("dependencies", []) if urn != guard]
        resource.pop("propertyDependencies", None)
    exported = project.dir.parent / "state.json"
    exported.write_text(json.dumps(state))
    project.run("stack", "import", "--file", str(exported))


def test_the_first_run_after_an_upgrade_refuses_a_project_change_that_the_jobs_state_shows(
    start_emulator, make_project
):
    emulator = start_emulator(quota=5)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.up()
    [job] = jobs_in(emulator, "e2e-project")
    state_without_guard(project)

    # The earlier release took the project from elsewhere (GOOGLE_CLOUD_PROJECT, ...); the
    # stack's config now names another one.
    project.run("config", "set", "gcp:project", "e2e-other-project")
    refused = [project.up(check=False) for _ in range(2)]

    for result in refused:
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "the stack's gcp:project changed from 'e2e-project' to 'e2e-other-project'" in output
        assert "`pulumi config set gemini-tuning:allowProjectChange e2e-other-project`" in output
        assert "Traceback" not in output
    assert jobs_in(emulator, "e2e-other-project") == []
    assert [(j.name, state_of(j)) for j in jobs_in(emulator, "e2e-project")] in (
        [(job.name, "PENDING")], [(job.name, "RUNNING")])


def real_stack_state(project) -> None:
    state = json.loads(project.run("stack", "export").stdout)
    for resource in state["deployment"]["resources"]:
        if resource["type"] == "pulumi:providers:pulumi-python":
            for recorded in (resource["inputs"], resource["outputs"]):
                recorded["gemini-tuning:useEmulator"] = "false"
    exported = project.dir.parent / "state.json"
    exported.write_text(json.dumps(state))
    project.run("stack", "import", "--file", str(exported))


def test_a_killed_up_then_a_spec_edit_leaves_one_active_job_per_region(start_emulator, make_project):
    # The emulator applies the submission and holds its answer: the kill lands after
    # Vertex has the job and before Pulumi has recorded it.
    emulator = start_emulator(quota=5, cancel_seconds=0, faults=["unavailable:CreateTuningJob:1:hang"])
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    killed = project.start("up", "--yes", "--skip-preview")
    wait_for(lambda: len(jobs_in(emulator, "e2e-project")) == 1 or killed.poll() is not None, timeout=120)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    [stale] = jobs_in(emulator, "e2e-project")

    project.write_job("triage", **flash_job(hyperParameters={"epochCount": 9}))
    project.run("cancel", "--yes")
    result = project.up()

    jobs = jobs_in(emulator, "e2e-project")
    assert [j.name for j in jobs if state_of(j) in ACTIVE] == [project.job_output("triage")["vertexJob"]]
    assert state_of(next(j for j in jobs if j.name == stale.name)) == "CANCELLED"
    # The run says so, in the job's outputs.
    assert f"cancelled {stale.name}" in project.job_output("triage")["history"]
    assert result.returncode == 0


def test_the_shell_setup_leaves_the_backend_to_pulumi_login(tmp_path):
    other_backend = tmp_path / "team-backend"
    other_backend.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("PULUMI_") and key != "VERTEX_AI_EMULATOR_HOST"}
    environment["PULUMI_HOME"] = str(tmp_path / "pulumi-home")

    shown = subprocess.run(
        ["bash", "-c", f'source scripts/env.sh && pulumi login "file://{other_backend}" >/dev/null '
                       '&& pulumi whoami --verbose && echo "backend=${PULUMI_BACKEND_URL-unset} '
                       'passphrase=${PULUMI_CONFIG_PASSPHRASE-unset}"'],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    ).stdout

    assert f"Backend URL: file://{other_backend}" in shown
    assert "backend=unset passphrase=unset" in shown
