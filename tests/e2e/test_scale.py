"""End to end: what a run costs in Vertex calls grows with regions, not with jobs.

Every `pulumi up` refreshes first. The emulator's RPC log (`--rpc-log`) shows the calls each
run made; a run that changes nothing reads each region's tuning jobs and endpoints with one
listing, whatever the number of jobs, and still sees what changed since the last run.
"""

from __future__ import annotations

from tests.e2e.test_tuning_jobs import PROJECT_ID, state_of
from tests.support.generated_jobs import REGIONS, GeneratedJob, vertex_jobs, write_generated_jobs
from tests.support.polling import wait_for
from tests.support.rpc_log import ENDPOINT_SERVICE, TUNING_SERVICE, RpcLog, by_method

JOBS = 30
MAX_LISTINGS_PER_REGION = 2
"""Issue 11's bound: a listing per region for the preview's refresh and one for the update's
(each runs in a dynamic-provider host of its own), each one page at this size."""


def job_states(project, jobs: list[GeneratedJob]) -> dict[str, str]:
    """Each job's state as the stack's outputs show it."""
    outputs = project.outputs()["jobs"]
    return {job.name: outputs[job.name][job.region]["state"] for job in jobs}


def test_a_no_change_up_of_30_jobs_in_3_regions_lists_each_region_instead_of_reading_each_job(
    start_emulator, make_project, tmp_path
):
    emulator = start_emulator(job_seconds=1, quota=JOBS, rpc_log=tmp_path / "rpc.jsonl")
    log = RpcLog(tmp_path / "rpc.jsonl")
    project = make_project(emulator)
    jobs = write_generated_jobs(project, JOBS)
    project.up()
    wait_for(lambda: vertex_jobs(emulator, PROJECT_ID),
             lambda found: len(found) == JOBS and all(state_of(job) == "SUCCEEDED" for job in found),
             timeout=90)
    project.up()  # deploys the tuned models to the serving endpoints
    outputs = project.outputs()["jobs"]
    serving = [region_outputs["servingStatus"] for job in outputs.values()
               for region_outputs in job.values() if "servingStatus" in region_outputs]
    assert serving == ["SERVING"] * sum(job.serving for job in jobs), "the runs above did all there was to do"

    log.mark()
    project.run("up", "--yes", "--expect-no-changes")
    calls = log.calls_since_mark()

    tuning, endpoints = by_method(calls, TUNING_SERVICE), by_method(calls, ENDPOINT_SERVICE)
    bound = MAX_LISTINGS_PER_REGION * len(REGIONS)
    assert sum(tuning.values()) <= bound, f"tuning-job calls of a no-change up: {dict(tuning)}"
    assert sum(endpoints.values()) <= bound, f"endpoint calls of a no-change up: {dict(endpoints)}"
    assert tuning["ListTuningJobs"] >= len(REGIONS), "the refresh looked at every region"
    assert all(call["status"] == "OK" for call in calls), calls


def test_a_job_cancelled_between_two_runs_is_seen_by_the_second(start_emulator, make_project):
    emulator = start_emulator(job_seconds=600, quota=len(REGIONS) * 2, cancel_seconds=0)
    project = make_project(emulator)
    jobs = write_generated_jobs(project, len(REGIONS) * 2)
    names = [job.name for job in jobs]
    project.up()
    project.up()  # the first run: it lists each region and sees every job waiting to start
    assert job_states(project, jobs) == dict.fromkeys(names, "PENDING")

    cancelled = next(job for job in vertex_jobs(emulator, PROJECT_ID) if job.labels["gt-job"] == "job-4")
    emulator.tuning_client().cancel_tuning_job(name=cancelled.name)
    wait_for(lambda: emulator.tuning_client().get_tuning_job(name=cancelled.name),
             lambda job: state_of(job) == "CANCELLED")
    project.up()  # the second run, seconds after the first

    assert job_states(project, jobs) == {**dict.fromkeys(names, "PENDING"), "job-4": "CANCELLED"}
