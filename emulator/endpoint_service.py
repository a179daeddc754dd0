"""google.cloud.aiplatform.v1.EndpointService: the endpoints serving tuned models.

Served: GetEndpoint. The mutating methods (CreateEndpoint, DeployModel,
UndeployModel, MutateDeployedModel, DeleteEndpoint) are long-running operations
on the real service; they belong in `EndpointService` and `method_handlers`
below, recording their operations in the store's `operations` collection so
that `operations_service` can answer for them. Until then they answer
UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc
from google.cloud.aiplatform_v1 import Endpoint, GetEndpointRequest

from emulator import names, rpc
from emulator.errors import NotFound
from emulator.world import World

__all__ = ["SERVICE_NAME", "EndpointService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.EndpointService"


class EndpointService:
    """The behaviour of the endpoint methods."""

    def __init__(self, world: World) -> None:
        self._world = world

    def get_endpoint(self, request: GetEndpointRequest) -> Endpoint:
        names.parse_child(request.name, "endpoints")
        with self._world.transaction() as txn:
            endpoint = txn.state.endpoints.get(request.name)
        if endpoint is None:
            raise NotFound(f"Endpoint {request.name} does not exist.")
        return endpoint


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = EndpointService(world)
    return {
        "GetEndpoint": rpc.unary_unary(service.get_endpoint, GetEndpointRequest, Endpoint),
    }
