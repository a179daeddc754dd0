"""End to end under faults: Vertex AI failing, refusing or slow, through the real `pulumi` CLI.

What a user relies on: a blip never pays for a job twice nor shows a traceback, and the
next `pulumi up` carries on; a refusal ends the run with one line per job and region that
says what to do; no provider call outlives its time budget.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from providers.gcp.budget import BUDGET_VARIABLE
from tests.e2e.test_local_datasets import example
from tests.e2e.test_tuning_jobs import REGIONS, flash_job, jobs_named, state_of, vertex_jobs
from tests.support import chaos
from tests.support.chaos import RUN_SUMMARY, TRACEBACK, ChaosSettings, run_trial

ACCESS_ADVICE = ("grant the identity running Pulumi roles/aiplatform.user on the project (and actAs on the "
                 "job's service account), or sign in: gcloud auth application-default login")
INVALID_ADVICE = "fix the job file (or the stack's settings) and run `pulumi up` again"


def problems_of_failed_run(result) -> list[str]:
    """The problems a run reported, one a line, sorted; the run must have failed, and
    without a Python traceback."""
    assert result.returncode != 0
    assert TRACEBACK not in result.stdout + result.stderr
    return chaos.problems(result.stdout + result.stderr)


def injected(code: str, method: str) -> str:
    service = "GenAiTuningService" if "Tuning" in method else "EndpointService"
    return f"{code.upper()}: Injected fault: {code.upper()} for /google.cloud.aiplatform.v1.{service}/{method}."


@pytest.mark.parametrize("seed", [11, 12])
def test_a_blip_on_every_method_never_duplicates_a_job_nor_shows_a_traceback_and_the_next_up_converges(
    tmp_path, seed
):
    # 30% of all calls answer UNAVAILABLE: 2 served job files in 3 regions, submitted by
    # one `pulumi up` (and one more if need be), then served by one (and one more).
    trial = run_trial(tmp_path, seed, ChaosSettings(jobs=2, job_seconds=3, extra_runs=1))

    assert trial.duplicate_jobs == [] and trial.duplicate_endpoints == []
    assert [run.stage for run in trial.runs if run.has_traceback] == []
    assert trial.converged, "\n\n".join(run.output for run in trial.runs)
    faulted = [line for line in trial.rpc_log.splitlines() if '"UNAVAILABLE"' in line]
    assert len(faulted) > 20, "the faults were injected"


def test_a_lost_submission_answer_is_adopted_even_where_label_filters_find_nothing(start_emulator, make_project):
    # How Vertex reads `labels.gt-stack-id` (a hyphen may mean NOT in a filter) is nowhere
    # documented: in this mode every filtered listing answers nothing.
    emulator = start_emulator(quota=10, label_filters_find_nothing=True,
                              faults=["deadline_exceeded:CreateTuningJob:1:after"])
    project = make_project(emulator)
    project.write_job("triage", **flash_job(serving={}))

    project.up()
    project.up()

    [job] = vertex_jobs(emulator)
    assert project.job_output("triage")["vertexJob"] == job.name
    serving = [e for e in emulator.endpoint_client().list_endpoints(parent="projects/e2e-project/locations/us-central1")
               if e.labels.get("gt-role") == "serving"]
    assert [e.name for e in serving] == [project.job_output("triage")["servingEndpoint"]]


@pytest.mark.parametrize(("code", "advice"), [("permission_denied", ACCESS_ADVICE),
                                              ("invalid_argument", INVALID_ADVICE)], ids=["denied", "invalid"])
def test_a_refused_submission_ends_the_run_with_one_line_per_job_and_region(
    start_emulator, make_project, code, advice
):
    emulator = start_emulator(quota=10, faults=[f"{code}:CreateTuningJob:*"])
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS)))
    project.write_job("summaries", **flash_job(regions=list(REGIONS)))

    result = project.up(check=False)

    assert problems_of_failed_run(result) == sorted(
        f"jobs/{job}.yaml: {region}: submitting the tuning job: {injected(code, 'CreateTuningJob')}; {advice}"
        for job in ("triage", "summaries") for region in REGIONS)
    assert vertex_jobs(emulator) == []


def test_a_refused_serving_endpoint_ends_the_run_with_one_line_per_job_and_region(start_emulator, make_project):
    emulator = start_emulator(quota=10, faults=["permission_denied:CreateEndpoint:*"])
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS), serving={}))

    result = project.up(check=False)

    assert problems_of_failed_run(result) == sorted(
        f"jobs/triage.yaml: {region}: creating the serving endpoint: "
        f"{injected('permission_denied', 'CreateEndpoint')}; {ACCESS_ADVICE}" for region in REGIONS)
    assert len(jobs_named(emulator, "triage")) == len(REGIONS), "the tuning jobs went through"


def test_refused_reads_during_refresh_fail_the_run_in_one_line_per_resource(start_emulator, make_project):
    emulator = start_emulator(quota=10)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS)))
    project.up()

    refusing = start_emulator(on_state_of=emulator, faults=["permission_denied:ListTuningJobs:*"])
    project.use_emulator(refusing)
    result = project.up(check=False)

    # The wrapper in providers/resources/reporting.py shows a ReportedError as its line alone;
    # the stack's sweep, which reads every region, says so once, at the first it cannot read.
    denied = injected("permission_denied", "ListTuningJobs")
    assert problems_of_failed_run(result) == sorted([
        *(f"jobs/triage.yaml: {region}: {doing}: {denied}; {ACCESS_ADVICE}"
          for region in REGIONS for doing in ("reading the tuning job", "reading the job's earlier versions")),
        f"stack test: {sorted(REGIONS)[0]}: listing the stack's tuning jobs: {denied}; {ACCESS_ADVICE}"])


def test_a_refused_cancel_keeps_the_job_in_the_stack_says_so_in_one_line_and_the_next_up_cancels(
    start_emulator, make_project
):
    emulator = start_emulator(quota=10, cancel_seconds=0)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=list(REGIONS)))
    project.write_job("summaries", **flash_job())
    project.up()

    refusing = start_emulator(on_state_of=emulator, cancel_seconds=0,
                              faults=["permission_denied:CancelTuningJob:*"])
    project.use_emulator(refusing)
    project.remove_job("triage")
    result = project.up(check=False)

    assert problems_of_failed_run(result) == sorted(
        f"jobs/triage.yaml: {region}: cancelling the tuning job: "
        f"{injected('permission_denied', 'CancelTuningJob')}; {ACCESS_ADVICE}" for region in REGIONS)
    assert [state_of(j) for j in jobs_named(refusing, "triage")] in (["PENDING"] * 2, ["RUNNING"] * 2,
                                                                     ["PENDING", "RUNNING"], ["RUNNING", "PENDING"])

    granted = start_emulator(on_state_of=refusing, cancel_seconds=0)
    project.use_emulator(granted)
    project.up()

    assert [state_of(j) for j in jobs_named(granted, "triage")] == ["CANCELLED"] * 2
    assert "triage" not in project.outputs()["jobs"]


def provider_call_seconds(events: str) -> dict[tuple[str, str], int]:
    """(resource, step) -> seconds from its start to its end, from `pulumi up --json` events
    (whole seconds: Pulumi stamps events so), for the job files' resources."""
    started, seconds = {}, {}
    for event in map(json.loads, events.splitlines()):
        for kind in ("resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"):
            if kind in event and "dynamic/gemini-tuning:" in event[kind]["metadata"]["type"]:
                key = (event[kind]["metadata"]["urn"].rsplit("::", 1)[1], event[kind]["metadata"]["op"])
                if kind == "resourcePreEvent":
                    started[key] = event["timestamp"]
                else:
                    seconds[key] = event["timestamp"] - started[key]
    return seconds


def error_lines(events: str) -> list[str]:
    """The error diagnostics among `pulumi up --json` events."""
    return [event["diagnosticEvent"]["message"].strip() for event in map(json.loads, events.splitlines())
            if event.get("diagnosticEvent", {}).get("severity") == "error"]


def test_a_slow_vertex_never_keeps_a_provider_call_past_its_budget_and_the_next_up_finishes(
    start_emulator, make_project
):
    budget = 12  # seconds; no operation starts with less than 10 left
    # Operations never finish, and a quarter of all calls are held until the caller gives up.
    slow = start_emulator(quota=10, operation_polls=1_000_000, faults=["deadline_exceeded:*:25%:hang"],
                          fault_seed=3)
    project = make_project(slow)
    project.env[BUDGET_VARIABLE] = str(budget)
    # The dynamic-provider host serves 4 calls at a time (pulumi.dynamic.__main__); with more
    # operations in parallel the others wait in its queue, on Pulumi's clock, which no
    # budget of a call can see: users are told to run with 4.
    project.env["PULUMI_PARALLEL"] = "4"
    for name in ("triage", "summaries"):
        project.write_job(name, **flash_job(regions=list(REGIONS), serving={}))

    # The second run also refreshes what the first recorded, through the same slow Vertex.
    runs = [project.run("up", "--yes", "--skip-preview", "--json", check=False) for _ in range(2)]

    seconds = {key: s for run in runs for key, s in provider_call_seconds(run.stdout).items()}
    assert len(seconds) >= 12, seconds
    assert max(seconds.values()) <= budget + 2, seconds
    assert max(seconds.values()) >= budget - 2, "some calls ran until their budget was spent"
    assert all(TRACEBACK not in run.stdout + run.stderr for run in runs)
    lines = [line for run in runs for line in error_lines(run.stdout) if not RUN_SUMMARY.fullmatch(line)]
    assert lines, "the slowness failed some calls"
    for line in lines:
        # A job file's resources, or the stack's sweep (which reads every region).
        assert re.fullmatch(r"(jobs/(triage|summaries)\.yaml|stack test): (us-central1|europe-west4): [a-z' ]+[^:]*: "
                            r"DEADLINE_EXCEEDED: [^:;]+; (the next `pulumi up` carries on|"
                            r"Vertex AI did not answer in time; run `pulumi up` again)", line), line

    # By now Vertex has finished the operations the slow runs started, also those whose
    # answers never came back (their ids were recorded, so nothing is started twice).
    fast = start_emulator(quota=10, on_state_of=slow, operation_seconds=0)
    project.use_emulator(fast)
    project.up()

    outputs = project.outputs()["jobs"]
    for job in ("triage", "summaries"):
        for region in REGIONS:
            assert outputs[job][region]["vertexJob"] and outputs[job][region]["state"] in ("PENDING", "RUNNING")
            assert outputs[job][region]["servingStatus"] == "WAITING_FOR_TUNING"
            assert outputs[job][region]["servingEndpoint"]
    assert Counter((j.labels["gt-job"], j.name.split("/")[3]) for j in vertex_jobs(fast)) == {
        (job, region): 1 for job in ("triage", "summaries") for region in REGIONS}
    serving = [e for region in REGIONS
               for e in fast.endpoint_client().list_endpoints(parent=f"projects/e2e-project/locations/{region}")
               if e.labels.get("gt-role") == "serving"]
    assert Counter((e.labels["gt-job"], e.name.split("/")[3]) for e in serving) == {
        (job, region): 1 for job in ("triage", "summaries") for region in REGIONS}


MISSING_BUCKET_ADVICE = ("the bucket does not exist: create it (gcloud storage buckets create gs://no-such-bucket) "
                         "or name another with `pulumi config set gemini-tuning:datasetBucket BUCKET`")


@pytest.mark.parametrize(("storage", "bucket", "error", "advice"), [
    ("emulator", "no-such-bucket", "NOT_FOUND: ", MISSING_BUCKET_ADVICE),
    ("http://127.0.0.1:9", "e2e-datasets", "UNAVAILABLE: no answer from Cloud Storage (",  # nothing listens there
     "Cloud Storage did not answer in time; run `pulumi up` again"),
], ids=["missing-bucket", "unreachable"])
def test_a_failed_upload_ends_the_run_in_one_line_saying_what_to_do(
    start_emulator, make_project, storage_emulator, storage, bucket, error, advice
):
    emulator = start_emulator()
    project = make_project(emulator)
    project.use_storage(storage_emulator.url if storage == "emulator" else storage, bucket)
    project.env[BUDGET_VARIABLE] = "3"  # how long Cloud Storage's own retries may take
    project.write_file("data/train.jsonl", example("My invoice is wrong", "billing"))
    project.write_job("triage", baseModel="gemini-3.5-flash", trainingDataset="data/train.jsonl")

    result = project.up(check=False)

    [line] = problems_of_failed_run(result)
    assert re.fullmatch(rf"jobs/triage\.yaml: trainingDataset: uploading to gs://{bucket}/datasets/[0-9a-f]{{64}}/"
                        rf"train\.jsonl: {re.escape(error)}.*; {re.escape(advice)}", line), line
    assert vertex_jobs(emulator) == []
