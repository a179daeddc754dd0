"""Fault injection: make chosen calls fail, to test how clients cope.

A fault is written `CODE:METHOD[:COUNT[:WHEN]]`:

    CODE    a gRPC status name, any case: unavailable, deadline_exceeded, internal, ...
    METHOD  a method name (CreateTuningJob) or its full form
            (google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob)
    COUNT   how many of the next calls fail (default 1), or * for every call
    WHEN    before (default): fail without handling the request;
            after: handle the request, then answer the error anyway — the
            "did my create go through?" case a client must be ready for;
            hang: handle the request, then hold the answer until the client
            gives up (or HANG_LIMIT_SECONDS pass) — a client that dies here
            never learns its request went through

Faults are held in memory only; each process starts with the faults it was given.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import grpc

__all__ = ["FOREVER", "Fault", "FaultInjector", "UnknownMethodError"]

FOREVER = -1
_WHEN = ("before", "after", "hang")
HANG_LIMIT_SECONDS = 120.0


class UnknownMethodError(ValueError):
    """A fault names a method the server does not serve."""


@dataclass(frozen=True)
class Fault:
    """Answer `code` to the next `count` calls of `method` (FOREVER: to every call)."""

    code: grpc.StatusCode
    method: str
    count: int = 1
    after: bool = False
    hang: bool = False

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from its `CODE:METHOD[:COUNT[:WHEN]]` form; ValueError if malformed."""
        parts = spec.split(":")
        if not 2 <= len(parts) <= 4 or not all(parts):
            raise ValueError(f"fault {spec!r} must look like CODE:METHOD[:COUNT[:WHEN]]")
        code_name, method, *rest = parts
        try:
            code = grpc.StatusCode[code_name.upper()]
        except KeyError:
            code = grpc.StatusCode.OK
        if code is grpc.StatusCode.OK:
            choices = ", ".join(c.name.lower() for c in grpc.StatusCode if c is not grpc.StatusCode.OK)
            raise ValueError(f"fault {spec!r}: unknown status code {code_name!r}; choose from {choices}")
        count = _parse_count(spec, rest[0]) if rest else 1
        when = rest[1] if len(rest) > 1 else "before"
        if when not in _WHEN:
            raise ValueError(f"fault {spec!r}: WHEN must be before, after or hang, got {when!r}")
        return cls(code=code, method=method, count=count, after=when != "before", hang=when == "hang")

    def matches(self, full_method: str) -> bool:
        """Whether this fault is for `full_method` (`/package.Service/Method`)."""
        return self.method in (full_method.rsplit("/", 1)[-1], full_method.lstrip("/"))


class FaultInjector(grpc.ServerInterceptor):
    """A server interceptor that answers armed faults instead of (or after) the real handler."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._remaining = [[fault, fault.count] for fault in faults]
        self._lock = threading.Lock()

    def check_methods(self, served: Iterable[str]) -> None:
        """Raise UnknownMethodError if a fault names none of the `served` full method names."""
        served = list(served)
        for fault, _ in self._remaining:
            if not any(fault.matches(method) for method in served):
                known = ", ".join(sorted(method.rsplit("/", 1)[-1] for method in served))
                raise UnknownMethodError(f"fault for {fault.method!r}: no such method is served; served: {known}")

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        fault = self._take(handler_call_details.method)
        if fault is None:
            return handler
        return _failing(handler, fault, handler_call_details.method)

    def _take(self, full_method: str) -> Fault | None:
        with self._lock:
            for armed in self._remaining:
                fault, left = armed
                if left != 0 and fault.matches(full_method):
                    if left != FOREVER:
                        armed[1] = left - 1
                    return fault
        return None


def _parse_count(spec: str, text: str) -> int:
    if text == "*":
        return FOREVER
    if not text.isdecimal() or int(text) < 1:
        raise ValueError(f"fault {spec!r}: COUNT must be a positive whole number or *, got {text!r}")
    return int(text)


def _failing(handler: grpc.RpcMethodHandler, fault: Fault, full_method: str) -> grpc.RpcMethodHandler:
    message = f"Injected fault: {fault.code.name} for {full_method}."

    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        if fault.after:
            handler.unary_unary(request, context)
        if fault.hang:
            client_gone = threading.Event()
            context.add_callback(client_gone.set)
            client_gone.wait(HANG_LIMIT_SECONDS)
        context.abort(fault.code, message)

    return grpc.unary_unary_rpc_method_handler(
        answer,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
