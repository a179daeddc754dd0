"""Project numbers: names handed out carry them, as on Vertex AI; requests may use id or number."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    DeployedModel,
    Endpoint,
    JobState,
    ListTuningJobsRequest,
    UpdateEndpointRequest,
)
from google.protobuf import field_mask_pb2

from emulator.projects import ProjectNumbers, default_project_number
from tests.emulator.builders import NUMBERED_PARENT, PARENT, PROJECT, PROJECT_NUMBERS, tuning_job
from tests.emulator.conftest import LocalEmulator
from tests.emulator.scenarios import deploy, finish, tuned_job, undeploy
from tests.support.emulator_process import REPO_ROOT, EmulatorProcess

NUMBER = PROJECT_NUMBERS[PROJECT]
NAMED_BY_NUMBER = re.compile(rf"projects/{NUMBER}/locations/us-central1/.+")


def named_by(form: str, name: str) -> str:
    """`name` with its project given by id or by number."""
    return name.replace(NUMBERED_PARENT, PARENT) if form == "id" else name


def test_every_name_handed_out_carries_the_project_number(local: LocalEmulator) -> None:
    job = tuned_job(local)
    model = local.models.get_model(name=job.tuned_model.model)
    own_endpoint = local.endpoints.get_endpoint(name=job.tuned_model.endpoint)
    creating = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="canary"))
    endpoint = finish(creating)
    deploying = local.endpoints.deploy_model(
        endpoint=named_by("id", endpoint.name), deployed_model=DeployedModel(model=named_by("id", model.name))
    )
    deployed = finish(deploying).deployed_model

    handed_out = [
        job.name, job.experiment, job.tuned_model.model, job.tuned_model.endpoint,
        model.name, *(ref.endpoint for ref in local.models.get_model(name=model.name).deployed_models),
        own_endpoint.name, own_endpoint.deployed_models[0].model,
        creating.operation.name, endpoint.name, deploying.operation.name, deployed.model,
        *(listed.name for listed in local.tuning.list_tuning_jobs(parent=PARENT)),
        *(listed.name for listed in local.models.list_models(parent=PARENT)),
        *(listed.name for listed in local.endpoints.list_endpoints(parent=PARENT)),
    ]
    assert [name for name in handed_out if not NAMED_BY_NUMBER.fullmatch(name)] == []


@pytest.mark.parametrize("form", ["id", "number"])
def test_every_request_may_name_the_project_by_id_or_by_number(local: LocalEmulator, form: str) -> None:
    job = tuned_job(local)
    model = job.tuned_model.model.removesuffix("@1")
    parent = named_by(form, NUMBERED_PARENT)

    assert local.tuning.get_tuning_job(name=named_by(form, job.name)) == job
    assert [listed.name for listed in local.tuning.list_tuning_jobs(parent=parent)] == [job.name]
    assert local.models.get_model(name=named_by(form, job.tuned_model.model)).name == model
    assert [listed.name for listed in local.models.list_models(parent=parent)] == [model]
    assert local.endpoints.get_endpoint(name=named_by(form, job.tuned_model.endpoint)).name == job.tuned_model.endpoint
    endpoint = finish(local.endpoints.create_endpoint(parent=parent, endpoint=Endpoint(display_name="canary")))
    assert [listed.name for listed in local.endpoints.list_endpoints(parent=parent)] == [
        job.tuned_model.endpoint, endpoint.name]

    deployed = deploy(local, named_by(form, endpoint.name), named_by(form, job.tuned_model.model))
    assert deployed.model == model
    local.endpoints.update_endpoint(request=UpdateEndpointRequest(
        endpoint=Endpoint(name=named_by(form, endpoint.name), display_name="renamed"),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"])))
    assert local.endpoints.get_endpoint(name=endpoint.name).display_name == "renamed"
    undeploy(local, named_by(form, endpoint.name), deployed.id)
    deleting = local.endpoints.delete_endpoint(name=named_by(form, endpoint.name))
    assert local.operations.get_operation(name=named_by(form, deleting.operation.name)).name == deleting.operation.name
    finish(deleting)
    with pytest.raises(exceptions.NotFound):
        local.endpoints.get_endpoint(name=endpoint.name)

    undeploy(local, named_by(form, job.tuned_model.endpoint), local.endpoints.get_endpoint(
        name=job.tuned_model.endpoint).deployed_models[0].id)
    finish(local.models.delete_model(name=named_by(form, model)))
    with pytest.raises(exceptions.NotFound):
        local.models.get_model(name=model)

    active = local.tuning.create_tuning_job(parent=parent, tuning_job=tuning_job())
    local.tuning.cancel_tuning_job(name=named_by(form, active.name))
    assert local.tuning.get_tuning_job(name=active.name).state == JobState.JOB_STATE_CANCELLING


def test_an_endpoint_id_is_taken_whichever_way_the_project_is_named(local: LocalEmulator) -> None:
    finish(local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="a"), endpoint_id="mine"))

    with pytest.raises(exceptions.AlreadyExists, match=f"{NUMBERED_PARENT}/endpoints/mine"):
        local.endpoints.create_endpoint(parent=NUMBERED_PARENT, endpoint=Endpoint(display_name="b"), endpoint_id="mine")


def test_a_page_token_holds_for_either_form_of_the_parent(local: LocalEmulator) -> None:
    created = [local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name for _ in range(2)]
    first = next(local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(parent=PARENT, page_size=1)).pages)

    second = next(local.tuning.list_tuning_jobs(request=ListTuningJobsRequest(
        parent=NUMBERED_PARENT, page_size=1, page_token=first.next_page_token)).pages)

    assert [job.name for job in [*first.tuning_jobs, *second.tuning_jobs]] == created


def test_a_number_without_a_known_id_is_a_project_of_its_own(local: LocalEmulator) -> None:
    parent = "projects/555000555000/locations/us-central1"

    job = local.tuning.create_tuning_job(parent=parent, tuning_job=tuning_job())

    assert job.name.startswith(f"{parent}/tuningJobs/")
    assert [listed.name for listed in local.tuning.list_tuning_jobs(parent=parent)] == [job.name]
    assert list(local.tuning.list_tuning_jobs(parent=PARENT)) == []


@pytest.mark.parametrize("project_id", ["demo-project", "a", "my-project-123456", "example.com:tuning"])
def test_a_default_number_has_12_digits_and_is_the_same_in_every_process(project_id: str) -> None:
    number = default_project_number(project_id)

    in_another_process = subprocess.run(
        [sys.executable, "-c", f"from emulator.projects import default_project_number as n; print(n({project_id!r}))"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()

    assert re.fullmatch(r"[1-9][0-9]{11}", number)
    assert in_another_process == number


def test_different_ids_get_different_default_numbers() -> None:
    ids = [f"project-{index}" for index in range(1000)]

    assert len({default_project_number(project_id) for project_id in ids}) == len(ids)


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        ({"123": "456"}, "'123' is not a project id"),
        ({"demo": "0123"}, "is not a project number"),
        ({"demo": "12a"}, "is not a project number"),
        ({"demo": "42", "other": "42"}, "demo and other cannot both have number 42"),
    ],
)
def test_a_project_number_table_must_be_one_to_one(configured: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProjectNumbers(configured)


def test_the_command_line_sets_project_numbers(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", project_numbers={PROJECT: "42"}) as emulator:
        tuning = emulator.tuning_client()
        job = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        other = tuning.create_tuning_job(parent="projects/not-configured/locations/us-central1",
                                         tuning_job=tuning_job())

        assert job.name.startswith("projects/42/locations/us-central1/tuningJobs/")
        assert tuning.get_tuning_job(name=job.name.replace("projects/42/", f"projects/{PROJECT}/")) == job
        assert other.name.startswith(f"projects/{default_project_number('not-configured')}/")


def test_the_project_quota_flag_takes_an_id_or_a_number(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", quota=1, project_numbers={PROJECT: "42"},
                         project_quotas={PROJECT: 0, "77": 2}) as emulator:
        tuning = emulator.tuning_client()

        with pytest.raises(exceptions.ResourceExhausted) as refused:
            tuning.create_tuning_job(parent="projects/42/locations/us-central1", tuning_job=tuning_job())
        for _ in range(2):
            tuning.create_tuning_job(parent="projects/77/locations/us-central1", tuning_job=tuning_job())
        with pytest.raises(exceptions.ResourceExhausted):
            tuning.create_tuning_job(parent="projects/77/locations/us-central1", tuning_job=tuning_job())

    assert refused.value.metadata["quota_limit_value"] == "0"
    assert refused.value.metadata["consumer"] == "projects/42"
