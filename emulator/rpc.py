"""The glue between gRPC and the behaviour classes.

A behaviour method takes a request message and returns a response message or
raises an `ApiError`. `unary_unary` wraps it into a gRPC method handler that
deserializes with the message types' own functions (no generated stubs),
serializes the answer and turns errors into statuses, with their error
details as `grpc-status-details-bin` (the `google.rpc.Status` google.api_core reads).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import grpc
import proto
from grpc_status import rpc_status

from emulator.errors import ApiError

__all__ = ["unary_unary"]

_log = logging.getLogger(__name__)


def unary_unary(behaviour: Callable[[Any], Any], request_type: type, response_type: type) -> grpc.RpcMethodHandler:
    """A handler answering `behaviour(request)`, or the status of the `ApiError` it raises."""

    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behaviour(request)
        except ApiError as error:
            context.abort_with_status(rpc_status.to_status(error.status()))
        except Exception:
            # A bug in the emulator: keep the traceback in its log, tell the client plainly.
            _log.exception("%s failed", getattr(behaviour, "__qualname__", behaviour))
            context.abort(grpc.StatusCode.INTERNAL, "The emulator failed to handle this request; see its log.")

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=_deserializer(request_type),
        response_serializer=_serializer(response_type),
    )


def _deserializer(message_type: type) -> Callable[[bytes], Any]:
    if issubclass(message_type, proto.Message):
        return message_type.deserialize
    return message_type.FromString  # type: ignore[attr-defined]


def _serializer(message_type: type) -> Callable[[Any], bytes]:
    if issubclass(message_type, proto.Message):
        return message_type.serialize
    return message_type.SerializeToString  # type: ignore[attr-defined]
