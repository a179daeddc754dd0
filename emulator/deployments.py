"""Endpoints, models and the deployments between them: what their operations change.

Every change here is a long-running operation, declared as an `OperationKind`
whose `prepare` checks a request against the state and returns the commit that
makes the change. The services prepare when they start an operation, so that
errors are answered at once; `emulator.operations` prepares again when the
operation completes, because other operations may have changed the state in
between, and then commits.

Endpoints are the truth about what is deployed where. Each model's
`deployed_models` mirrors them (one `DeployedModelRef` per deployment), and a
model cannot be deleted while an endpoint serves it, or an operation is
deploying it.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Mapping

from google.cloud.aiplatform_v1 import (
    CreateEndpointOperationMetadata,
    CreateEndpointRequest,
    DeleteEndpointRequest,
    DeleteModelRequest,
    DeleteOperationMetadata,
    DeployedModel,
    DeployedModelRef,
    DeployModelOperationMetadata,
    DeployModelRequest,
    DeployModelResponse,
    Endpoint,
    Model,
    UndeployModelOperationMetadata,
    UndeployModelRequest,
    UndeployModelResponse,
)
from google.protobuf import empty_pb2

from emulator import model_registry, names, traffic
from emulator.errors import AlreadyExists, FailedPrecondition, NotFound
from emulator.operations import Commit, OperationKind, pending_requests
from emulator.store import State

__all__ = [
    "CREATE_ENDPOINT",
    "DELETE_ENDPOINT",
    "DELETE_MODEL",
    "DEPLOY_MODEL",
    "ENDPOINTS",
    "OPERATION_KINDS",
    "UNDEPLOY_MODEL",
    "existing_endpoint",
    "existing_model",
    "is_being_created",
    "is_being_deployed",
]

ENDPOINTS = "endpoints"
# Set by the service; a caller's values are dropped, as Vertex AI ignores output-only fields.
_ENDPOINT_OUTPUT_FIELDS = (
    "name",
    "deployed_models",
    "etag",
    "create_time",
    "update_time",
    "model_deployment_monitoring_job",
    "dedicated_endpoint_dns",
    "satisfies_pzs",
    "satisfies_pzi",
)
_DEPLOYED_MODEL_OUTPUT_FIELDS = ("model_version_id", "create_time", "private_endpoints", "status")


def existing_endpoint(state: State, name: str) -> Endpoint:
    endpoint = state.endpoints.get(name)
    if endpoint is None:
        raise NotFound(f"Endpoint {name} does not exist.")
    return endpoint


def is_being_created(state: State, endpoint: str) -> bool:
    """Whether a CreateEndpoint operation that is not done yet creates `endpoint`."""
    return any(
        names.parse_parent(request.parent).child(ENDPOINTS, request.endpoint_id) == endpoint
        for request in pending_requests(state, CREATE_ENDPOINT)
    )


def is_being_deployed(state: State, endpoint: str, deployed_model_id: str) -> bool:
    """Whether a DeployModel operation that is not done yet deploys `deployed_model_id` to `endpoint`."""
    return any(
        request.endpoint == endpoint and request.deployed_model.id == deployed_model_id
        for request in pending_requests(state, DEPLOY_MODEL)
    )


def existing_model(state: State, reference: str) -> Model:
    """The model version `reference` names: `.../models/M@VERSION` (an id or an alias), or `M` for the default."""
    return model_registry.resolve(state, reference)


def _create_endpoint(state: State, request: CreateEndpointRequest, now: datetime) -> Commit:
    name = names.parse_parent(request.parent).child(ENDPOINTS, request.endpoint_id)
    if name in state.endpoints:
        raise AlreadyExists(f"Endpoint {name} already exists.")

    def commit() -> Endpoint:
        endpoint = Endpoint(request.endpoint)
        for field in _ENDPOINT_OUTPUT_FIELDS:
            delattr(endpoint, field)
        endpoint.name = name
        endpoint.create_time = now
        endpoint.update_time = now
        state.endpoints.put(endpoint)
        return endpoint

    return commit


def _deploy_model(state: State, request: DeployModelRequest, now: datetime) -> Commit:
    endpoint = existing_endpoint(state, request.endpoint)
    model = existing_model(state, request.deployed_model.model)
    new_id = request.deployed_model.id
    deployed_ids = [deployed.id for deployed in endpoint.deployed_models]
    if new_id in deployed_ids:
        raise AlreadyExists(f"Endpoint {endpoint.name} already has a deployed model with id {new_id}.")
    model_registry.check_checkpoint(model, request.deployed_model.checkpoint_id)
    split = traffic.after_deploy(endpoint.traffic_split, request.traffic_split, new_id, deployed_ids)

    def commit() -> DeployModelResponse:
        deployed = DeployedModel(request.deployed_model)
        for field in _DEPLOYED_MODEL_OUTPUT_FIELDS:
            delattr(deployed, field)
        deployed.model = model.name
        deployed.model_version_id = model.version_id
        deployed.display_name = deployed.display_name or model.display_name
        deployed.create_time = now
        endpoint.deployed_models.append(deployed)
        endpoint.traffic_split = split
        endpoint.update_time = now
        model.deployed_models.append(DeployedModelRef(endpoint=endpoint.name, deployed_model_id=new_id))
        state.endpoints.put(endpoint)
        state.models.put(model)
        return DeployModelResponse(deployed_model=deployed)

    return commit


def _undeploy_model(state: State, request: UndeployModelRequest, now: datetime) -> Commit:
    endpoint = existing_endpoint(state, request.endpoint)
    gone_id = request.deployed_model_id
    gone = next((deployed for deployed in endpoint.deployed_models if deployed.id == gone_id), None)
    if gone is None:
        raise NotFound(f"Endpoint {endpoint.name} has no deployed model with id {gone_id}.")
    remaining = [deployed for deployed in endpoint.deployed_models if deployed.id != gone_id]
    split = traffic.after_undeploy(
        endpoint.traffic_split, request.traffic_split, gone_id, [deployed.id for deployed in remaining]
    )

    def commit() -> UndeployModelResponse:
        endpoint.deployed_models = remaining
        endpoint.traffic_split = split
        endpoint.update_time = now
        state.endpoints.put(endpoint)
        model = model_registry.version(state, gone.model, gone.model_version_id)
        # Never missing while deployed, unless the state file was edited by hand.
        if model is not None:
            model.deployed_models = [
                ref
                for ref in model.deployed_models
                if (ref.endpoint, ref.deployed_model_id) != (endpoint.name, gone_id)
            ]
            state.models.put(model)
        return UndeployModelResponse()

    return commit


def _delete_endpoint(state: State, request: DeleteEndpointRequest, now: datetime) -> Commit:
    endpoint = existing_endpoint(state, request.name)
    if endpoint.deployed_models:
        deployed_ids = ", ".join(deployed.id for deployed in endpoint.deployed_models)
        raise FailedPrecondition(
            f"Endpoint {endpoint.name} has deployed models ({deployed_ids}). "
            "Undeploy them before deleting the endpoint."
        )

    def commit() -> empty_pb2.Empty:
        state.endpoints.remove(endpoint.name)
        return empty_pb2.Empty()

    return commit


def _delete_model(state: State, request: DeleteModelRequest, now: datetime) -> Commit:
    model = existing_model(state, request.name)
    serving = {
        endpoint.name
        for endpoint in state.endpoints.values()
        if any(deployed.model == model.name for deployed in endpoint.deployed_models)
    }
    serving |= {
        deploy.endpoint
        for deploy in pending_requests(state, DEPLOY_MODEL)
        if names.parse_model_name(deploy.deployed_model.model).name == model.name
    }
    if serving:
        raise FailedPrecondition(
            f"The model {model.name} is deployed or being deployed at the following endpoint(s): "
            f"{', '.join(sorted(serving))}. Undeploy it before deleting the model."
        )

    def commit() -> empty_pb2.Empty:
        model_registry.remove_model(state, model.name)
        return empty_pb2.Empty()

    return commit


CREATE_ENDPOINT = OperationKind(
    "CreateEndpoint", CreateEndpointRequest, CreateEndpointOperationMetadata, _create_endpoint
)
DEPLOY_MODEL = OperationKind("DeployModel", DeployModelRequest, DeployModelOperationMetadata, _deploy_model)
UNDEPLOY_MODEL = OperationKind(
    "UndeployModel", UndeployModelRequest, UndeployModelOperationMetadata, _undeploy_model
)
DELETE_ENDPOINT = OperationKind("DeleteEndpoint", DeleteEndpointRequest, DeleteOperationMetadata, _delete_endpoint)
DELETE_MODEL = OperationKind("DeleteModel", DeleteModelRequest, DeleteOperationMetadata, _delete_model)

OPERATION_KINDS: Mapping[str, OperationKind] = MappingProxyType(
    {kind.name: kind for kind in (CREATE_ENDPOINT, DEPLOY_MODEL, UNDEPLOY_MODEL, DELETE_ENDPOINT, DELETE_MODEL)}
)
"""Every kind of operation the services start, by name."""
