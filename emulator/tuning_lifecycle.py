"""The life of a tuning job: PENDING -> RUNNING -> SUCCEEDED, or FAILED, or CANCELLING -> CANCELLED.

A job's state is a function of stored times, the clock and the settings
(`Timeline`): PENDING for the first tenth of the job duration, RUNNING until
the duration has passed, then SUCCEEDED with a registered model and an
endpoint serving it. A job whose data set is bad (`JobPlan.data_problem`) goes
from PENDING to FAILED instead, at the moment it would have started running.

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
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.cloud.aiplatform_v1 import (
    DeployedModel,
    DeployedModelRef,
    Endpoint,
    JobState,
    Model,
    SupervisedTuningDataStats,
    TunedModel,
    TuningDataStats,
    TuningJob,
)
from google.rpc import code_pb2, status_pb2

from emulator import names
from emulator.base_models import base_model_id
from emulator.store import JobPlan, State

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

_TUNED_MODEL_VERSION = "1"
_TRAINING_BATCH_SIZE = 16
_DEFAULT_EPOCHS = 4


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


def advance_tuning_jobs(state: State, now: datetime, timeline: Timeline) -> None:
    """Move every job the emulator drives to the state it has reached by `now`."""
    for job in state.tuning_jobs.values():
        if is_active(job):
            _advance(state, job, now, timeline)


def request_cancel(state: State, job: TuningJob, now: datetime, timeline: Timeline) -> None:
    """Accept a cancel request for an active job: CANCELLING now, ended `timeline.cancel_delay` later."""
    plan = state.job_plans.get(job.name) or JobPlan(name=job.name)
    state.job_plans.put(JobPlan(name=job.name, data_problem=plan.data_problem, cancel_requested_time=now))
    job.state = JobState.JOB_STATE_CANCELLING
    job.update_time = now
    state.tuning_jobs.put(job)
    _advance(state, job, now, timeline)


def _advance(state: State, job: TuningJob, now: datetime, timeline: Timeline) -> None:
    plan = state.job_plans.get(job.name) or JobPlan(name=job.name)
    running_at = job.create_time + timeline.duration * PENDING_SHARE
    finished_at = job.create_time + timeline.duration
    before = job.state
    if job.state == JobState.JOB_STATE_CANCELLING and plan.cancel_requested_time is not None:
        cancelled_at = plan.cancel_requested_time + timeline.cancel_delay
        if now >= cancelled_at:
            _end_cancel(state, job, plan, running_at, cancelled_at, timeline.cancel_outcome)
    if job.state == JobState.JOB_STATE_PENDING and now >= running_at:
        _start_or_fail(job, plan, running_at)
    if job.state == JobState.JOB_STATE_RUNNING and now >= finished_at:
        _succeed(state, job, finished_at)
    if job.state == before:
        return
    state.tuning_jobs.put(job)
    if not is_active(job) and job.name in state.job_plans:
        state.job_plans.remove(job.name)


def _end_cancel(
    state: State, job: TuningJob, plan: JobPlan, running_at: datetime, at: datetime, outcome: CancelOutcome
) -> None:
    if outcome is CancelOutcome.CANCELLED:
        _cancel(job, at)
        return
    # The job ran on behind the CANCELLING state: it started (or failed to) when due, or as the cancel completed.
    if "start_time" not in job:
        _start_or_fail(job, plan, min(running_at, at))
    if job.state != JobState.JOB_STATE_FAILED:
        _succeed(state, job, at)


def _start_or_fail(job: TuningJob, plan: JobPlan, at: datetime) -> None:
    if plan.data_problem:
        _fail(job, at, plan.data_problem)
    else:
        _start(job, at)


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


def _start(job: TuningJob, at: datetime) -> None:
    job.state = JobState.JOB_STATE_RUNNING
    job.start_time = at
    job.update_time = at
    location = names.parse_child(job.name, "tuningJobs")
    job_id = job.name.rsplit("/", 1)[1]
    job.experiment = f"{location.name}/metadataStores/default/contexts/tuning-experiment-{job_id}"
    job.tuning_data_stats = TuningDataStats(supervised_tuning_data_stats=_data_stats(job, job_id))


def _data_stats(job: TuningJob, job_id: str) -> SupervisedTuningDataStats:
    # The emulator never reads the data set; seeded by the job id, the numbers
    # are plausible and stay the same every time the job is looked at.
    rng = random.Random(job_id)
    examples = rng.randint(100, 2000)
    tokens_per_example = rng.randint(150, 900)
    epochs = job.supervised_tuning_spec.hyper_parameters.epoch_count or _DEFAULT_EPOCHS
    return SupervisedTuningDataStats(
        tuning_dataset_example_count=examples,
        total_billable_token_count=examples * tokens_per_example * epochs,
        tuning_step_count=epochs * math.ceil(examples / _TRAINING_BATCH_SIZE),
        total_truncated_example_count=0,
    )


def _succeed(state: State, job: TuningJob, at: datetime) -> None:
    location = names.parse_child(job.name, "tuningJobs")
    display_name = job.tuned_model_display_name or base_model_id(job.base_model)
    model_name = location.child("models", state.new_id())
    endpoint_name = location.child("endpoints", state.new_id())
    deployed_model_id = state.new_id()

    model = Model(
        name=model_name,
        version_id=_TUNED_MODEL_VERSION,
        version_aliases=["default"],
        display_name=display_name,
        labels=dict(job.labels),
        create_time=at,
        update_time=at,
        version_create_time=at,
        version_update_time=at,
        deployed_models=[DeployedModelRef(endpoint=endpoint_name, deployed_model_id=deployed_model_id)],
    )
    endpoint = Endpoint(
        name=endpoint_name,
        display_name=display_name,
        labels=dict(job.labels),
        create_time=at,
        update_time=at,
        deployed_models=[
            DeployedModel(
                id=deployed_model_id,
                model=model_name,
                model_version_id=_TUNED_MODEL_VERSION,
                display_name=display_name,
                create_time=at,
            )
        ],
        traffic_split={deployed_model_id: 100},
    )
    if "encryption_spec" in job:
        model.encryption_spec = job.encryption_spec
        endpoint.encryption_spec = job.encryption_spec
    state.models.put(model)
    state.endpoints.put(endpoint)

    job.state = JobState.JOB_STATE_SUCCEEDED
    job.end_time = at
    job.update_time = at
    job.tuned_model = TunedModel(model=f"{model_name}@{_TUNED_MODEL_VERSION}", endpoint=endpoint_name)
