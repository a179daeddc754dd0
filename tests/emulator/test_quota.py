"""The concurrent tuning job quota: global across projects and locations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import TuningJob

from tests.emulator.builders import OTHER_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, StartLocal


def test_quota_counts_jobs_in_every_location_and_project(start_local: StartLocal) -> None:
    local = start_local(quota=1)
    local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    with pytest.raises(exceptions.ResourceExhausted, match="concurrent tuning job quota is 1"):
        local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())

    assert list(local.tuning.list_tuning_jobs(parent=OTHER_PARENT)) == []
    assert len(list(local.tuning.list_tuning_jobs(parent=PARENT))) == 1


@pytest.mark.parametrize(
    ("share_of_duration", "frees_a_slot"),
    [(0.05, False), (0.5, False), (1.0, True)],
    ids=["pending", "running", "succeeded"],
)
def test_a_slot_frees_when_the_job_finishes(
    start_local: StartLocal, share_of_duration: float, frees_a_slot: bool
) -> None:
    local = start_local(quota=1)
    local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(JOB_SECONDS * share_of_duration)

    def create() -> TuningJob:
        return local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())

    if frees_a_slot:
        create()
    else:
        with pytest.raises(exceptions.ResourceExhausted):
            create()


def test_a_slot_frees_when_the_job_is_cancelled(start_local: StartLocal) -> None:
    local = start_local(quota=1)
    first = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    local.tuning.cancel_tuning_job(name=first.name)

    assert local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job()).name != first.name


@pytest.mark.parametrize("quota", [0, 1, 3])
def test_exactly_quota_jobs_can_run_at_once(start_local: StartLocal, quota: int) -> None:
    local = start_local(quota=quota)
    for _ in range(quota):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    with pytest.raises(exceptions.ResourceExhausted):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())


def test_concurrent_creates_never_exceed_the_quota(start_local: StartLocal) -> None:
    local = start_local(quota=3)

    def create(_: int) -> str:
        try:
            return local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name
        except exceptions.ResourceExhausted:
            return ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = [name for name in pool.map(create, range(12)) if name]

    assert len(created) == len(set(created)) == 3
    assert sorted(job.name for job in local.tuning.list_tuning_jobs(parent=PARENT)) == sorted(created)


def test_invalid_requests_are_reported_before_the_quota(start_local: StartLocal) -> None:
    local = start_local(quota=0)

    with pytest.raises(exceptions.InvalidArgument):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(base_model="unknown"))
