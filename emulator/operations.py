"""Long-running operations: started by one request, finished by polling.

An operation is named under the resource it acts on
(`projects/P/locations/L/endpoints/E/operations/O`), carries typed metadata
(whose `generic_metadata` holds the create and update times) and, once done, a
typed response or an error, packed as `Any` the way Vertex AI packs them.

When an operation finishes: it is not done when it is started. Each
GetOperation asked about it counts as a poll, and the poll that brings the
count to `Settings.operation_polls` completes it (with 0, the request that
starts it does); with `Settings.operation_duration`, so does the first request
after that much time has passed on the clock, as Vertex finishes an operation
whether or not anyone asks (a client whose answer was lost never knew its name).
Until then nobody sees its effect. Completing checks the
request again against the state as it is then — other operations may have
changed it since — and either makes the change and answers the response, or
answers the error in `operation.error`. The change, the operation turning done
and the removal of its pending record are saved by one transaction, so the
change happens exactly once, whenever the emulator is killed.

What an operation does is its `OperationKind`; `emulator.deployments` declares
the kinds the services start and `operations_service` completes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import proto
from google.cloud.aiplatform_v1 import GenericOperationMetadata
from google.longrunning import operations_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message as ProtobufMessage

from emulator.errors import ApiError, NotFound
from emulator.store import PendingOperation, State

__all__ = ["Commit", "OperationKind", "complete_due", "pending_requests", "poll", "start"]

AnyMessage = proto.Message | ProtobufMessage
Commit = Callable[[], AnyMessage]
"""Makes a checked change to the state and returns the operation's response."""


@dataclass(frozen=True)
class OperationKind:
    """One kind of long-running operation, e.g. DeployModel."""

    name: str
    """The method that starts it; pending operations are stored with it."""

    request_type: type[proto.Message]
    """The request message it is started with."""

    metadata_type: type[proto.Message]
    """Its typed metadata; every Vertex AI operation metadata has a `generic_metadata` field."""

    prepare: Callable[[State, Any, datetime], Commit]
    """Check the request against the state at a moment, raising an `ApiError` if
    it cannot be done, and return the commit that does it. Checking changes nothing."""


def start(
    state: State, kind: OperationKind, resource: str, request: proto.Message, *, now: datetime, polls_needed: int
) -> operations_pb2.Operation:
    """Record a new operation of `kind` on `resource`, not done unless `polls_needed` is 0.

    `request` is checked first: errors are raised, to be answered by the
    request that tried to start the operation, and nothing is recorded.
    """
    kind.prepare(state, request, now)
    operation = operations_pb2.Operation(name=f"{resource}/operations/{state.new_id()}")
    metadata = kind.metadata_type(generic_metadata=GenericOperationMetadata(create_time=now, update_time=now))
    operation.metadata.Pack(_protobuf(metadata))
    packed = any_pb2.Any()
    packed.Pack(_protobuf(request))
    pending = PendingOperation(name=operation.name, kind=kind.name, request=packed)
    if polls_needed == 0:
        return _complete(state, operation, pending, kind, now)
    state.operations.put(operation)
    state.pending_operations.put(pending)
    return operation


def poll(
    state: State, name: str, *, now: datetime, polls_needed: int, kinds: Mapping[str, OperationKind]
) -> operations_pb2.Operation:
    """The operation `name` after counting this poll, completing it if this is the poll it waited for."""
    operation = state.operations.get(name)
    if operation is None:
        raise NotFound(f"Operation {name} does not exist.")
    pending = state.pending_operations.get(name)
    if pending is None:
        return operation
    pending = replace(pending, polls=pending.polls + 1)
    if pending.polls < polls_needed:
        state.pending_operations.put(pending)
        return operation
    kind = kinds.get(pending.kind)
    if kind is None:
        raise RuntimeError(f"operation {name} is of kind {pending.kind!r}, which this emulator cannot complete")
    return _complete(state, operation, pending, kind, now)


def complete_due(state: State, *, now: datetime, duration: timedelta, kinds: Mapping[str, OperationKind]) -> None:
    """Complete every pending operation started `duration` or longer before `now`."""
    for pending in list(state.pending_operations.values()):
        operation = state.operations.get(pending.name)
        kind = kinds.get(pending.kind)
        if operation is None or kind is None:
            continue
        metadata = kind.metadata_type.pb()()
        operation.metadata.Unpack(metadata)
        started = metadata.generic_metadata.create_time.ToDatetime(tzinfo=timezone.utc)
        if now - started >= duration:
            _complete(state, operation, pending, kind, now)


def pending_requests(state: State, kind: OperationKind) -> list[Any]:
    """The requests of the operations of `kind` that are not done yet."""
    return [
        kind.request_type.deserialize(pending.request.value)
        for pending in state.pending_operations.values()
        if pending.kind == kind.name
    ]


def _complete(
    state: State,
    operation: operations_pb2.Operation,
    pending: PendingOperation,
    kind: OperationKind,
    now: datetime,
) -> operations_pb2.Operation:
    request = kind.request_type.deserialize(pending.request.value)
    try:
        commit = kind.prepare(state, request, now)
    except ApiError as error:
        operation.error.CopyFrom(error.status())
    else:
        operation.response.Pack(_protobuf(commit()))
    metadata = kind.metadata_type.pb()()
    operation.metadata.Unpack(metadata)
    metadata.generic_metadata.update_time.FromDatetime(now)
    operation.metadata.Pack(metadata)
    operation.done = True
    state.operations.put(operation)
    if pending.name in state.pending_operations:
        state.pending_operations.remove(pending.name)
    return operation


def _protobuf(message: AnyMessage) -> ProtobufMessage:
    if isinstance(message, proto.Message):
        return type(message).pb(message)
    return message
