"""End to end: job files become Vertex AI tuning jobs through the real `pulumi` CLI.

Every test counts what the emulator holds, through the same GAPIC API a user would use.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.support.polling import wait_for
from tests.support.pulumi_project import REPO_ROOT


PROJECT_ID = "e2e-project"
REGIONS = ("us-central1", "europe-west4")


def flash_job(**fields) -> dict:
    return {
        "baseModel": "gemini-3.5-flash",
        "trainingDataset": "gs://acme/train.jsonl",
        "hyperParameters": {"epochCount": 2},
        **fields,
    }


def vertex_jobs(emulator) -> list:
    """Every tuning job the emulator holds, in all regions the tests use."""
    client = emulator.tuning_client()
    return [
        job
        for region in REGIONS
        for job in client.list_tuning_jobs(parent=f"projects/{PROJECT_ID}/locations/{region}")
    ]


def jobs_named(emulator, job: str) -> list:
    return sorted((j for j in vertex_jobs(emulator) if j.labels.get("gt-job") == job),
                  key=lambda j: j.create_time)


def state_of(job) -> str:
    return job.state.name.removeprefix("JOB_STATE_")


def wait_until_ended(emulator, timeout: float = 60) -> list:
    """Every job, once none is still running or being cancelled."""
    return wait_for(lambda: vertex_jobs(emulator),
                    lambda jobs: all(state_of(j) in ("SUCCEEDED", "FAILED", "CANCELLED") for j in jobs),
                    timeout=timeout)


def test_preview_lists_the_creates_and_submits_nothing(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS)))

    steps = project.preview_steps()

    creates = sorted(s["urn"].rsplit("::", 1)[1] for s in steps if s["op"] == "create")
    assert "triage-us-central1" in creates and "triage-europe-west4" in creates
    assert vertex_jobs(emulator) == []


def test_preview_of_the_sample_jobs_shows_a_job_component_per_file_with_its_resources(
    start_emulator, make_project
):
    emulator = start_emulator()
    project = make_project(emulator, stack="dev")  # the sample jobs' emulator stack
    for sample in sorted((REPO_ROOT / "jobs").glob("*.yaml")):
        (project.jobs_dir / sample.name).write_text(sample.read_text())
    # The demo's row for its gate (evaluation on gemini-3.5-flash is its assumption).
    project.write_file("models.yaml", (REPO_ROOT / "models.yaml").read_text())

    creates = [s for s in project.preview_steps() if s["op"] == "create"]

    job_type = "gemini-tuning:index:Job"
    components = {s["urn"].rsplit("::", 1)[1] for s in creates if s["urn"].rsplit("::", 2)[-2] == job_type}
    assert components == {"support-triage", "contract-summaries", "support-triage-continued"}
    children = sorted((s["urn"].rsplit("::", 2)[-2], s["urn"].rsplit("::", 1)[1]) for s in creates
                      if s["urn"].rsplit("::", 2)[-2].startswith(f"{job_type}$"))
    serving, history, tuning = (f"{job_type}$pulumi-python:dynamic/gemini-tuning:{kind}"
                                for kind in ("ServingEndpoint", "TuningHistory", "TuningJob"))
    assert children == [
        (serving, "support-triage-continued-us-central1-serving"),
        (serving, "support-triage-us-central1-serving"),
        (history, "contract-summaries-europe-west4-history"),
        (history, "support-triage-continued-us-central1-history"),
        (history, "support-triage-us-central1-history"),
        (tuning, "contract-summaries-europe-west4"),
        (tuning, "support-triage-continued-us-central1"),
        (tuning, "support-triage-us-central1"),
    ]
    parents = {s["urn"].rsplit("::", 1)[1]: s["newState"]["parent"].rsplit("::", 1)[1]
               for s in creates if s["urn"].rsplit("::", 2)[-2].startswith(f"{job_type}$")}
    assert parents == {child: child.removesuffix("-serving").removesuffix("-history").rsplit("-", 2)[0]
                       for _, child in children}
    assert vertex_jobs(emulator) == []


def test_up_submits_one_job_per_job_and_region_and_a_second_up_changes_nothing(
    start_emulator, make_project
):
    emulator = start_emulator(quota=5)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS)))
    project.write_job("summaries", **flash_job(regions=["us-central1"]))

    project.up()
    submitted = vertex_jobs(emulator)
    second = project.run("up", "--yes", "--skip-preview", "--expect-no-changes")

    assert sorted((j.labels["gt-job"], j.name.split("/")[3]) for j in submitted) == [
        ("summaries", "us-central1"), ("triage", "europe-west4"), ("triage", "us-central1"),
    ]
    assert second.returncode == 0
    assert len(vertex_jobs(emulator)) == 3
    outputs = project.outputs()["jobs"]
    assert {r: o["vertexJob"] for r, o in outputs["triage"].items()} == {
        j.name.split("/")[3]: j.name for j in submitted if j.labels["gt-job"] == "triage"
    }


def test_replacing_a_job_while_the_old_one_is_cancelling_ends_with_one_new_job_succeeded(
    start_emulator, make_project
):
    emulator = start_emulator(job_seconds=45, quota=1, cancel_seconds=3)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.up()
    [old] = jobs_named(emulator, "triage")

    project.write_job("triage", **flash_job(hyperParameters={"epochCount": 5}))
    project.up()
    # Vertex cancels asynchronously: the old job holds the quota slot while CANCELLING.
    assert [state_of(j) for j in jobs_named(emulator, "triage")] == ["CANCELLING"]
    assert project.job_output("triage")["state"] == "WAITING_FOR_QUOTA"
    assert "concurrent tuning-job quota" in project.job_output("triage")["statusMessage"]

    wait_until_ended(emulator)
    project.up()
    wait_until_ended(emulator, timeout=120)
    project.up()

    old_after, new = jobs_named(emulator, "triage")
    assert old_after.name == old.name and state_of(old_after) == "CANCELLED"
    assert new.supervised_tuning_spec.hyper_parameters.epoch_count == 5
    assert state_of(new) == "SUCCEEDED"
    assert project.job_output("triage")["vertexJob"] == new.name
    assert project.job_output("triage")["state"] == "SUCCEEDED"


def test_an_unchanged_spec_written_differently_changes_nothing(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.up()

    # The display name defaults to the job's name, the multiplier to 1.0: the same paid job.
    project.write_job("triage", **flash_job(hyperParameters={"epochCount": 2, "learningRateMultiplier": 1.0},
                                            tunedModelDisplayName="triage"))
    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")

    assert len(jobs_named(emulator, "triage")) == 1


def test_up_replace_of_a_succeeded_job_runs_it_again_and_the_stack_settles(start_emulator, make_project):
    emulator = start_emulator(job_seconds=2)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(deletionPolicy="delete"))
    project.up()
    [first] = wait_until_ended(emulator)
    project.up()
    assert project.job_output("triage")["state"] == "SUCCEEDED"
    urn = next(s["urn"] for s in project.preview_steps() if s["urn"].endswith("::triage-us-central1"))

    project.run("up", "--yes", "--skip-preview", "--replace", urn)

    old, new = jobs_named(emulator, "triage")
    assert old.name == first.name and state_of(old) == "SUCCEEDED"
    assert project.job_output("triage")["vertexJob"] == new.name
    # Once the new one has succeeded, the policy retires the old one's endpoint, and then
    # nothing is left to do.
    [*_, new] = wait_until_ended(emulator)
    project.up()
    project.run("preview", "--expect-no-changes")
    endpoints = {e.name for e in emulator.endpoint_client().list_endpoints(
        parent=f"projects/{PROJECT_ID}/locations/us-central1")}
    assert endpoints == {new.tuned_model.endpoint, *(c.endpoint for c in new.tuned_model.checkpoints)}


def test_deleting_a_job_file_cancels_its_running_job(start_emulator, make_project):
    emulator = start_emulator(quota=2, cancel_seconds=1)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.write_job("summaries", **flash_job())
    project.up()

    project.remove_job("triage")
    project.up()

    [job] = jobs_named(emulator, "triage")
    assert state_of(job) in ("CANCELLING", "CANCELLED")
    wait_for(lambda: state_of(jobs_named(emulator, "triage")[0]), lambda state: state == "CANCELLED", timeout=30)
    assert "triage" not in project.outputs()["jobs"]

    # The last file gone looks like a mistyped folder: refused, nothing cancelled.
    project.remove_job("summaries")
    result = project.up(check=False)
    assert result.returncode != 0
    assert "jobs: no job files; to remove every job of this stack, run `pulumi destroy`" in result.stdout
    assert [state_of(j) for j in jobs_named(emulator, "summaries")] in (["PENDING"], ["RUNNING"])


def test_refresh_shows_a_job_cancelled_behind_pulumis_back(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    project.up()
    [job] = jobs_named(emulator, "triage")

    emulator.tuning_client().cancel_tuning_job(name=job.name)
    wait_until_ended(emulator)
    project.run("refresh", "--yes", "--skip-preview")

    assert project.resource_outputs("triage-us-central1")["state"] == "CANCELLED"
    # With --run-program the stack's summary output follows too.
    project.run("refresh", "--yes", "--skip-preview", "--run-program")
    assert project.job_output("triage")["state"] == "CANCELLED"
    assert len(vertex_jobs(emulator)) == 1


def test_two_jobs_with_quota_one_both_succeed_one_at_a_time(start_emulator, make_project):
    emulator = start_emulator(job_seconds=3, quota=1)
    project = make_project(emulator)
    project.write_job("first", **flash_job())
    project.write_job("second", **flash_job())

    states_after_each_up = []
    for _ in range(6):
        project.up()  # raises if an `up` fails
        outputs = project.outputs()["jobs"]
        states = {job: outputs[job]["us-central1"]["state"] for job in ("first", "second")}
        states_after_each_up.append(states)
        if set(states.values()) == {"SUCCEEDED"}:
            break
        # Let the submitted job finish before the next run; Vertex is polled, not slept on.
        wait_until_ended(emulator, timeout=30)

    assert states_after_each_up[0] in (
        {"first": "WAITING_FOR_QUOTA", "second": "PENDING"}, {"first": "PENDING", "second": "WAITING_FOR_QUOTA"},
        {"first": "WAITING_FOR_QUOTA", "second": "RUNNING"}, {"first": "RUNNING", "second": "WAITING_FOR_QUOTA"},
    )
    assert set(states_after_each_up[-1].values()) == {"SUCCEEDED"}
    jobs = sorted(vertex_jobs(emulator), key=lambda j: j.create_time)
    assert len(jobs) == 2
    assert jobs[0].end_time <= jobs[1].create_time, "two jobs ran at once"
    for job in jobs:
        output = project.job_output(job.labels["gt-job"])
        assert (output["tunedModel"], output["tunedModelEndpoint"]) == (
            job.tuned_model.model, job.tuned_model.endpoint)


def test_an_up_killed_after_submitting_is_followed_by_one_job_not_two(
    start_emulator, make_project
):
    # The emulator applies the submission and holds its answer: the kill lands after
    # Vertex has the job and before Pulumi has recorded it.
    emulator = start_emulator(faults=["unavailable:CreateTuningJob:1:hang"])
    project = make_project(emulator)
    project.write_job("triage", **flash_job())

    killed = project.start("up", "--yes", "--skip-preview")
    wait_for(lambda: len(vertex_jobs(emulator)) == 1 or killed.poll() is not None, timeout=120)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    [submitted] = vertex_jobs(emulator)
    deployment = json.loads(project.run("stack", "export").stdout)["deployment"]
    assert not any(r["urn"].endswith("::triage-us-central1") for r in deployment["resources"])
    assert [op["type"] for op in deployment.get("pending_operations", [])] == ["creating"]

    # What Pulumi tells the user after a crash: release the dead run's lock, then run again.
    project.run("cancel", "--yes")
    project.up()

    assert [j.name for j in vertex_jobs(emulator)] == [submitted.name]
    assert project.job_output("triage")["vertexJob"] == submitted.name


def test_a_broken_job_file_stops_preview_with_its_mistake_and_submits_nothing(
    start_emulator, make_project
):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job(hyperParameters={"adapterSize": 32}))

    result = project.run("preview", check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "jobs/triage.yaml: hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16" in output
    assert "Traceback" not in output
    assert vertex_jobs(emulator) == []


def test_broken_stack_settings_stop_preview_with_a_message(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job())

    project.run("config", "set", "gcp:region", "us-centrall1")
    wrong_region = project.run("preview", check=False)
    project.run("config", "rm", "gcp:project")
    no_project = project.run("preview", check=False)

    for result, message in (
        (wrong_region, "Pulumi.test.yaml: gcp:region: 'us-centrall1' is not a Vertex AI tuning region"),
        (no_project, "Pulumi.test.yaml: gcp:project: no GCP project: run `pulumi config set gcp:project PROJECT_ID`"),
    ):
        output = result.stdout + result.stderr
        assert result.returncode != 0 and message in output, output
        assert "Traceback" not in output
    assert vertex_jobs(emulator) == []
