"""Create, get and list tuning jobs through the GAPIC client (cancelling: test_cancel)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import JobState, ListTuningJobsRequest, TunedModel, TuningJob

from tests.emulator.builders import NUMBERED_PARENT, OTHER_PARENT, PARENT, tuning_job
from tests.emulator.conftest import LocalEmulator, StartLocal


def job_id(job: TuningJob) -> int:
    return int(job.name.rsplit("/", 1)[1])


def test_create_returns_a_pending_job_named_under_the_parent(local: LocalEmulator) -> None:
    requested = tuning_job(description="first try", service_account="tuner@demo.iam.gserviceaccount.com")

    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=requested)

    assert job.name.startswith(f"{NUMBERED_PARENT}/tuningJobs/")
    assert job.name.rsplit("/", 1)[1].isdecimal()
    assert job.state == JobState.JOB_STATE_PENDING
    assert job.create_time == job.update_time == local.clock.now()
    assert "start_time" not in job and "end_time" not in job
    for field in ("base_model", "supervised_tuning_spec", "tuned_model_display_name", "description", "labels",
                  "service_account"):
        assert getattr(job, field) == getattr(requested, field), field


def test_create_ignores_output_fields_in_the_request(local: LocalEmulator) -> None:
    requested = tuning_job(
        name=f"{PARENT}/tuningJobs/42",
        state=JobState.JOB_STATE_SUCCEEDED,
        tuned_model=TunedModel(model=f"{PARENT}/models/1@1"),
        experiment="mine",
    )

    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=requested)

    assert job.name != requested.name
    assert job.state == JobState.JOB_STATE_PENDING
    assert "tuned_model" not in job
    assert job.experiment == ""


def test_get_returns_the_created_job(local: LocalEmulator) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    assert local.tuning.get_tuning_job(name=created.name) == created


def test_ids_are_numeric_and_increase_across_projects_and_locations(local: LocalEmulator) -> None:
    jobs = [
        local.tuning.create_tuning_job(parent=parent, tuning_job=tuning_job())
        for parent in (PARENT, OTHER_PARENT, PARENT)
    ]

    ids = [job_id(job) for job in jobs]
    assert ids == sorted(set(ids))


def test_list_returns_only_the_parents_jobs_oldest_first(local: LocalEmulator) -> None:
    first = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())
    local.advance(1)
    second = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    listed = list(local.tuning.list_tuning_jobs(parent=PARENT))

    assert [job.name for job in listed] == [first.name, second.name]


LABELLED_JOBS = {
    "nlp-prod": {"team": "nlp", "env": "prod"},
    "nlp-dev": {"team": "nlp", "env": "dev"},
    "vision": {"team": "vision", "note": "x_1-y"},
}


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("", ["nlp-prod", "nlp-dev", "vision"]),
        ('labels.team="nlp"', ["nlp-prod", "nlp-dev"]),
        ("labels.team=nlp", ["nlp-prod", "nlp-dev"]),
        ('labels.team="nlp" AND labels.env="dev"', ["nlp-dev"]),
        ("labels.team = nlp  AND  labels.env = prod", ["nlp-prod"]),
        ("labels.env:*", ["nlp-prod", "nlp-dev"]),
        ('labels.note="x_1-y"', ["vision"]),
        ('labels.team="nobody"', []),
        ('labels.team="nlp" AND labels.team="vision"', []),
    ],
)
def test_list_filters_by_labels(local: LocalEmulator, filter_: str, expected: list[str]) -> None:
    for display_name, labels in LABELLED_JOBS.items():
        local.tuning.create_tuning_job(
            parent=PARENT, tuning_job=tuning_job(tuned_model_display_name=display_name, labels=labels)
        )

    listed = local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, filter=filter_))

    assert [job.tuned_model_display_name for job in listed] == expected


@pytest.mark.parametrize("filter_", ["labels.team", 'state="JOB_STATE_RUNNING"', "labels.a=b OR labels.b=c",
                                     "labels.a=b AND"])
def test_list_rejects_unsupported_filters(local: LocalEmulator, filter_: str) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Unsupported filter"):
        local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, filter=filter_))


def test_list_pages_through_every_job_once(start_local: StartLocal) -> None:
    local = start_local(quota=10)
    created = [local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name for _ in range(5)]

    pages, token = [], ""
    while True:
        response = local.tuning.list_tuning_jobs(
            request=ListTuningJobsRequest(parent=PARENT, page_size=2, page_token=token)
        ).pages.__next__()
        pages.append([job.name for job in response.tuning_jobs])
        token = response.next_page_token
        if not token:
            break

    assert pages == [created[0:2], created[2:4], created[4:5]]
    pager = local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, page_size=2))
    assert [job.name for job in pager] == created


def test_a_page_token_is_only_valid_for_its_own_query(local: LocalEmulator) -> None:
    for _ in range(3):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    first_page = next(local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, page_size=1)).pages)

    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        local.tuning.list_tuning_jobs(
            request=ListTuningJobsRequest(
                parent=PARENT, page_size=1, filter="labels.team=support", page_token=first_page.next_page_token
            )
        )
    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, page_token="not-a-token"))


def test_list_rejects_a_negative_page_size(local: LocalEmulator) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="page_size"):
        local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, page_size=-1))
