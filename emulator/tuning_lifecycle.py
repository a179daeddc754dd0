"""The life of a tuning job: PENDING -> RUNNING -> SUCCEEDED, or FAILED, or CANCELLING -> CANCELLED.

A job's state is a function of stored times, the clock and the settings
(`Timeline`): PENDING for the first tenth of the job duration, RUNNING (with its
experiment and data statistics) until the duration has passed, then SUCCEEDED
with what `emulator.tuning_results` registers: a model version, the endpoints
serving its checkpoints, evaluation runs. A job whose data set is bad
(`JobPlan.data_problem`) goes from PENDING to FAILED instead, at the moment it
would have started running.

Cancelling is asynchronous, as on Vertex AI: a cancel request moves an active
job to CANCELLING (it keeps its quota slot), and the cancel completes
`Timeline.cancel_delay` after the request. It then ends CANCELLED, or, with
`CancelOutcome.SUCCEEDED`, SUCCEEDED as if the request had come too late —
Vertex documents that a job may still succeed after a cancel request.

Transitions are dated when they were due, not when they were noticed, so the
result does not depend on how often anyone looks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from google.cloud.aiplatform_v1 import JobState, TuningDataStats, TuningJob
from google.rpc import code_pb2, status_pb2

from emulator.data_stats import epochs_of, invented_stats
from emulator.evaluation import EvaluationScores
from emulator.experiments import experiment_of
from emulator.store import JobPlan, State
from emulator.tuning_results import register_results

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_CANCEL_DELAY",
    "PENDING_SHARE",
    "CancelOutcome",
    "Timeline",
    "advance_tuning_jobs",
    "is_active",
    "request_cancel",
]

# States that hold a slot of the concurrent tuning job quota.
ACTIVE_STATES = frozenset(
    {
        JobState.JOB_STATE_QUEUED,
        JobState.JOB_STATE_PENDING,
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_CANCELLING,
        JobState.JOB_STATE_PAUSED,
        JobState.JOB_STATE_UPDATING,
    }
)
PENDING_SHARE = 0.1
"""Share of the job duration a new job spends PENDING before it starts RUNNING."""
DEFAULT_CANCEL_DELAY = timedelta(seconds=3)


class CancelOutcome(enum.Enum):
    """How a job ends once its cancel completes."""

    CANCELLED = "cancelled"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class Timeline:
    """How long the stages of a job's life take."""

    duration: timedelta
    """From creating a job until it has SUCCEEDED."""

    cancel_delay: timedelta = DEFAULT_CANCEL_DELAY
    """From a cancel request until the job has ended (0: at once)."""

    cancel_outcome: CancelOutcome = CancelOutcome.CANCELLED

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("the job duration must be positive")
        if self.cancel_delay < timedelta(0):
            raise ValueError("the cancel delay must not be negative")


def is_active(job: TuningJob) -> bool:
    return job.state in ACTIVE_STATES


def advance_tuning_jobs(
    state: State, now: datetime, timeline: Timeline, scores: EvaluationScores = EvaluationScores()
) -> None:
    """Move every job the emulator drives to the state it has reached by `now`.

    `scores`: what evaluations report for jobs that succeed (see `emulator.evaluation`).
    """
    for job in state.tuning_jobs.values():
        if is_active(job):
            _advance(state, job, now, timeline, scores)


def request_cancel(
    state: State, job: TuningJob, now: datetime, timeline: Timeline, scores: EvaluationScores = EvaluationScores()
) -> None:
    """Accept a cancel request for an active job: CANCELLING now, ended `timeline.cancel_delay` later."""
    plan = state.job_plans.get(job.name) or JobPlan(name=job.name)
    state.job_plans.put(replace(plan, cancel_requested_time=now))
    job.state = JobState.JOB_STATE_CANCELLING
    job.update_time = now
    state.tuning_jobs.put(job)
    _advance(state, job, now, timeline, scores)


def _advance(state: State, job: TuningJob, now: datetime, timeline: Timeline, scores: EvaluationScores) -> None:
    plan = state.job_plans.get(job.name) or JobPlan(name=job.name)
    running_at = job.create_time + timeline.duration * PENDING_SHARE
    finished_at = job.create_time + timeline.duration
    before = job.state
    if job.state == JobState.JOB_STATE_CANCELLING and plan.cancel_requested_time is not None:
        cancelled_at = plan.cancel_requested_time + timeline.cancel_delay
        if now >= cancelled_at:
            _end_cancel(state, job, plan, running_at, cancelled_at, timeline.cancel_outcome, scores)
    if job.state == JobState.JOB_STATE_PENDING and now >= running_at:
        _start_or_fail(job, plan, running_at)
    if job.state == JobState.JOB_STATE_RUNNING and now >= finished_at:
        _succeed(state, job, finished_at, scores)
    if job.state == before:
        return
    state.tuning_jobs.put(job)
    if not is_active(job) and job.name in state.job_plans:
        state.job_plans.remove(job.name)


def _end_cancel(
    state: State, job: TuningJob, plan: JobPlan, running_at: datetime, at: datetime, outcome: CancelOutcome,
    scores: EvaluationScores,
) -> None:
    if outcome is CancelOutcome.CANCELLED:
        _cancel(job, at)
        return
    # The job ran on behind the CANCELLING state: it started (or failed to) when due, or as the cancel completed.
    if "start_time" not in job:
        _start_or_fail(job, plan, min(running_at, at))
    if job.state != JobState.JOB_STATE_FAILED:
        _succeed(state, job, at, scores)


def _start_or_fail(job: TuningJob, plan: JobPlan, at: datetime) -> None:
    if plan.data_problem:
        _fail(job, at, plan.data_problem)
    else:
        _start(job, plan, at)


def _fail(job: TuningJob, at: datetime, message: str) -> None:
    """End a job as FAILED with an INVALID_ARGUMENT error, as Vertex reports bad input data."""
    job.state = JobState.JOB_STATE_FAILED
    job.end_time = at
    job.update_time = at
    job.error = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message)


def _cancel(job: TuningJob, at: datetime) -> None:
    """End a job as CANCELLED, the way Vertex AI reports it."""
    job.state = JobState.JOB_STATE_CANCELLED
    job.end_time = at
    job.update_time = at
    job.error = status_pb2.Status(code=code_pb2.CANCELLED, message="CANCELED")


def _start(job: TuningJob, plan: JobPlan, at: datetime) -> None:
    job.state = JobState.JOB_STATE_RUNNING
    job.start_time = at
    job.update_time = at
    job.experiment = experiment_of(job.name)
    # What Vertex reports once it has read the data; invented if the emulator could not read it.
    stats = plan.data_stats or invented_stats(job.name.rsplit("/", 1)[1], epochs_of(job))
    job.tuning_data_stats = TuningDataStats(supervised_tuning_data_stats=stats)


def _succeed(state: State, job: TuningJob, at: datetime, scores: EvaluationScores) -> None:
    register_results(state, job, at, scores)
    job.state = JobState.JOB_STATE_SUCCEEDED
    job.end_time = at
    job.update_time = at
