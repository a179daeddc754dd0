"""Long-running operations: done after N polls, effect once, typed metadata, errors."""

from __future__ import annotations

from datetime import timedelta

from pathlib import Path
from typing import Callable

import pytest
from google.api_core import exceptions
from google.api_core.operation import Operation
from google.cloud.aiplatform_v1 import (
    CreateEndpointOperationMetadata,
    DeleteOperationMetadata,
    DeployModelOperationMetadata,
    Endpoint,
    UndeployModelOperationMetadata,
)
from google.rpc import code_pb2

from emulator.__main__ import main
from emulator.faults import Fault
from tests.emulator.builders import NUMBERED_PARENT, PARENT
from tests.emulator.conftest import LocalEmulator, StartLocal
from tests.emulator.scenarios import deployed_ids, finish, new_endpoint, poll, start_deploy, tuned_job, undeploy
from tests.support.emulator_process import EmulatorProcess

Observe = Callable[[], object]
Start = Callable[[LocalEmulator], tuple[Operation, Observe]]


def endpoint_names(local: LocalEmulator) -> list[str]:
    return [endpoint.name for endpoint in local.endpoints.list_endpoints(parent=PARENT)]


def start_create_endpoint(local: LocalEmulator) -> tuple[Operation, Observe]:
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))
    return operation, lambda: endpoint_names(local)


def start_deploy_model(local: LocalEmulator) -> tuple[Operation, Observe]:
    model, endpoint = tuned_job(local).tuned_model.model, new_endpoint(local).name
    return start_deploy(local, endpoint, model), lambda: local.endpoints.get_endpoint(name=endpoint)


def start_undeploy_model(local: LocalEmulator) -> tuple[Operation, Observe]:
    endpoint = tuned_job(local).tuned_model.endpoint
    [deployed_id] = deployed_ids(local, endpoint)
    operation = local.endpoints.undeploy_model(endpoint=endpoint, deployed_model_id=deployed_id)
    return operation, lambda: local.endpoints.get_endpoint(name=endpoint)


def start_delete_endpoint(local: LocalEmulator) -> tuple[Operation, Observe]:
    endpoint = new_endpoint(local).name
    return local.endpoints.delete_endpoint(name=endpoint), lambda: endpoint_names(local)


def start_delete_model(local: LocalEmulator) -> tuple[Operation, Observe]:
    job = tuned_job(local)
    [deployed_id] = deployed_ids(local, job.tuned_model.endpoint)
    undeploy(local, job.tuned_model.endpoint, deployed_id)
    operation = local.models.delete_model(name=job.tuned_model.model.removesuffix("@1"))
    return operation, lambda: [model.name for model in local.models.list_models(parent=PARENT)]


OPERATIONS = [
    pytest.param(start_create_endpoint, "endpoints", CreateEndpointOperationMetadata, id="create-endpoint"),
    pytest.param(start_deploy_model, "endpoints", DeployModelOperationMetadata, id="deploy-model"),
    pytest.param(start_undeploy_model, "endpoints", UndeployModelOperationMetadata, id="undeploy-model"),
    pytest.param(start_delete_endpoint, "endpoints", DeleteOperationMetadata, id="delete-endpoint"),
    pytest.param(start_delete_model, "models", DeleteOperationMetadata, id="delete-model"),
]


@pytest.mark.parametrize(("start", "collection", "metadata_type"), OPERATIONS)
def test_an_operation_takes_effect_on_its_second_poll_and_not_before(
    local: LocalEmulator, start: Start, collection: str, metadata_type: type
) -> None:
    operation, observe = start(local)
    before = observe()
    assert not operation.operation.done

    first = poll(local, operation)

    assert not first.done
    assert observe() == before

    second = poll(local, operation)

    assert second.done and second.HasField("response")
    assert observe() != before
    resource, _, operation_id = second.name.rpartition("/operations/")
    assert resource.startswith(f"{NUMBERED_PARENT}/{collection}/") and operation_id.isdecimal()
    assert second.metadata.Is(metadata_type.pb().DESCRIPTOR)


@pytest.mark.parametrize("polls", [1, 3, 5])
def test_the_number_of_polls_is_configurable(start_local: StartLocal, polls: int) -> None:
    local = start_local(operation_polls=polls)
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))

    answers = [poll(local, operation).done for _ in range(polls + 1)]

    assert answers == [False] * (polls - 1) + [True, True]


def test_with_zero_polls_an_operation_is_done_when_started(start_local: StartLocal) -> None:
    local = start_local(operation_polls=0)

    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))

    assert operation.operation.done
    assert endpoint_names(local) == [operation.result().name]


def test_with_an_operation_duration_an_operation_nobody_polls_is_done_once_it_passes(start_local: StartLocal) -> None:
    local = start_local(operation_polls=1_000, operation_duration=timedelta(seconds=30))
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))
    local.advance(29)
    assert endpoint_names(local) == []

    local.advance(1)

    assert endpoint_names(local) == [operation.result().name]


def test_the_gapic_result_polls_with_its_default_settings(local: LocalEmulator) -> None:
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))

    endpoint = operation.result(timeout=30)

    assert endpoint.display_name == "new"
    assert operation.done()
    assert isinstance(operation.metadata, CreateEndpointOperationMetadata)


def test_metadata_dates_the_start_and_the_completion(local: LocalEmulator) -> None:
    started_at = local.clock.now()
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))
    local.advance(7)
    poll(local, operation)
    local.advance(5)

    finish(operation)

    generic = operation.metadata.generic_metadata
    assert generic.create_time == started_at
    assert generic.update_time == local.clock.now()
    assert operation.result().create_time == local.clock.now()


def test_polling_a_done_operation_changes_nothing(local: LocalEmulator) -> None:
    operation = local.endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))
    finish(operation)
    done = poll(local, operation)
    saved = local.state_file.read_bytes()

    again = [poll(local, operation) for _ in range(3)]

    assert again == [done] * 3
    assert local.state_file.read_bytes() == saved
    assert len(endpoint_names(local)) == 1


def test_a_completion_that_is_no_longer_possible_ends_in_an_error(local: LocalEmulator) -> None:
    model, endpoint = tuned_job(local).tuned_model.model, new_endpoint(local).name
    deleting = local.endpoints.delete_endpoint(name=endpoint)
    deploying = start_deploy(local, endpoint, model)
    finish(deploying)

    with pytest.raises(exceptions.FailedPrecondition, match="has deployed models"):
        finish(deleting)

    failed = poll(local, deleting)
    assert failed.done and failed.error.code == code_pb2.FAILED_PRECONDITION
    assert not failed.HasField("response")
    assert deployed_ids(local, endpoint) == [deploying.result().deployed_model.id]


def test_a_lost_answer_to_the_completing_poll_does_not_apply_the_effect_twice(
    tmp_path: Path, start_local: StartLocal
) -> None:
    state_file = tmp_path / "state.json"
    setup = start_local(state_file=state_file)
    model, endpoint = tuned_job(setup).tuned_model.model, new_endpoint(setup).name
    # A second emulator on the same state file (the first is not used again), with the fault armed.
    local = start_local(
        state_file=state_file,
        clock=setup.clock,
        operation_polls=1,
        faults=[Fault.parse("unavailable:GetOperation:1:after")],
    )
    operation = start_deploy(local, endpoint, model)

    with pytest.raises(exceptions.ServiceUnavailable):
        local.operations.get_operation(name=operation.operation.name, retry=None)
    [deployed_id] = deployed_ids(local, endpoint)
    done = poll(local, operation)

    assert done.done
    assert finish(operation).deployed_model.id == deployed_id
    assert deployed_ids(local, endpoint) == [deployed_id]


def test_the_command_line_sets_the_number_of_polls(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", operation_polls=0) as emulator:
        operation = emulator.endpoint_client().create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="new"))

        assert operation.operation.done
        assert emulator.endpoint_client().get_endpoint(name=operation.result().name).display_name == "new"


@pytest.mark.parametrize("value", ["-1", "two", ""])
def test_a_bad_number_of_polls_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--state", str(tmp_path / "state.json"), "--operation-polls", value])

    assert exited.value.code == 2
    assert "--operation-polls: must be a whole number" in capsys.readouterr().err
