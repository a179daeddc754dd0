"""Models through the GAPIC client: list, and delete once no endpoint serves them."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import ListModelsRequest, TuningJob
from google.protobuf import empty_pb2
from google.rpc import code_pb2

from tests.emulator.builders import OTHER_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator
from tests.emulator.scenarios import LABELLED, finish, new_endpoint, poll, start_deploy, tuned_job, undeploy


def model_of(job: TuningJob) -> str:
    return job.tuned_model.model.removesuffix("@1")


def undeploy_everywhere(local: LocalEmulator, model: str) -> None:
    for ref in local.models.get_model(name=model).deployed_models:
        undeploy(local, ref.endpoint, ref.deployed_model_id)


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("", ["nlp-prod", "nlp-dev", "vision"]),
        ('labels.team="nlp"', ["nlp-prod", "nlp-dev"]),
        ('labels.team="nlp" AND labels.env="prod"', ["nlp-prod"]),
        ("labels.env:*", ["nlp-prod", "nlp-dev"]),
        ("labels.team=robotics", []),
    ],
)
def test_list_models_filters_by_labels(local: LocalEmulator, filter_: str, expected: list[str]) -> None:
    for display_name, labels in LABELLED.items():
        local.tuning.create_tuning_job(
            parent=PARENT, tuning_job=tuning_job(tuned_model_display_name=display_name, labels=labels)
        )
    local.tuning.create_tuning_job(
        parent=OTHER_PARENT, tuning_job=tuning_job(tuned_model_display_name="elsewhere", labels={"team": "nlp"})
    )
    local.advance(JOB_SECONDS)

    listed = local.models.list_models(request=ListModelsRequest(parent=PARENT, filter=filter_))

    assert [model.display_name for model in listed] == expected


def test_list_models_pages_through_every_model_once(local: LocalEmulator) -> None:
    jobs = [local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()) for _ in range(5)]
    local.advance(JOB_SECONDS)
    created = [model_of(local.tuning.get_tuning_job(name=job.name)) for job in jobs]

    pager = local.models.list_models(request=ListModelsRequest(parent=PARENT, page_size=2))

    assert [[model.name for model in page.models] for page in pager.pages] == [
        created[0:2], created[2:4], created[4:5]
    ]


def test_a_deployed_model_cannot_be_deleted(local: LocalEmulator) -> None:
    job = tuned_job(local)
    model = local.models.get_model(name=model_of(job))

    with pytest.raises(exceptions.FailedPrecondition, match=f"is deployed .* {job.tuned_model.endpoint}"):
        local.models.delete_model(name=model.name)

    assert local.models.get_model(name=model.name) == model


def test_a_model_being_deployed_cannot_be_deleted(local: LocalEmulator) -> None:
    job = tuned_job(local)
    undeploy_everywhere(local, model_of(job))
    endpoint = new_endpoint(local)
    start_deploy(local, endpoint.name, job.tuned_model.model)

    with pytest.raises(exceptions.FailedPrecondition, match=f"being deployed .* {endpoint.name}"):
        local.models.delete_model(name=model_of(job))


def test_undeploy_then_delete_removes_the_model(local: LocalEmulator) -> None:
    job = tuned_job(local)
    undeploy_everywhere(local, model_of(job))

    result = finish(local.models.delete_model(name=model_of(job)))

    assert result == empty_pb2.Empty()
    for name in (model_of(job), job.tuned_model.model):
        with pytest.raises(exceptions.NotFound):
            local.models.get_model(name=name)
    assert list(local.models.list_models(parent=PARENT)) == []
    finish(local.endpoints.delete_endpoint(name=job.tuned_model.endpoint))
    assert list(local.endpoints.list_endpoints(parent=PARENT)) == []
    assert local.tuning.get_tuning_job(name=job.name).tuned_model == job.tuned_model, "the job keeps its record"


def test_a_deploy_that_completes_first_makes_a_pending_delete_fail(local: LocalEmulator) -> None:
    job = tuned_job(local)
    undeploy_everywhere(local, model_of(job))
    endpoint = new_endpoint(local)
    deleting = local.models.delete_model(name=model_of(job))
    deploying = start_deploy(local, endpoint.name, job.tuned_model.model)

    finish(deploying)

    with pytest.raises(exceptions.FailedPrecondition, match="is deployed"):
        finish(deleting)
    assert poll(local, deleting).error.code == code_pb2.FAILED_PRECONDITION
    assert local.models.get_model(name=model_of(job)).name == model_of(job)


def test_a_deploy_started_after_a_delete_makes_the_delete_fail(local: LocalEmulator) -> None:
    job = tuned_job(local)
    undeploy_everywhere(local, model_of(job))
    endpoint = new_endpoint(local)
    deleting = local.models.delete_model(name=model_of(job))
    deploying = start_deploy(local, endpoint.name, job.tuned_model.model)

    with pytest.raises(exceptions.FailedPrecondition, match="being deployed"):
        finish(deleting)

    deployed = finish(deploying).deployed_model
    assert deployed.model == model_of(job)
    assert [ref.deployed_model_id for ref in local.models.get_model(name=model_of(job)).deployed_models] == [
        deployed.id
    ]


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        (f"{PARENT}/models/1@1", exceptions.InvalidArgument, "without a version"),
        (f"{PARENT}/models/1", exceptions.NotFound, "does not exist"),
        (f"{PARENT}/endpoints/1", exceptions.InvalidArgument, "must look like"),
    ],
)
def test_delete_model_needs_an_existing_model_without_version(
    local: LocalEmulator, name: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        local.models.delete_model(name=name)
