"""Long-running operations: how services that start one record it.

An operation is named under the resource it acts on
(`projects/P/locations/L/endpoints/E/operations/O`), carries typed metadata
and, once done, a typed response or an error, packed as `Any` the way Vertex AI
packs them. `operations_service` answers GetOperation from the same store.
"""

from __future__ import annotations

import proto
from google.longrunning import operations_pb2
from google.protobuf.message import Message as ProtobufMessage
from google.rpc import status_pb2

from emulator.store import State

__all__ = ["record_operation"]

AnyMessage = proto.Message | ProtobufMessage


def record_operation(
    state: State,
    resource: str,
    *,
    metadata: AnyMessage,
    response: AnyMessage | None = None,
    error: status_pb2.Status | None = None,
) -> operations_pb2.Operation:
    """Store a new operation on `resource`; it is done when it has a response or an error."""
    if response is not None and error is not None:
        raise ValueError("an operation ends with a response or an error, not both")
    operation = operations_pb2.Operation(name=f"{resource}/operations/{state.new_id()}")
    operation.metadata.Pack(_protobuf(metadata))
    if response is not None:
        operation.response.Pack(_protobuf(response))
        operation.done = True
    elif error is not None:
        operation.error.CopyFrom(error)
        operation.done = True
    state.operations.put(operation)
    return operation


def _protobuf(message: AnyMessage) -> ProtobufMessage:
    if isinstance(message, proto.Message):
        return type(message).pb(message)
    return message
