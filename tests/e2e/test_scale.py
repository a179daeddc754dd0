"""End to end: what a run costs in Vertex calls grows with regions, not with jobs.

Every `pulumi up` refreshes first. The emulator's RPC log (`--rpc-log`) shows the calls each
run made; a run that changes nothing reads each region's tuning jobs and endpoints with one
listing, whatever the number of jobs, and still sees what changed since the last run.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.e2e.test_tuning_jobs import PROJECT_ID, flash_job, state_of
from tests.support.polling import wait_for

REGIONS = ("us-central1", "europe-west4", "asia-northeast1")
JOBS = 30
MAX_LISTINGS_PER_REGION = 2
"""Issue 11's bound: a listing per region for the preview's refresh and one for the update's
(each runs in a dynamic-provider host of its own), each one page at this size."""
TUNING_SERVICE = "google.cloud.aiplatform.v1.GenAiTuningService"
ENDPOINT_SERVICE = "google.cloud.aiplatform.v1.EndpointService"


class RpcLog:
    """The emulator's RPC log, read in slices: the calls made since the last mark."""

    def __init__(self, path: Path):
        self.path = path
        self.seen = 0

    def mark(self) -> None:
        self.seen = len(self._lines())

    def calls_since_mark(self) -> list[dict]:
        return [json.loads(line) for line in self._lines()[self.seen:]]

    def _lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []


def by_method(calls: list[dict], service: str) -> Counter:
    return Counter(call["method"] for call in calls if call["service"] == service)


def generated_jobs(project, count: int) -> dict[str, str]:
    """`count` job files, one region each, taken in turn; every third job per region serves."""
    regions = {}
    for index in range(count):
        name, region = f"job-{index:02d}", REGIONS[index % len(REGIONS)]
        serving = {"serving": {"displayName": name}} if (index // len(REGIONS)) % 3 == 0 else {}
        project.write_job(name, **flash_job(regions=[region], **serving))
        regions[name] = region
    return regions


def vertex_jobs(emulator) -> list:
    client = emulator.tuning_client()
    return [job for region in REGIONS
            for job in client.list_tuning_jobs(parent=f"projects/{PROJECT_ID}/locations/{region}")]


def job_states(project, regions: dict[str, str]) -> dict[str, str]:
    """Each job's state as the stack's outputs show it."""
    outputs = project.outputs()["jobs"]
    return {job: outputs[job][region]["state"] for job, region in regions.items()}


def test_a_no_change_up_of_30_jobs_in_3_regions_lists_each_region_instead_of_reading_each_job(
    start_emulator, make_project, tmp_path
):
    emulator = start_emulator(job_seconds=1, quota=JOBS, rpc_log=tmp_path / "rpc.jsonl")
    log = RpcLog(tmp_path / "rpc.jsonl")
    project = make_project(emulator)
    generated_jobs(project, JOBS)
    project.up()
    wait_for(lambda: vertex_jobs(emulator),
             lambda jobs: len(jobs) == JOBS and all(state_of(job) == "SUCCEEDED" for job in jobs),
             timeout=90)
    project.up()  # deploys the tuned models to the serving endpoints
    outputs = project.outputs()["jobs"]
    serving = [region_outputs["servingStatus"] for job in outputs.values()
               for region_outputs in job.values() if "servingStatus" in region_outputs]
    assert serving == ["SERVING"] * 12, "the runs above did all there was to do"

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
    regions = generated_jobs(project, len(REGIONS) * 2)
    project.up()
    project.up()  # the first run: it lists each region and sees every job waiting to start
    assert job_states(project, regions) == dict.fromkeys(regions, "PENDING")

    cancelled = next(job for job in vertex_jobs(emulator) if job.labels["gt-job"] == "job-04")
    emulator.tuning_client().cancel_tuning_job(name=cancelled.name)
    wait_for(lambda: emulator.tuning_client().get_tuning_job(name=cancelled.name),
             lambda job: state_of(job) == "CANCELLED")
    project.up()  # the second run, seconds after the first

    assert job_states(project, regions) == {**dict.fromkeys(regions, "PENDING"), "job-04": "CANCELLED"}
