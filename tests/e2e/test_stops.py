"""End to end: a refusal never holds back a stop.

A job Vertex refuses fails the run, one line, so that nobody takes it for a success; Pulumi
deletes nothing after a failed program. What the stack no longer declares must still stop
in that same `pulumi up`: a removed job's training is cancelled, its endpoints deleted as
its file said, and serving endpoints stay where the stack keeps them.
"""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from tests.e2e.test_faults import ACCESS_ADVICE, injected, problems_of_failed_run
from tests.e2e.test_model_catalogue import AFTER, BEFORE, REFUSED, legacy_job
from tests.e2e.test_tuning_jobs import PROJECT_ID, flash_job, jobs_named, state_of
from tests.support.polling import wait_for

PARENT = f"projects/{PROJECT_ID}/locations/us-central1"
REFUSED_LINE = (f"jobs/refused.yaml: us-central1: submitting the tuning job: "
                f"{injected('permission_denied', 'CreateTuningJob')}; {ACCESS_ADVICE}")


def endpoint_exists(emulator, name: str) -> bool:
    try:
        emulator.endpoint_client().get_endpoint(name=name)
    except exceptions.NotFound:
        return False
    return True


def test_a_refused_job_holds_back_no_cancel_and_protected_serving_endpoints_stay(start_emulator, make_project):
    emulator = start_emulator(quota=10)
    project = make_project(emulator)
    project.run("config", "set", "gemini-tuning:protectServingEndpoints", "true")
    project.write_job("kept", **flash_job())
    project.write_job("removed", **flash_job(serving={}))
    project.up()
    [training] = jobs_named(emulator, "removed")
    serving = project.job_output("removed")["servingEndpoint"]

    # Vertex now refuses every submission; the removed job's file goes with a new job's.
    refusing = start_emulator(quota=10, on_state_of=emulator, faults=["permission_denied:CreateTuningJob:*"])
    project.use_emulator(refusing)
    project.remove_job("removed")
    project.write_job("refused", **flash_job())
    result = project.up(check=False)

    assert problems_of_failed_run(result) == [REFUSED_LINE]
    [stopped] = jobs_named(refusing, "removed")
    assert stopped.name == training.name and state_of(stopped) in ("CANCELLING", "CANCELLED")
    assert refusing.endpoint_client().get_endpoint(name=serving).labels["gt-job"] == "removed"
    assert [state_of(j) for j in jobs_named(refusing, "kept")] in (["PENDING"], ["RUNNING"])

    # Once Vertex takes submissions again, the run succeeds: the removed job's resources
    # leave the stack, its serving endpoint stays.
    granted = start_emulator(quota=10, on_state_of=refusing)
    project.use_emulator(granted)
    project.up()
    assert set(project.outputs()["jobs"]) == {"kept", "refused"}
    assert endpoint_exists(granted, serving)


def test_a_refused_job_holds_back_no_deletion_a_removed_jobs_file_asked_for(start_emulator, make_project):
    emulator = start_emulator(job_seconds=2, quota=10)
    project = make_project(emulator)
    project.write_job("removed", **flash_job(deletionPolicy="delete", serving={"deletionPolicy": "delete"}))
    project.up()
    [succeeded] = wait_for(lambda: jobs_named(emulator, "removed"), lambda jobs: state_of(jobs[0]) == "SUCCEEDED",
                           timeout=60)
    project.up()  # deploys the tuned model to the serving endpoint
    outputs = project.job_output("removed")
    assert outputs["servingStatus"] == "SERVING"

    refusing = start_emulator(job_seconds=2, quota=10, on_state_of=emulator,
                              faults=["permission_denied:CreateTuningJob:*"])
    project.use_emulator(refusing)
    project.remove_job("removed")
    project.write_job("refused", **flash_job())
    result = project.up(check=False)

    assert problems_of_failed_run(result) == [REFUSED_LINE]
    assert not endpoint_exists(refusing, outputs["servingEndpoint"])
    assert not endpoint_exists(refusing, succeeded.tuned_model.endpoint)
    # The tuned model stays in the registry: the tool never deletes a model.
    assert refusing.model_client().get_model(name=succeeded.tuned_model.model.split("@")[0])


@pytest.mark.parametrize("refused", [False, True], ids=["alone", "beside-a-refusal"])
def test_a_removed_region_is_stopped_and_the_next_run_settles(start_emulator, make_project, refused):
    emulator = start_emulator(quota=10, cancel_seconds=0)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=["us-central1", "europe-west4"]))
    project.up()

    refusing = start_emulator(quota=10, cancel_seconds=0, on_state_of=emulator,
                              faults=["permission_denied:CreateTuningJob:*"] if refused else [])
    project.use_emulator(refusing)
    project.write_job("triage", **flash_job(regions=["us-central1"]))
    if refused:
        project.write_job("refused", **flash_job())
    result = project.up(check=False)

    assert (problems_of_failed_run(result) == [REFUSED_LINE]) if refused else result.returncode == 0
    states = {j.name.split("/")[3]: state_of(j) for j in jobs_named(refusing, "triage")}
    assert states["europe-west4"] == "CANCELLED" and states["us-central1"] in ("PENDING", "RUNNING")
    granted = start_emulator(quota=10, on_state_of=refusing)
    project.use_emulator(granted)
    project.up()
    project.run("preview", "--expect-no-changes")


def test_a_refusal_in_a_check_holds_back_no_cancel(start_emulator, make_project):
    # Before gemini-2.5-flash retires: one job on it, and one job on a current model.
    emulator = start_emulator(job_seconds=36000, quota=5, today=BEFORE)
    project = make_project(emulator)
    project.env["GEMINI_TUNING_TODAY"] = BEFORE
    project.write_job("legacy", **legacy_job())
    project.write_job("removed", **flash_job())
    project.up()
    [training] = jobs_named(emulator, "removed")

    # After the retirement, one pull request edits the legacy job (a replace: refused by the
    # tuning job's check) and removes the other job's file.
    emulator = start_emulator(job_seconds=36000, quota=5, today=AFTER, on_state_of=emulator)
    project.use_emulator(emulator)
    project.env["GEMINI_TUNING_TODAY"] = AFTER
    project.write_job("legacy", **legacy_job(hyperParameters={"epochCount": 5}))
    project.remove_job("removed")
    result = project.up(check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0 and REFUSED.format(job="legacy") in output, output
    [after] = jobs_named(emulator, "removed")
    assert after.name == training.name and state_of(after) in ("CANCELLING", "CANCELLED")


def test_a_job_whose_removal_is_reverted_while_runs_fail_trains_again(start_emulator, make_project):
    emulator = start_emulator(quota=10, job_seconds=36000)
    project = make_project(emulator)
    project.write_job("kept", **flash_job())
    project.write_job("removed", **flash_job())
    project.up()

    # A pull request removes "removed" by mistake while Vertex refuses another job: the sweep
    # cancels it, and the failed run leaves its resources in the state.
    refusing = start_emulator(quota=10, job_seconds=36000, on_state_of=emulator,
                              faults=["permission_denied:CreateTuningJob:*"])
    project.use_emulator(refusing)
    project.remove_job("removed")
    project.write_job("refused", **flash_job())
    assert problems_of_failed_run(project.up(check=False)) == [REFUSED_LINE]
    [cancelled] = jobs_named(refusing, "removed")
    assert state_of(cancelled) in ("CANCELLING", "CANCELLED")

    # The mistake is reverted and Vertex takes submissions again: the job trains again, once.
    granted = start_emulator(quota=10, job_seconds=36000, cancel_seconds=0, on_state_of=refusing)
    project.use_emulator(granted)
    project.write_job("removed", **flash_job())
    project.remove_job("refused")
    project.up()
    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")

    again = [j for j in jobs_named(granted, "removed") if j.name != cancelled.name]
    assert [state_of(j) for j in again] in (["PENDING"], ["RUNNING"])
    assert project.job_output("removed")["vertexJob"] == again[0].name
