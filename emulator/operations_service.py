"""google.longrunning.Operations: the state of long-running operations.

Served: GetOperation, which is also what moves an operation on: each call
counts as a poll, and the poll an operation waits for completes it (see
`emulator.operations`). ListOperations, WaitOperation, CancelOperation and
DeleteOperation answer UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc
from google.longrunning import operations_pb2

from emulator import names, operations, rpc
from emulator.deployments import OPERATION_KINDS
from emulator.world import World

__all__ = ["SERVICE_NAME", "OperationsService", "method_handlers"]

SERVICE_NAME = "google.longrunning.Operations"


class OperationsService:
    """The behaviour of the operation methods."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._projects = world.settings.projects

    def get_operation(self, request: operations_pb2.GetOperationRequest) -> operations_pb2.Operation:
        name = names.parse_operation_name(self._projects.canonical_name(request.name))
        with self._world.transaction() as txn:
            return operations.poll(
                txn.state,
                name,
                now=txn.now,
                polls_needed=txn.settings.operation_polls,
                kinds=OPERATION_KINDS,
            )


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = OperationsService(world)
    return {
        "GetOperation": rpc.unary_unary(
            service.get_operation, operations_pb2.GetOperationRequest, operations_pb2.Operation
        ),
    }
