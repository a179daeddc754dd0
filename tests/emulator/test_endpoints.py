"""Endpoints through the GAPIC client: create, list, deploy, split traffic, undeploy, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    DeployedModel,
    DeployModelRequest,
    Endpoint,
    JobState,
    ListEndpointsRequest,
)
from google.protobuf import field_mask_pb2

from tests.emulator.builders import NUMBERED_OTHER_PARENT, NUMBERED_PARENT, OTHER_PARENT, PARENT, tuning_job
from tests.emulator.conftest import LocalEmulator, StartLocal
from tests.emulator.scenarios import LABELLED, deploy, deployed_ids, finish, new_endpoint, start_deploy, tuned_job, undeploy
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for


def split_of(local: LocalEmulator, endpoint: str) -> dict[str, int]:
    return dict(local.endpoints.get_endpoint(name=endpoint).traffic_split)


# --- create, get, list -------------------------------------------------------


def test_create_endpoint_is_an_operation_whose_result_is_the_endpoint(local: LocalEmulator) -> None:
    requested = Endpoint(display_name="serving", description="canary", labels={"team": "nlp"})

    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=requested)
    endpoint = finish(operation)

    assert operation.operation.name.startswith(f"{endpoint.name}/operations/")
    assert endpoint.name.startswith(f"{NUMBERED_PARENT}/endpoints/")
    assert endpoint.name.rsplit("/", 1)[1].isdecimal()
    assert (endpoint.display_name, endpoint.description) == ("serving", "canary")
    assert dict(endpoint.labels) == {"team": "nlp"}
    assert endpoint.create_time == endpoint.update_time == local.clock.now()
    assert list(endpoint.deployed_models) == [] and dict(endpoint.traffic_split) == {}
    assert local.endpoints.get_endpoint(name=endpoint.name) == endpoint


def test_create_endpoint_ignores_output_fields(local: LocalEmulator) -> None:
    requested = Endpoint(
        name=f"{PARENT}/endpoints/42",
        display_name="serving",
        deployed_models=[DeployedModel(id="1", model=f"{PARENT}/models/1")],
        etag="abc",
        satisfies_pzs=True,
    )

    endpoint = finish(local.endpoints.create_endpoint(parent=PARENT, endpoint=requested))

    assert endpoint.name != requested.name
    assert list(endpoint.deployed_models) == []
    assert (endpoint.etag, endpoint.satisfies_pzs) == ("", False)


@pytest.mark.parametrize("endpoint_id", ["my-endpoint", "e", "a1-b2", "123456789", "1"])
def test_create_endpoint_with_a_chosen_id(local: LocalEmulator, endpoint_id: str) -> None:
    endpoint = finish(local.endpoints.create_endpoint(
        parent=PARENT, endpoint=Endpoint(display_name="named"), endpoint_id=endpoint_id
    ))

    assert endpoint.name == f"{NUMBERED_PARENT}/endpoints/{endpoint_id}"


def test_a_chosen_endpoint_id_can_be_used_once(local: LocalEmulator) -> None:
    pending = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="a"), endpoint_id="mine")

    with pytest.raises(exceptions.AlreadyExists, match="being created"):
        local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="b"), endpoint_id="mine")
    finish(pending)
    with pytest.raises(exceptions.AlreadyExists, match="already exists"):
        local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="b"), endpoint_id="mine")
    assert finish(local.endpoints.create_endpoint(
        parent=OTHER_PARENT, endpoint=Endpoint(display_name="c"), endpoint_id="mine"
    )).name == f"{NUMBERED_OTHER_PARENT}/endpoints/mine"


def test_a_chosen_deployed_model_id_can_be_used_once_per_endpoint(local: LocalEmulator) -> None:
    model = tuned_job(local).tuned_model.model
    endpoint = new_endpoint(local).name
    pending = start_deploy(local, endpoint, model, id="7")

    with pytest.raises(exceptions.AlreadyExists, match="deploying a model with id 7"):
        start_deploy(local, endpoint, model, id="7")
    finish(pending)
    with pytest.raises(exceptions.AlreadyExists, match="already has a deployed model with id 7"):
        finish(start_deploy(local, endpoint, model, id="7"))
    assert deployed_ids(local, endpoint) == ["7"]


@pytest.mark.parametrize(
    ("parent", "endpoint", "endpoint_id", "message"),
    [
        (PARENT, Endpoint(), "", "display_name is required"),
        (PARENT, Endpoint(display_name="x" * 129), "", "at most 128 characters"),
        (PARENT, Endpoint(display_name="e", traffic_split={"1": 100}), "", "traffic_split must be empty"),
        (PARENT, Endpoint(display_name="e", labels={"Team": "nlp"}), "", "Label key 'Team'"),
        (PARENT, Endpoint(display_name="e"), "My-Endpoint", "endpoint_id 'My-Endpoint' is invalid"),
        (PARENT, Endpoint(display_name="e"), "ends-with-", "is invalid"),
        (PARENT, Endpoint(display_name="e"), "1234567890", "is invalid"),
        (PARENT, Endpoint(display_name="e"), "0123", "is invalid"),
        (PARENT, Endpoint(display_name="e"), "a" * 64, "is invalid"),
        ("projects/demo-project", Endpoint(display_name="e"), "", "parent must look like"),
    ],
)
def test_invalid_endpoints_are_refused_and_not_created(
    local: LocalEmulator, parent: str, endpoint: Endpoint, endpoint_id: str, message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=message):
        local.endpoints.create_endpoint(parent=parent, endpoint=endpoint, endpoint_id=endpoint_id)

    assert list(local.endpoints.list_endpoints(parent=PARENT)) == []


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("", ["nlp-prod", "nlp-dev", "vision"]),
        ('labels.team="nlp"', ["nlp-prod", "nlp-dev"]),
        ("labels.team=nlp AND labels.env=dev", ["nlp-dev"]),
        ("labels.env:*", ["nlp-prod", "nlp-dev"]),
        ('labels.team="nobody"', []),
    ],
)
def test_list_endpoints_filters_by_labels(local: LocalEmulator, filter_: str, expected: list[str]) -> None:
    for display_name, labels in LABELLED.items():
        new_endpoint(local, display_name=display_name, labels=labels)
    new_endpoint(local, parent=OTHER_PARENT, display_name="elsewhere", labels={"team": "nlp"})

    listed = local.endpoints.list_endpoints(request=ListEndpointsRequest(parent=PARENT, filter=filter_))

    assert [endpoint.display_name for endpoint in listed] == expected


def test_list_endpoints_pages_through_every_endpoint_once(local: LocalEmulator) -> None:
    created = [new_endpoint(local, display_name=f"e{index}").name for index in range(5)]

    pager = local.endpoints.list_endpoints(request=ListEndpointsRequest(parent=PARENT, page_size=2))

    assert [[endpoint.name for endpoint in page.endpoints] for page in pager.pages] == [
        created[0:2], created[2:4], created[4:5]
    ]


def test_list_endpoints_lists_only_endpoints_whose_creation_is_done(local: LocalEmulator) -> None:
    done = new_endpoint(local)
    local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="pending"))

    assert [endpoint.name for endpoint in local.endpoints.list_endpoints(parent=PARENT)] == [done.name]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ListEndpointsRequest(parent=PARENT, filter="display_name=x"), "Unsupported filter"),
        (ListEndpointsRequest(parent=PARENT, order_by="create_time desc"), "order_by is not supported"),
        (ListEndpointsRequest(parent=PARENT, read_mask=field_mask_pb2.FieldMask(paths=["name"])), "read_mask"),
        (ListEndpointsRequest(parent=PARENT, page_token="garbage"), "page_token"),
    ],
)
def test_list_endpoints_refuses_what_it_does_not_support(
    local: LocalEmulator, request_: ListEndpointsRequest, message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=message):
        list(local.endpoints.list_endpoints(request=request_))


# --- deploy -------------------------------------------------------------------


def test_deploy_a_tuned_model_to_a_new_endpoint(local: LocalEmulator) -> None:
    job = tuned_job(local, tuned_model_display_name="classifier")
    endpoint = new_endpoint(local)
    local.advance(5)

    deployed = deploy(local, endpoint.name, job.tuned_model.model)

    model_name = job.tuned_model.model.removesuffix("@1")
    assert deployed.id.isdecimal()
    assert (deployed.model, deployed.model_version_id) == (model_name, "1")
    assert deployed.display_name == "classifier"
    assert deployed.create_time == local.clock.now()
    serving = local.endpoints.get_endpoint(name=endpoint.name)
    assert list(serving.deployed_models) == [deployed]
    assert dict(serving.traffic_split) == {deployed.id: 100}
    assert serving.update_time == local.clock.now() > serving.create_time
    model = local.models.get_model(name=model_name)
    assert [(ref.endpoint, ref.deployed_model_id) for ref in model.deployed_models] == [
        (job.tuned_model.endpoint, deployed_ids(local, job.tuned_model.endpoint)[0]),
        (endpoint.name, deployed.id),
    ]


@pytest.mark.parametrize("own_endpoint", [False, True], ids=["new-endpoint", "own-endpoint"])
def test_a_refused_tuned_model_deploy_answers_invalid_argument_at_once(
    start_local: StartLocal, own_endpoint: bool
) -> None:
    local = start_local(refuse_tuned_model_deploy=True)
    job = tuned_job(local)
    endpoint = job.tuned_model.endpoint if own_endpoint else new_endpoint(local).name
    before = local.endpoints.get_endpoint(name=endpoint)

    with pytest.raises(exceptions.InvalidArgument) as raised:
        start_deploy(local, endpoint, job.tuned_model.model)

    assert raised.value.message == (
        f"Model {job.tuned_model.model.removesuffix('@1')} is a tuned model of TuningJob {job.name}. Tuned Gemini "
        f"models are served only from the endpoint their tuning job deployed them to ({job.tuned_model.endpoint}); "
        "they cannot be deployed with DeployModel."
    )
    assert local.endpoints.get_endpoint(name=endpoint) == before


def test_the_command_line_refuses_tuned_model_deploys(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", job_seconds=0.5, refuse_tuned_model_deploy=True) as emulator:
        tuning, endpoints = emulator.tuning_client(), emulator.endpoint_client()
        created = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        job = wait_for(lambda: tuning.get_tuning_job(name=created.name),
                       lambda job: job.state == JobState.JOB_STATE_SUCCEEDED)

        with pytest.raises(exceptions.InvalidArgument, match="served only from the endpoint"):
            endpoints.deploy_model(endpoint=job.tuned_model.endpoint,
                                   deployed_model=DeployedModel(model=job.tuned_model.model))


@pytest.mark.parametrize("suffix", ["@1", "", "@default"])
def test_deploy_accepts_a_model_with_or_without_version(local: LocalEmulator, suffix: str) -> None:
    model_name = tuned_job(local).tuned_model.model.removesuffix("@1")
    endpoint = new_endpoint(local)

    deployed = deploy(local, endpoint.name, model_name + suffix)

    assert (deployed.model, deployed.model_version_id) == (model_name, "1")


def test_deploy_keeps_the_callers_id_display_name_and_settings(local: LocalEmulator) -> None:
    model = tuned_job(local).tuned_model.model
    endpoint = new_endpoint(local)

    deployed = deploy(
        local, endpoint.name, model, id="42", display_name="canary", enable_access_logging=True,
        model_version_id="99",
    )

    assert (deployed.id, deployed.display_name, deployed.enable_access_logging) == ("42", "canary", True)
    assert deployed.model_version_id == "1", "model_version_id is output only"
    with pytest.raises(exceptions.AlreadyExists, match="id 42"):
        deploy(local, endpoint.name, model, id="42", traffic_split={"0": 100})


@pytest.mark.parametrize(
    ("model_suffix", "fields", "error", "message"),
    [
        ("@2", {}, exceptions.NotFound, "no version '2'"),
        ("-missing", {}, exceptions.NotFound, "does not exist"),
        ("/extra", {}, exceptions.InvalidArgument, "must look like"),
        ("", {"id": "12345678901"}, exceptions.InvalidArgument, "1 to 10 digits"),
        ("", {"id": "abc"}, exceptions.InvalidArgument, "1 to 10 digits"),
        ("", {"checkpoint_id": "3"}, exceptions.NotFound, "no checkpoint '3'"),
    ],
)
def test_deploy_refuses_unknown_or_malformed_models(
    local: LocalEmulator, model_suffix: str, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    model = tuned_job(local).tuned_model.model.removesuffix("@1")
    endpoint = new_endpoint(local)

    with pytest.raises(error, match=message):
        start_deploy(local, endpoint.name, model + model_suffix, **fields)

    assert deployed_ids(local, endpoint.name) == []


def test_deploy_needs_a_model(local: LocalEmulator) -> None:
    endpoint = new_endpoint(local)

    with pytest.raises(exceptions.InvalidArgument, match="deployed_model.model is required"):
        local.endpoints.deploy_model(request=DeployModelRequest(endpoint=endpoint.name))


# --- traffic split --------------------------------------------------------------


@pytest.fixture
def serving(local: LocalEmulator) -> tuple[str, str, str]:
    """An endpoint serving a first model with all traffic, and a second model to deploy next to it."""
    first, second = tuned_job(local).tuned_model.model, tuned_job(local).tuned_model.model
    endpoint = new_endpoint(local).name
    old = deploy(local, endpoint, first).id
    return endpoint, old, second


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"OLD": 90, "0": 20}, "add up to 100, got 110"),
        ({"OLD": 50, "0": 40}, "add up to 100, got 90"),
        ({"OLD": 110, "0": -10}, "from 0 to 100"),
        ({"0": 50, "999": 50}, "names '999'"),
    ],
)
def test_a_deploy_split_must_add_up_to_100_and_name_deployed_models(
    local: LocalEmulator, serving: tuple[str, str, str], split: dict[str, int], message: str
) -> None:
    endpoint, old, second = serving

    with pytest.raises(exceptions.InvalidArgument, match=message):
        start_deploy(local, endpoint, second, {old if key == "OLD" else key: value for key, value in split.items()})

    assert deployed_ids(local, endpoint) == [old]
    assert split_of(local, endpoint) == {old: 100}


def test_a_canary_split_is_reported_exactly(local: LocalEmulator, serving: tuple[str, str, str]) -> None:
    endpoint, old, second = serving

    new = deploy(local, endpoint, second, {old: 90, "0": 10}).id

    assert deployed_ids(local, endpoint) == [old, new]
    assert split_of(local, endpoint) == {old: 90, new: 10}


def test_deploy_without_a_split_leaves_the_split_alone(local: LocalEmulator, serving: tuple[str, str, str]) -> None:
    endpoint, old, second = serving

    new = deploy(local, endpoint, second).id

    assert deployed_ids(local, endpoint) == [old, new]
    assert split_of(local, endpoint) == {old: 100}


# --- undeploy -------------------------------------------------------------------


def test_undeploy_of_a_model_still_receiving_traffic_fails_precondition(
    local: LocalEmulator, serving: tuple[str, str, str]
) -> None:
    endpoint, old, second = serving
    new = deploy(local, endpoint, second, {old: 90, "0": 10}).id
    before = local.endpoints.get_endpoint(name=endpoint)

    for gone in (old, new):
        with pytest.raises(exceptions.FailedPrecondition, match=f"{gone} still receives"):
            local.endpoints.undeploy_model(endpoint=endpoint, deployed_model_id=gone)

    assert local.endpoints.get_endpoint(name=endpoint) == before


def test_undeploy_with_a_split_that_moves_the_traffic(local: LocalEmulator, serving: tuple[str, str, str]) -> None:
    endpoint, old, second = serving
    new = deploy(local, endpoint, second, {old: 90, "0": 10}).id
    old_model = local.endpoints.get_endpoint(name=endpoint).deployed_models[0].model

    undeploy(local, endpoint, old, {new: 100})

    assert deployed_ids(local, endpoint) == [new]
    assert split_of(local, endpoint) == {new: 100}
    refs = local.models.get_model(name=old_model).deployed_models
    assert endpoint not in [ref.endpoint for ref in refs]


def test_undeploy_of_a_model_without_traffic_keeps_the_split(
    local: LocalEmulator, serving: tuple[str, str, str]
) -> None:
    endpoint, old, second = serving
    new = deploy(local, endpoint, second).id

    undeploy(local, endpoint, new)

    assert deployed_ids(local, endpoint) == [old]
    assert split_of(local, endpoint) == {old: 100}


def test_undeploy_of_the_last_model_empties_the_split(local: LocalEmulator, serving: tuple[str, str, str]) -> None:
    endpoint, old, _ = serving

    undeploy(local, endpoint, old)

    assert deployed_ids(local, endpoint) == []
    assert split_of(local, endpoint) == {}


@pytest.mark.parametrize(
    ("deployed_model_id", "error", "message"),
    [("", exceptions.InvalidArgument, "deployed_model_id is required"), ("999", exceptions.NotFound, "id 999")],
)
def test_undeploy_needs_a_deployed_model_of_the_endpoint(
    local: LocalEmulator, serving: tuple[str, str, str], deployed_model_id: str, error: type[Exception], message: str
) -> None:
    endpoint, _, _ = serving

    with pytest.raises(error, match=message):
        local.endpoints.undeploy_model(endpoint=endpoint, deployed_model_id=deployed_model_id)


# --- delete ---------------------------------------------------------------------


def test_delete_of_an_endpoint_with_deployed_models_fails_precondition(
    local: LocalEmulator, serving: tuple[str, str, str]
) -> None:
    endpoint, old, _ = serving

    with pytest.raises(exceptions.FailedPrecondition, match=f"has deployed models \\({old}\\)"):
        local.endpoints.delete_endpoint(name=endpoint)

    assert deployed_ids(local, endpoint) == [old]


def test_delete_of_the_tuned_models_own_endpoint_fails_while_it_serves_the_model(local: LocalEmulator) -> None:
    job = tuned_job(local)

    with pytest.raises(exceptions.FailedPrecondition, match="has deployed models"):
        local.endpoints.delete_endpoint(name=job.tuned_model.endpoint)


def test_delete_of_an_empty_endpoint_removes_it(local: LocalEmulator, serving: tuple[str, str, str]) -> None:
    endpoint, old, _ = serving
    undeploy(local, endpoint, old)

    operation = local.endpoints.delete_endpoint(name=endpoint)
    finish(operation)

    with pytest.raises(exceptions.NotFound):
        local.endpoints.get_endpoint(name=endpoint)
    assert endpoint not in [listed.name for listed in local.endpoints.list_endpoints(parent=PARENT)]
    with pytest.raises(exceptions.NotFound):
        local.endpoints.delete_endpoint(name=endpoint)


def test_the_whole_life_of_an_endpoint_when_operations_take_three_polls(start_local: StartLocal) -> None:
    local = start_local(quota=2, operation_polls=3)
    model = tuned_job(local).tuned_model.model
    endpoint = new_endpoint(local, display_name="life")

    deployed = deploy(local, endpoint.name, model)
    undeploy(local, endpoint.name, deployed.id)
    finish(local.endpoints.delete_endpoint(name=endpoint.name))

    with pytest.raises(exceptions.NotFound):
        local.endpoints.get_endpoint(name=endpoint.name)


# --- update ---------------------------------------------------------------------


def update_traffic(local: LocalEmulator, endpoint: str, split: dict[str, int]) -> Endpoint:
    return local.endpoints.update_endpoint(
        endpoint=Endpoint(name=endpoint, traffic_split=split),
        update_mask=field_mask_pb2.FieldMask(paths=["traffic_split"]),
    )


def test_update_endpoint_moves_traffic_between_deployed_models_at_once(
    local: LocalEmulator, serving: tuple[str, str, str]
) -> None:
    endpoint, old, second = serving
    new = deploy(local, endpoint, second, {old: 90, "0": 10}).id

    answered = update_traffic(local, endpoint, {old: 70, new: 30})

    assert dict(answered.traffic_split) == {old: 70, new: 30}
    assert split_of(local, endpoint) == {old: 70, new: 30}


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"OLD": 60}, "must add up to 100"),
        ({"OLD": 50, "999": 50}, "traffic_split names '999'"),
        ({}, "may only be empty when no model is deployed"),
    ],
)
def test_update_endpoint_refuses_a_bad_split_and_changes_nothing(
    local: LocalEmulator, serving: tuple[str, str, str], split: dict[str, int], message: str
) -> None:
    endpoint, old, _ = serving

    with pytest.raises(exceptions.InvalidArgument, match=message):
        update_traffic(local, endpoint, {old if key == "OLD" else key: value for key, value in split.items()})

    assert split_of(local, endpoint) == {old: 100}


def test_update_endpoint_needs_a_mask_of_fields_it_can_change(local: LocalEmulator) -> None:
    endpoint = new_endpoint(local).name

    with pytest.raises(exceptions.InvalidArgument, match="update_mask must name fields"):
        local.endpoints.update_endpoint(endpoint=Endpoint(name=endpoint, display_name="x"),
                                        update_mask=field_mask_pb2.FieldMask(paths=["deployed_models"]))
