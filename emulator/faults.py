"""Fault injection: make chosen calls fail, to test how clients cope.

A fault is written `CODE:METHOD[:COUNT[:WHEN]]`:

    CODE    a gRPC status name, any case: unavailable, deadline_exceeded, internal, ...
    METHOD  which calls: a method name (CreateTuningJob), the method of a service
            (GenAiTuningService/CreateTuningJob, or with the package:
            google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob), every
            method of a service (GenAiTuningService/*), or * for every served method —
            GetOperation and the List methods included
    COUNT   how many of the next matching calls fail (default 1), * for every one,
            or a percentage (30%, 2.5%): each matching call fails with that
            probability, drawn from a random generator seeded by --fault-seed, so a
            run that makes the same calls in the same order fails the same ones
    WHEN    before (default): fail without handling the request;
            after: handle the request, then answer the error anyway — the
            "did my create go through?" case a client must be ready for;
            hang: handle the request, then hold the answer until the client
            gives up (or HANG_LIMIT_SECONDS pass) — a client that dies here
            never learns its request went through

Faults are tried in the order given; the first that fires answers the call. A
RESOURCE_EXHAUSTED fault answers as Vertex AI's per-minute request quotas do,
with a RATE_LIMIT_EXCEEDED ErrorInfo (see `emulator.quota`), so that clients can
tell it from the concurrent tuning job quota.

Faults are held in memory only; each process starts with the faults it was given.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import grpc
from grpc_status import rpc_status

from emulator import names
from emulator.projects import ProjectNumbers
from emulator.quota import quota_exceeded, rate_limit_of

__all__ = ["DEFAULT_FAULT_SEED", "FOREVER", "Fault", "FaultInjector", "UnknownMethodError"]

FOREVER = -1
DEFAULT_FAULT_SEED = 0
_WHEN = ("before", "after", "hang")
_ANY = "*"
# Request fields that name the resource a call is about, in the order they are looked for.
_RESOURCE_FIELDS = ("parent", "name", "endpoint")
HANG_LIMIT_SECONDS = 120.0


class UnknownMethodError(ValueError):
    """A fault names a method the server does not serve."""


@dataclass(frozen=True)
class Fault:
    """Answer `code` to the next `count` calls of `method` (FOREVER: to every call).

    With `percent`, every matching call fails with that probability instead (and `count` is FOREVER).
    """

    code: grpc.StatusCode
    method: str
    count: int = 1
    after: bool = False
    hang: bool = False
    percent: float | None = None

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
        _check_method_pattern(spec, method)
        count, percent = _parse_count(spec, rest[0]) if rest else (1, None)
        when = rest[1] if len(rest) > 1 else "before"
        if when not in _WHEN:
            raise ValueError(f"fault {spec!r}: WHEN must be before, after or hang, got {when!r}")
        return cls(
            code=code, method=method, count=count, after=when != "before", hang=when == "hang", percent=percent
        )

    def matches(self, full_method: str) -> bool:
        """Whether this fault is for `full_method` (`/package.Service/Method`)."""
        service, _, method = full_method.lstrip("/").rpartition("/")
        wanted_service, slash, wanted_method = self.method.rpartition("/")
        if wanted_method not in (_ANY, method):
            return False
        return not slash or wanted_service in (service, service.rsplit(".", 1)[-1])


class FaultInjector(grpc.ServerInterceptor):
    """A server interceptor that answers armed faults instead of (or after) the real handler."""

    def __init__(
        self, faults: Iterable[Fault] = (), *, seed: int = DEFAULT_FAULT_SEED, projects: ProjectNumbers | None = None
    ) -> None:
        self._remaining = [[fault, FOREVER if fault.percent is not None else fault.count] for fault in faults]
        self._random = random.Random(seed)
        self._projects = projects or ProjectNumbers()
        self._lock = threading.Lock()

    def check_methods(self, served: Iterable[str]) -> None:
        """Raise UnknownMethodError if a fault names none of the `served` full method names."""
        served = list(served)
        for fault, _ in self._remaining:
            if not any(fault.matches(method) for method in served):
                known = ", ".join(sorted(method.lstrip("/") for method in served))
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
        return _failing(handler, fault, handler_call_details.method, self._projects)

    def _take(self, full_method: str) -> Fault | None:
        with self._lock:
            for armed in self._remaining:
                fault, left = armed
                if left == 0 or not fault.matches(full_method):
                    continue
                if fault.percent is not None and self._random.random() * 100 >= fault.percent:
                    continue
                if left != FOREVER:
                    armed[1] = left - 1
                return fault
        return None


def _check_method_pattern(spec: str, method: str) -> None:
    service, slash, name = method.rpartition("/")
    if (slash and not service) or _ANY in service or (_ANY in name and name != _ANY):
        raise ValueError(
            f"fault {spec!r}: METHOD must be Method, Service/Method, Service/* or *, got {method!r}"
        )


def _parse_count(spec: str, text: str) -> tuple[int, float | None]:
    if text == _ANY:
        return FOREVER, None
    if text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            percent = math.nan
        if not 0 < percent <= 100:
            raise ValueError(f"fault {spec!r}: a percentage COUNT must be more than 0% and at most 100%, got {text!r}")
        return FOREVER, percent
    if not text.isdecimal() or int(text) < 1:
        raise ValueError(f"fault {spec!r}: COUNT must be a positive whole number, * or a percentage, got {text!r}")
    return int(text), None


def _failing(
    handler: grpc.RpcMethodHandler, fault: Fault, full_method: str, projects: ProjectNumbers
) -> grpc.RpcMethodHandler:
    message = f"Injected fault: {fault.code.name} for {full_method}."

    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        if fault.after:
            handler.unary_unary(request, context)
        if fault.hang:
            client_gone = threading.Event()
            context.add_callback(client_gone.set)
            client_gone.wait(HANG_LIMIT_SECONDS)
        if fault.code is grpc.StatusCode.RESOURCE_EXHAUSTED:
            context.abort_with_status(rpc_status.to_status(_rate_limited(request, full_method, projects, message)))
        context.abort(fault.code, message)

    return grpc.unary_unary_rpc_method_handler(
        answer,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _rate_limited(request: Any, full_method: str, projects: ProjectNumbers, message: str) -> Any:
    """The status of a per-minute request quota hit by `request`'s project in its region."""
    location = _location_of(request, projects)
    quota, per_minute = rate_limit_of(full_method.rsplit("/", 1)[-1])
    # A request naming no project (a malformed one) still gets the error's full shape.
    project, region = (location.project, location.location) if location else ("0", "")
    return quota_exceeded(quota, project, per_minute, region=region, explanation=message).status()


def _location_of(request: Any, projects: ProjectNumbers) -> names.Location | None:
    for field in _RESOURCE_FIELDS:
        value = getattr(request, field, None)
        if value is not None and not isinstance(value, str):
            value = getattr(value, "name", None)  # UpdateEndpoint names its endpoint inside the message
        location = names.location_in(projects.canonical_name(value)) if isinstance(value, str) else None
        if location is not None:
            return location
    return None
