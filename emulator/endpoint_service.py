"""google.cloud.aiplatform.v1.EndpointService: the endpoints serving tuned models.

Served: CreateEndpoint, GetEndpoint, ListEndpoints, UpdateEndpoint, DeployModel,
UndeployModel and DeleteEndpoint. Create, deploy, undeploy and delete start
long-running operations whose effect shows once the operation is done (see
`emulator.operations`); what they change is in `emulator.deployments`, the
traffic split rules in `emulator.traffic`. UpdateEndpoint answers at once, as in
v1. MutateDeployedModel and the other methods answer UNIMPLEMENTED: the
emulator's models are managed deployments of tuned models, with no machine
resources or replicas to change.
"""

from __future__ import annotations

import grpc
from google.cloud.aiplatform_v1 import (
    CreateEndpointRequest,
    DeleteEndpointRequest,
    DeployModelRequest,
    Endpoint,
    GetEndpointRequest,
    ListEndpointsRequest,
    ListEndpointsResponse,
    UndeployModelRequest,
    UpdateEndpointRequest,
)
from google.longrunning import operations_pb2

from emulator import names, rpc, traffic
from emulator.deployments import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    DEPLOY_MODEL,
    ENDPOINTS,
    UNDEPLOY_MODEL,
    existing_endpoint,
    is_being_created,
    is_being_deployed,
)
from emulator.errors import AlreadyExists, InvalidArgument
from emulator.listing import list_page
from emulator.store import State
from emulator.validation import check_deploy_model, check_endpoint_id, check_labels, check_new_endpoint
from emulator.world import World

__all__ = ["SERVICE_NAME", "EndpointService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.EndpointService"

Operation = operations_pb2.Operation
# Fields UpdateEndpoint changes; the others belong to the service or are not modelled.
_UPDATABLE = ("traffic_split", "display_name", "description", "labels")


class EndpointService:
    """The behaviour of the endpoint methods."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._projects = world.settings.projects

    def create_endpoint(self, request: CreateEndpointRequest) -> Operation:
        """Start creating an endpoint, named by `endpoint_id` if given, else by a new numeric id."""
        request = self._projects.canonical(request, "parent")
        location = names.parse_parent(request.parent)
        check_new_endpoint(request.endpoint)
        if request.endpoint_id:
            check_endpoint_id(request.endpoint_id)
        with self._world.transaction() as txn:
            started = CreateEndpointRequest(request)
            started.endpoint_id = request.endpoint_id or txn.state.new_id()
            name = location.child(ENDPOINTS, started.endpoint_id)
            if is_being_created(txn.state, name):
                raise AlreadyExists(f"Endpoint {name} is being created already.")
            return txn.start_operation(CREATE_ENDPOINT, name, started)

    def get_endpoint(self, request: GetEndpointRequest) -> Endpoint:
        request = self._projects.canonical(request, "name")
        names.parse_child(request.name, ENDPOINTS)
        with self._world.transaction() as txn:
            return existing_endpoint(txn.state, request.name)

    def list_endpoints(self, request: ListEndpointsRequest) -> ListEndpointsResponse:
        """The parent's endpoints matching the filter, oldest first."""
        request = self._projects.canonical(request, "parent")
        with self._world.transaction() as txn:
            page = list_page(txn.state.endpoints.values(), request, ENDPOINTS,
                             label_filters_find_nothing=txn.settings.label_filters_find_nothing)
        return ListEndpointsResponse(endpoints=page.items, next_page_token=page.next_page_token)

    def update_endpoint(self, request: UpdateEndpointRequest) -> Endpoint:
        """Change the fields the update mask names: traffic_split, display_name, description, labels."""
        request = self._projects.canonical(request, "endpoint.name")
        names.parse_child(request.endpoint.name, ENDPOINTS)
        paths = list(request.update_mask.paths)
        unknown = sorted(set(paths) - set(_UPDATABLE))
        if not paths or unknown:
            raise InvalidArgument(
                f"update_mask must name fields to update from: {', '.join(_UPDATABLE)}"
                + (f"; got {', '.join(unknown)}." if unknown else ".")
            )
        with self._world.transaction() as txn:
            endpoint = existing_endpoint(txn.state, request.endpoint.name)
            if "traffic_split" in paths:
                endpoint.traffic_split = traffic.replacing(
                    request.endpoint.traffic_split, [d.id for d in endpoint.deployed_models])
            for field in ("display_name", "description"):
                if field in paths:
                    setattr(endpoint, field, getattr(request.endpoint, field))
            if "labels" in paths:
                check_labels(request.endpoint.labels)
                endpoint.labels = dict(request.endpoint.labels)
            endpoint.update_time = txn.now
            txn.state.endpoints.put(endpoint)
            return endpoint

    def deploy_model(self, request: DeployModelRequest) -> Operation:
        """Start deploying a model; the deployed model gets a new numeric id unless the request names one.

        With `Settings.refuse_tuned_model_deploy`, a model a tuning job produced is refused at once.
        """
        request = self._projects.canonical(request, "endpoint", "deployed_model.model")
        names.parse_child(request.endpoint, ENDPOINTS)
        check_deploy_model(request)
        with self._world.transaction() as txn:
            if txn.settings.refuse_tuned_model_deploy:
                _refuse_tuned_model(txn.state, request.deployed_model.model)
            started = DeployModelRequest(request)
            started.deployed_model.id = request.deployed_model.id or txn.state.new_id()
            if is_being_deployed(txn.state, request.endpoint, started.deployed_model.id):
                raise AlreadyExists(
                    f"Endpoint {request.endpoint} is deploying a model with id {started.deployed_model.id} already.")
            return txn.start_operation(DEPLOY_MODEL, request.endpoint, started)

    def undeploy_model(self, request: UndeployModelRequest) -> Operation:
        request = self._projects.canonical(request, "endpoint")
        names.parse_child(request.endpoint, ENDPOINTS)
        if not request.deployed_model_id:
            raise InvalidArgument("deployed_model_id is required.")
        with self._world.transaction() as txn:
            return txn.start_operation(UNDEPLOY_MODEL, request.endpoint, request)

    def delete_endpoint(self, request: DeleteEndpointRequest) -> Operation:
        """Start deleting an endpoint; it must have no deployed models."""
        request = self._projects.canonical(request, "name")
        names.parse_child(request.name, ENDPOINTS)
        with self._world.transaction() as txn:
            return txn.start_operation(DELETE_ENDPOINT, request.name, request)


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = EndpointService(world)
    return {
        "CreateEndpoint": rpc.unary_unary(service.create_endpoint, CreateEndpointRequest, Operation),
        "GetEndpoint": rpc.unary_unary(service.get_endpoint, GetEndpointRequest, Endpoint),
        "ListEndpoints": rpc.unary_unary(service.list_endpoints, ListEndpointsRequest, ListEndpointsResponse),
        "UpdateEndpoint": rpc.unary_unary(service.update_endpoint, UpdateEndpointRequest, Endpoint),
        "DeployModel": rpc.unary_unary(service.deploy_model, DeployModelRequest, Operation),
        "UndeployModel": rpc.unary_unary(service.undeploy_model, UndeployModelRequest, Operation),
        "DeleteEndpoint": rpc.unary_unary(service.delete_endpoint, DeleteEndpointRequest, Operation),
    }


def _refuse_tuned_model(state: State, model: str) -> None:
    wanted = names.parse_model_name(model).name
    for job in state.tuning_jobs.values():
        if job.tuned_model.model and names.parse_model_name(job.tuned_model.model).name == wanted:
            raise InvalidArgument(
                f"Model {wanted} is a tuned model of TuningJob {job.name}. Tuned Gemini models are served only "
                f"from the endpoint their tuning job deployed them to ({job.tuned_model.endpoint}); they cannot be "
                "deployed with DeployModel."
            )
