"""The RPC log: one JSON line per call, with the status the client saw.

    {"method": "CreateTuningJob", "service": "google.cloud.aiplatform.v1.GenAiTuningService",
     "status": "OK", "time": "2025-01-01T00:00:00.000000Z"}

`status` is the gRPC status name the call ended with, injected faults
included; a call whose client gave up first is DEADLINE_EXCEEDED (its deadline
passed) or CANCELLED. Calls of methods the emulator does not serve are logged
as UNIMPLEMENTED. `time` is when the call ended, on the emulator's clock (the
clock of create_time and the other timestamps it hands out), in RFC 3339, UTC,
with microseconds. Lines are appended and flushed one by one, so another
process can follow the file while the emulator runs.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC
from typing import Any, Callable

import grpc

from emulator.clock import Clock

__all__ = ["RpcLog", "RpcLogInterceptor"]


class RpcLog:
    """An open log file that lines are appended to; safe to share between threads."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open `path` for appending, creating it if needed (OSError if it cannot be)."""
        self._file = open(path, "a", encoding="utf-8")  # held open for the server's life, not a with block
        self._lock = threading.Lock()

    def write(self, full_method: str, status: grpc.StatusCode, clock: Clock) -> None:
        service, _, method = full_method.lstrip("/").rpartition("/")
        time = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = json.dumps({"method": method, "service": service, "status": status.name, "time": time})
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class RpcLogInterceptor(grpc.ServerInterceptor):
    """Logs every call once it has ended; put it first, so it sees what later interceptors answer."""

    def __init__(self, log: RpcLog, clock: Clock) -> None:
        self._log = log
        self._clock = clock

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        handler = continuation(handler_call_details)
        if handler is None:
            # Answered here rather than by gRPC, so that the log shows it.
            handler = grpc.unary_unary_rpc_method_handler(_unimplemented)
        if handler.unary_unary is None:
            return handler
        behaviour = handler.unary_unary

        def logged(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                response = behaviour(request, context)
            except BaseException:
                self._log.write(method, _status_seen(context, grpc.StatusCode.UNKNOWN), self._clock)
                raise
            self._log.write(method, _status_seen(context, grpc.StatusCode.OK), self._clock)
            return response

        return grpc.unary_unary_rpc_method_handler(
            logged,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _unimplemented(request: bytes, context: grpc.ServicerContext) -> None:
    context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")


def _status_seen(context: grpc.ServicerContext, otherwise: grpc.StatusCode) -> grpc.StatusCode:
    if not context.is_active():
        remaining = context.time_remaining()
        gave_up_at_deadline = remaining is not None and remaining <= 0
        return grpc.StatusCode.DEADLINE_EXCEEDED if gave_up_at_deadline else grpc.StatusCode.CANCELLED
    return context.code() or otherwise
