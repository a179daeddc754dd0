"""The sweep's cancels at the deadline against the emulator, without the Pulumi engine: a job a
killed run submitted is adopted and reported, never submitted again; a cancel held back by a
refusal is reported even after its deadline is removed; a deadline shortened in a refused run
is still held by the sweep. (From a second reading.)"""

from __future__ import annotations

from providers.resources.stack_sweep import StackSweepProvider
from providers.resources.tuning_job import TuningJobProvider
from tests.resources.test_stack_sweep_provider import TRIAGE, sweep
from tests.resources.test_tuning_job_provider import all_jobs, inputs
from tests.support.polling import wait_for

LIMITED = {"triage": {**TRIAGE, "max_duration_seconds": 1}}


def _sweep_overdue():
    """A run's sweep: refresh (sees the job past its 1 s deadline), then update (cancels it)."""
    created = StackSweepProvider().create(sweep(LIMITED))
    wait_for(lambda: StackSweepProvider().read(created.id, {**created.outs, **sweep(LIMITED)}).outs,
             lambda outs: outs["overdue"] != [], timeout=10)
    read = StackSweepProvider().read(created.id, {**created.outs, **sweep(LIMITED)})
    assert StackSweepProvider().diff(created.id, read.outs, sweep(LIMITED)).changes
    return StackSweepProvider().update(created.id, read.outs, sweep(LIMITED)).outs


def test_a_job_a_killed_run_submitted_past_its_deadline_is_not_submitted_again(start):
    """Promise 1. A run was killed after submitting (its state never recorded the job), and the
    job ran past its maxDuration before the next run, whose sweep, ordered first, cancels it:
    the tuning job's create adopts that cancelled job and reports it, and submits nothing."""
    emulator = start(job_seconds=600, quota=3, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 1}
    lost = TuningJobProvider().create(news).outs["vertex_job_name"]  # the killed run's submission

    swept = _sweep_overdue()
    assert lost in swept["deadline_cancels"]

    # The same run goes on to the job's tuning job, which has no state: Pulumi creates it.
    created = TuningJobProvider().create({**news, "deadline_cancels": swept["deadline_cancels"]}).outs

    assert [job.name for job in all_jobs(emulator)] == [lost], "the cancelled job was submitted again"
    assert created["vertex_job_name"] == lost and created["deadline_exceeded"]["vertex_job"] == lost
    assert created["failure"].startswith("jobs/triage.yaml: us-central1: cancelled at its deadline: it ran ")


def test_a_job_waiting_whose_lost_answer_left_a_job_past_its_deadline_is_not_submitted_again(start):
    """Promise 1, the same through `update`: the resource recorded NOT_SUBMITTED/waiting (the
    create's answer was lost, or quota), Vertex holds the job and it ran past its deadline. The
    sweep cancels it; the update adopts it instead of submitting a second job."""
    emulator = start(job_seconds=600, quota=3, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 1}
    first = TuningJobProvider().create(news)
    lost = first.outs["vertex_job_name"]
    # What the state says when the create's answer was lost after Vertex took the job.
    waiting = {**first.outs, "vertex_job_name": "", "state": "NOT_SUBMITTED", "create_time": ""}

    swept = _sweep_overdue()
    told = {**news, "deadline_cancels": swept["deadline_cancels"]}
    assert TuningJobProvider().diff(first.id, waiting, told).changes
    TuningJobProvider().update(first.id, waiting, told)

    assert [job.name for job in all_jobs(emulator)] == [lost], "the cancelled job was submitted again"


def test_a_sweep_cancel_held_back_is_still_reported_after_max_duration_is_removed(start):
    """A refusal held back the tuning job's update in the run the sweep cancelled the job at
    its deadline; before the refusal is fixed the file drops maxDuration. The tuning job still
    records the cancel and reports it (the `Job` passes the sweep's cancels to every job)."""
    start(job_seconds=600, quota=3, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 1}
    tracked = TuningJobProvider().create(news)
    swept = _sweep_overdue()

    without_deadline = {**news, "max_duration_seconds": 0, "deadline_cancels": swept["deadline_cancels"]}
    refreshed = TuningJobProvider().read(tracked.id, tracked.outs).outs
    assert TuningJobProvider().diff(tracked.id, refreshed, without_deadline).changes
    updated = TuningJobProvider().update(tracked.id, refreshed, without_deadline).outs
    assert updated["deadline_exceeded"]["vertex_job"] == tracked.outs["vertex_job_name"]
    assert "cancelled at its deadline" in updated["failure"]


def test_a_deadline_lowered_in_the_run_of_a_refusal_is_still_held_by_the_sweep(start):
    """The merge that lowers (or adds) a job's maxDuration below what it has already run also
    carries a refusal, which holds back the tuning job: the refresh judged the job by the old
    limit, so the sweep looks again where a deadline was shortened."""
    emulator = start(job_seconds=600, quota=3, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 3600}
    mine = TuningJobProvider().create(news).outs["vertex_job_name"]
    hour = {"triage": {**TRIAGE, "max_duration_seconds": 3600}}
    created = StackSweepProvider().create(sweep(hour))
    # Until the job has run past 1 s (what a refresh with the new limit would call overdue).
    wait_for(lambda: StackSweepProvider().read(created.id, {**created.outs, **sweep(LIMITED)}).outs,
             lambda outs: outs["overdue"] != [], timeout=10)
    read = StackSweepProvider().read(created.id, {**created.outs, **sweep(hour)})
    assert StackSweepProvider().diff(created.id, read.outs, sweep(LIMITED)).changes
    swept = StackSweepProvider().update(created.id, read.outs, sweep(LIMITED)).outs

    assert mine in swept["deadline_cancels"], "the job past its new deadline is left training"
