"""The concurrent tuning job quota: per project, across its locations, with Google's error details."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import TuningJob
from google.rpc import error_details_pb2

from tests.emulator.builders import (
    NUMBERED_PARENT,
    OTHER_PARENT,
    OTHER_PROJECT,
    OTHER_REGION_PARENT,
    PARENT,
    PROJECT,
    PROJECT_NUMBERS,
    tuning_job,
)
from tests.emulator.conftest import JOB_SECONDS, StartLocal


def quota_error(start_local: StartLocal, **settings: object) -> exceptions.ResourceExhausted:
    """The error of a create in PARENT's project once it is out of quota."""
    local = start_local(**settings)
    with pytest.raises(exceptions.ResourceExhausted) as raised:
        while True:
            local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    return raised.value


@pytest.mark.parametrize("second_parent", [OTHER_REGION_PARENT, NUMBERED_PARENT], ids=["other-region", "by-number"])
def test_quota_counts_the_jobs_of_every_location_of_the_project(start_local: StartLocal, second_parent: str) -> None:
    local = start_local(quota=1)
    local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    with pytest.raises(exceptions.ResourceExhausted, match="Quota exceeded"):
        local.tuning.create_tuning_job(parent=second_parent, tuning_job=tuning_job())

    assert list(local.tuning.list_tuning_jobs(parent=OTHER_REGION_PARENT)) == []
    assert len(list(local.tuning.list_tuning_jobs(parent=PARENT))) == 1


def test_each_project_has_a_quota_of_its_own(start_local: StartLocal) -> None:
    local = start_local(quota=1)
    local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    other = local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())

    assert other.name.startswith(f"projects/{PROJECT_NUMBERS[OTHER_PROJECT]}/")


def test_a_project_quota_replaces_the_default_for_that_project_only(start_local: StartLocal) -> None:
    local = start_local(quota=1, project_quotas={PROJECT_NUMBERS[PROJECT]: 3})

    for _ in range(3):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())

    with pytest.raises(exceptions.ResourceExhausted):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    with pytest.raises(exceptions.ResourceExhausted):
        local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())


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
        return local.tuning.create_tuning_job(parent=OTHER_REGION_PARENT, tuning_job=tuning_job())

    if frees_a_slot:
        create()
    else:
        with pytest.raises(exceptions.ResourceExhausted):
            create()


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


@pytest.mark.parametrize("quota", [2, 0])
def test_the_quota_error_carries_googles_error_details(start_local: StartLocal, quota: int) -> None:
    number = PROJECT_NUMBERS[PROJECT]

    error = quota_error(start_local, quota=5, project_quotas={number: quota})

    assert (error.reason, error.domain) == ("RESOURCE_QUOTA_EXCEEDED", "googleapis.com")
    assert error.metadata == {
        "service": "aiplatform.googleapis.com",
        "consumer": f"projects/{number}",
        "quota_metric": "aiplatform.googleapis.com/concurrent_tuning_jobs",
        "quota_limit": "ConcurrentTuningJobsPerProject",
        "quota_limit_value": str(quota),
    }
    [failure] = [detail for detail in error.details if isinstance(detail, error_details_pb2.QuotaFailure)]
    [violation] = failure.violations
    assert (violation.subject, violation.quota_metric, violation.quota_value) == (
        f"project_number:{number}", "aiplatform.googleapis.com/concurrent_tuning_jobs", quota)
    assert error.message.startswith(
        "Quota exceeded for quota metric 'aiplatform.googleapis.com/concurrent_tuning_jobs' and limit "
        f"'Concurrent tuning jobs per project' of service 'aiplatform.googleapis.com' for consumer "
        f"'project_number:{number}'."
    )
    if quota:
        assert f"{quota} of {quota} concurrent tuning job(s) are active ({NUMBERED_PARENT}/tuningJobs/" in error.message
    else:
        assert "The project has no tuning quota" in error.message
