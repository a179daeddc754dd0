"""The life of a tuning job: PENDING -> RUNNING -> SUCCEEDED, or CANCELLED.

A job's state is a function of its create time, the clock and the configured
job duration: PENDING for the first tenth of the duration, RUNNING until the
duration has passed, then SUCCEEDED with a registered model and an endpoint
serving it. Transitions are dated when they were due, not when they were
noticed, so the result does not depend on how often anyone looks.
"""

from __future__ import annotations

import math
import random
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
from emulator.rules import base_model_id
from emulator.store import State

__all__ = ["ACTIVE_STATES", "PENDING_SHARE", "advance_tuning_jobs", "cancel", "fail", "is_active"]

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

_TUNED_MODEL_VERSION = "1"
_TRAINING_BATCH_SIZE = 16
_DEFAULT_EPOCHS = 4


def is_active(job: TuningJob) -> bool:
    return job.state in ACTIVE_STATES


def advance_tuning_jobs(state: State, now: datetime, duration: timedelta) -> None:
    """Move every job the emulator drives to the state it has reached by `now`."""
    for job in state.tuning_jobs.values():
        if job.state not in (JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING):
            continue
        running_at = job.create_time + duration * PENDING_SHARE
        finished_at = job.create_time + duration
        before = job.state
        if job.state == JobState.JOB_STATE_PENDING and now >= running_at:
            _start(job, running_at)
        if job.state == JobState.JOB_STATE_RUNNING and now >= finished_at:
            _succeed(state, job, finished_at)
        if job.state != before:
            state.tuning_jobs.put(job)


def fail(job: TuningJob, now: datetime, message: str) -> None:
    """End a job as FAILED with an INVALID_ARGUMENT error, as Vertex reports bad input data."""
    job.state = JobState.JOB_STATE_FAILED
    job.end_time = now
    job.update_time = now
    job.error = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message)


def cancel(job: TuningJob, now: datetime) -> None:
    """End an active job as CANCELLED, the way Vertex AI reports it."""
    job.state = JobState.JOB_STATE_CANCELLED
    job.end_time = now
    job.update_time = now
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
