"""The stack's sweep against the emulator, without the Pulumi engine: what the stack no longer
declares is stopped, nothing of another stack is touched, a settled stack shows no change."""

from __future__ import annotations

import json

from providers.resources.stack_sweep import StackSweepProvider
from providers.resources.tuning_job import TuningJobProvider

STACK_ID = "0123456789ab"
TRIAGE = {"job_file": "jobs/triage.yaml", "regions": ["us-central1"], "deletion_policy": "retain",
          "serving_deletion_policy": ""}


def sweep(declared: dict, complete: bool = True, stack_id: str = STACK_ID) -> dict:
    return {"declared": declared, "complete": complete, "project": "p", "pulumi_project": "gemini-tuning",
            "stack": "dev", "stack_id": stack_id}


def submitted(job: str = "triage", stack_id: str = STACK_ID) -> str:
    inputs = TuningJobProvider().check({}, {
        "job_file": f"jobs/{job}.yaml", "job_name": job, "project": "p", "region": "us-central1",
        "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": stack_id,
        "spec_json": json.dumps({"name": job, "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://b/t.jsonl"}),
    }).inputs
    return TuningJobProvider().create(inputs).outs["vertex_job_name"]


def states(emulator) -> dict[str, str]:
    return {job.name: job.state.name.removeprefix("JOB_STATE_")
            for job in emulator.tuning_client().list_tuning_jobs(parent="projects/p/locations/us-central1")}


def test_a_settled_stack_shows_no_change_and_an_added_job_an_update_that_calls_nothing(start):
    emulator = start(job_seconds=600, quota=2)
    submitted()
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    read = StackSweepProvider().read(created.id, created.outs)

    assert not StackSweepProvider().diff(created.id, read.outs, sweep({"triage": TRIAGE})).changes
    added = sweep({"triage": TRIAGE, "other": {**TRIAGE, "job_file": "jobs/other.yaml"}})
    assert StackSweepProvider().diff(created.id, read.outs, added).changes
    emulator.stop()  # the update finds nothing to stop: it calls nothing
    assert StackSweepProvider().update(created.id, read.outs, added).outs["failure"] == ""


def test_a_removed_job_is_cancelled_and_another_stacks_job_of_the_same_name_is_not(start):
    emulator = start(job_seconds=600, quota=2)
    mine, theirs = submitted(), submitted(stack_id="another-stack")
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    read = StackSweepProvider().read(created.id, created.outs)

    assert StackSweepProvider().diff(created.id, read.outs, sweep({})).changes
    updated = StackSweepProvider().update(created.id, read.outs, sweep({}))

    assert states(emulator) == {mine: "CANCELLING", theirs: "PENDING"}
    assert updated.outs["failure"] == "" and updated.outs["retiring"] == []
    assert f"cancelled {mine}" in updated.outs["status_message"]


def test_a_running_job_no_run_declared_is_cancelled_once_a_refresh_sees_it(start):
    # Submitted by a run that died, for a job whose file is gone since.
    emulator = start(job_seconds=600, quota=2)
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    ghost = submitted("ghost")

    read = StackSweepProvider().read(created.id, created.outs)
    assert read.outs["undeclared_running"] == [{"name": ghost, "job": "ghost", "region": "us-central1"}]
    assert StackSweepProvider().diff(created.id, read.outs, sweep({"triage": TRIAGE})).changes
    StackSweepProvider().update(created.id, read.outs, sweep({"triage": TRIAGE}))

    assert states(emulator) == {ghost: "CANCELLING"}


def test_in_a_plans_preview_around_broken_files_nothing_is_planned(start):
    start(job_seconds=600)
    submitted()
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))

    assert not StackSweepProvider().diff(created.id, created.outs, sweep({}, complete=False)).changes


def test_a_refused_cancel_is_one_line_and_the_next_run_tries_again(start):
    emulator = start(job_seconds=600, cancel_seconds=0)
    job = submitted()
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    refusing = start(on_state_of=emulator, job_seconds=600, cancel_seconds=0,
                     faults=["permission_denied:CancelTuningJob:*"])

    refused = StackSweepProvider().update(created.id, created.outs, sweep({}))
    assert refused.outs["failure"].startswith(
        "jobs/triage.yaml: us-central1: cancelling the tuning job: PERMISSION_DENIED: Injected fault")
    assert [entry["job"] for entry in refused.outs["retiring"]] == ["triage"]
    granted = start(on_state_of=refusing, job_seconds=600, cancel_seconds=0)
    read = StackSweepProvider().read(created.id, refused.outs)
    assert StackSweepProvider().diff(created.id, read.outs, sweep({})).changes
    done = StackSweepProvider().update(created.id, read.outs, sweep({}))

    assert done.outs["failure"] == "" and done.outs["retiring"] == []
    assert states(granted) == {job: "CANCELLED"}


def test_a_job_without_the_tools_job_label_is_never_stopped(start):
    # Someone else's job that happens to carry this stack's labels, but was not made by the tool.
    emulator = start(job_seconds=600)
    job = emulator.tuning_client().create_tuning_job(parent="projects/p/locations/us-central1", tuning_job={
        "base_model": "gemini-3.5-flash", "supervised_tuning_spec": {"training_dataset_uri": "gs://b/t.jsonl"},
        "labels": {"gt-managed-by": "gemini-tuning", "gt-stack": "dev", "gt-stack-id": STACK_ID}})

    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    read = StackSweepProvider().read(created.id, created.outs)

    assert states(emulator) == {job.name: "PENDING"}
    assert read.outs["undeclared_running"] == []


def test_a_declared_job_past_its_deadline_is_cancelled_by_the_sweep_and_its_tuning_job_reports_it_once(start):
    """The sweep acts before any check can refuse (a budget, a retired model), so a refusal
    elsewhere in the run keeps no job training past its deadline; the tuning job records the
    cancel as its own, reports it once, and does not submit the job again."""
    from providers.resources import deadlines
    from tests.resources.test_tuning_job_provider import inputs
    from tests.support.polling import wait_for

    emulator = start(job_seconds=600, quota=3, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 1}
    job = TuningJobProvider().create(news)
    theirs = submitted(stack_id="another-stack")
    limited = {"triage": {**TRIAGE, "max_duration_seconds": 1}}
    created = StackSweepProvider().create(sweep({"triage": TRIAGE}))
    wait_for(lambda: StackSweepProvider().read(created.id, {**created.outs, **sweep(limited)}).outs,
             lambda outs: outs["overdue"] != [], timeout=10)
    read = StackSweepProvider().read(created.id, {**created.outs, **sweep(limited)})

    assert StackSweepProvider().diff(created.id, read.outs, sweep(limited)).changes
    # Its deadline raised in the same run: nothing to stop.
    raised = StackSweepProvider().update(created.id, read.outs, sweep({"triage": {**TRIAGE, "max_duration_seconds": 3600}}))
    assert raised.outs["deadline_cancels"] == {} and states(emulator)[job.outs["vertex_job_name"]] != "CANCELLED"
    swept = StackSweepProvider().update(created.id, read.outs, sweep(limited)).outs
    mine = job.outs["vertex_job_name"]
    assert states(emulator) == {mine: "CANCELLED", theirs: "PENDING"}
    assert swept["deadline_cancels"][mine]["limit_seconds"] == 1 and swept["failure"] == ""
    assert f"cancelled {mine} of job triage at its deadline" in swept["status_message"]

    # The tuning job's next update (this run, or the first after a refusal is fixed).
    refreshed = TuningJobProvider().read(job.id, job.outs).outs
    told = {**news, "deadline_cancels": swept["deadline_cancels"]}
    assert TuningJobProvider().diff(job.id, refreshed, told).changes
    updated = TuningJobProvider().update(job.id, refreshed, told).outs
    assert updated["failure"].startswith("jobs/triage.yaml: us-central1: cancelled at its deadline: it ran ")
    assert updated["deadline_exceeded"]["vertex_job"] == mine and updated["state"] == "CANCELLED"
    later = TuningJobProvider().read(job.id, updated).outs
    assert not TuningJobProvider().diff(job.id, later, told).changes
    assert deadlines.overdue(later, 1, deadlines.now()) is None
    assert len(emulator.tuning_client().list_tuning_jobs(parent="projects/p/locations/us-central1").tuning_jobs) == 2
