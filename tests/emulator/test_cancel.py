"""Cancelling a tuning job: CANCELLING first, ended a few seconds later, as on Vertex AI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import JobState, TuningJob
from google.rpc import code_pb2

from emulator.tuning_lifecycle import CancelOutcome
from tests.emulator.builders import OTHER_REGION_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator, StartLocal
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

CANCEL_SECONDS = 3.0  # the emulator's default
PENDING_AT, RUNNING_AT = 0.05 * JOB_SECONDS, 0.5 * JOB_SECONDS


def cancelled_at(local: LocalEmulator, seconds_after_create: float) -> tuple[TuningJob, TuningJob]:
    """A job cancelled `seconds_after_create` after it was created, and what Get showed right after."""
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(seconds_after_create)
    local.tuning.cancel_tuning_job(name=job.name)
    return job, local.tuning.get_tuning_job(name=job.name)


@pytest.mark.parametrize("seconds_after_create", [PENDING_AT, RUNNING_AT], ids=["pending", "running"])
def test_cancel_moves_a_job_to_cancelling_and_ends_it_cancelled_later(
    local: LocalEmulator, seconds_after_create: float
) -> None:
    job, cancelling = cancelled_at(local, seconds_after_create)
    requested_at = local.clock.now()

    assert cancelling.state == JobState.JOB_STATE_CANCELLING
    assert cancelling.update_time == requested_at
    assert "end_time" not in cancelling and "error" not in cancelling
    local.advance(CANCEL_SECONDS - 0.001)
    assert local.tuning.get_tuning_job(name=job.name) == cancelling

    local.advance(0.001)
    cancelled = local.tuning.get_tuning_job(name=job.name)

    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert cancelled.end_time == cancelled.update_time == requested_at + timedelta(seconds=CANCEL_SECONDS)
    assert (cancelled.error.code, cancelled.error.message) == (code_pb2.CANCELLED, "CANCELED")
    assert ("start_time" in cancelled) == (seconds_after_create >= 0.1 * JOB_SECONDS)
    assert "tuned_model" not in cancelled
    local.advance(1000)
    assert local.tuning.get_tuning_job(name=job.name) == cancelled, "a cancelled job stays cancelled"
    assert [listed.name for listed in local.tuning.list_tuning_jobs(parent=PARENT)] == [job.name]


def test_a_cancel_is_dated_when_it_completed_not_when_noticed(local: LocalEmulator) -> None:
    job, cancelling = cancelled_at(local, RUNNING_AT)

    local.advance(1000)  # nobody looks until long after the cancel completed

    cancelled = local.tuning.get_tuning_job(name=job.name)
    assert cancelled.end_time == cancelling.update_time + timedelta(seconds=CANCEL_SECONDS)


def test_a_cancelling_job_holds_its_quota_slot_until_it_has_ended(start_local: StartLocal) -> None:
    local = start_local(quota=1)
    cancelled_at(local, RUNNING_AT)

    with pytest.raises(exceptions.ResourceExhausted):
        local.tuning.create_tuning_job(parent=OTHER_REGION_PARENT, tuning_job=tuning_job())
    local.advance(CANCEL_SECONDS)

    assert local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).state == JobState.JOB_STATE_PENDING


def test_cancelling_a_cancelling_job_again_is_accepted_and_changes_nothing(local: LocalEmulator) -> None:
    job, cancelling = cancelled_at(local, RUNNING_AT)
    local.advance(CANCEL_SECONDS / 2)

    local.tuning.cancel_tuning_job(name=job.name)

    assert local.tuning.get_tuning_job(name=job.name) == cancelling
    local.advance(CANCEL_SECONDS / 2)
    cancelled = local.tuning.get_tuning_job(name=job.name)
    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert cancelled.end_time == cancelling.update_time + timedelta(seconds=CANCEL_SECONDS)


@pytest.mark.parametrize("ended", ["succeeded", "cancelled"])
def test_cancel_of_an_ended_job_fails_precondition(local: LocalEmulator, ended: str) -> None:
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    if ended == "cancelled":
        local.tuning.cancel_tuning_job(name=job.name)
        local.advance(CANCEL_SECONDS)
    else:
        local.advance(JOB_SECONDS)
    before = local.tuning.get_tuning_job(name=job.name)

    with pytest.raises(exceptions.FailedPrecondition, match=f"JOB_STATE_{ended.upper()}"):
        local.tuning.cancel_tuning_job(name=job.name)

    assert local.tuning.get_tuning_job(name=job.name) == before


def test_with_no_cancel_delay_a_cancel_completes_at_once(start_local: StartLocal) -> None:
    local = start_local(cancel_delay=timedelta(0))

    job, cancelled = cancelled_at(local, RUNNING_AT)

    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert cancelled.end_time == local.clock.now()
    assert local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name != job.name


@pytest.mark.parametrize("seconds_after_create", [PENDING_AT, RUNNING_AT], ids=["pending", "running"])
def test_a_job_may_still_succeed_after_a_cancel_request(start_local: StartLocal, seconds_after_create: float) -> None:
    local = start_local(cancel_outcome=CancelOutcome.SUCCEEDED)
    job, cancelling = cancelled_at(local, seconds_after_create)
    assert cancelling.state == JobState.JOB_STATE_CANCELLING

    local.advance(CANCEL_SECONDS)
    done = local.tuning.get_tuning_job(name=job.name)

    assert done.state == JobState.JOB_STATE_SUCCEEDED
    assert "error" not in done
    assert done.end_time == cancelling.update_time + timedelta(seconds=CANCEL_SECONDS)
    assert done.create_time < done.start_time <= done.end_time
    assert done.tuning_data_stats.supervised_tuning_data_stats.tuning_dataset_example_count > 0
    model = local.models.get_model(name=done.tuned_model.model)
    assert model.create_time == done.end_time
    [deployed] = local.endpoints.get_endpoint(name=done.tuned_model.endpoint).deployed_models
    assert deployed.model == model.name


def test_a_cancelling_job_survives_kill_9_and_ends_on_time(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorProcess(state_file, job_seconds=3600, cancel_seconds=1) as first:
        tuning = first.tuning_client()
        job = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        tuning.cancel_tuning_job(name=job.name)
        cancelling = tuning.get_tuning_job(name=job.name)
        first.kill()
    assert cancelling.state == JobState.JOB_STATE_CANCELLING

    with EmulatorProcess(state_file, job_seconds=3600, cancel_seconds=1) as second:
        tuning = second.tuning_client()
        cancelled = wait_for(
            lambda: tuning.get_tuning_job(name=job.name), lambda job: job.state == JobState.JOB_STATE_CANCELLED
        )

    assert cancelled.end_time == cancelling.update_time + timedelta(seconds=1)
