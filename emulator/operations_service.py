"""google.longrunning.Operations: the state of long-running operations.

Served: GetOperation, for operations recorded with `emulator.operations`.
"""

from __future__ import annotations

import grpc
from google.longrunning import operations_pb2

from emulator import names, rpc
from emulator.errors import NotFound
from emulator.world import World

__all__ = ["SERVICE_NAME", "OperationsService", "method_handlers"]

SERVICE_NAME = "google.longrunning.Operations"


class OperationsService:
    """The behaviour of the operation methods."""

    def __init__(self, world: World) -> None:
        self._world = world

    def get_operation(self, request: operations_pb2.GetOperationRequest) -> operations_pb2.Operation:
        names.parse_operation_name(request.name)
        with self._world.transaction() as txn:
            operation = txn.state.operations.get(request.name)
        if operation is None:
            raise NotFound(f"Operation {request.name} does not exist.")
        return operation


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = OperationsService(world)
    return {
        "GetOperation": rpc.unary_unary(
            service.get_operation, operations_pb2.GetOperationRequest, operations_pb2.Operation
        ),
    }
