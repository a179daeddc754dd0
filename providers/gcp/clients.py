"""The only place that builds Google Cloud clients: Vertex AI (GAPIC over gRPC) and Cloud Storage.

With VERTEX_AI_EMULATOR_HOST=host:port set, Vertex AI clients speak plaintext gRPC to the
project's emulator; otherwise they use the regional endpoint REGION-aiplatform.googleapis.com
with Application Default Credentials. Everything after the channel is the same code path.
google-cloud-storage honours STORAGE_EMULATOR_HOST by itself.

The client libraries are imported when a client is first built, so commands that never
call Google (`validate`) start fast. Clients are built once per process and target, then shared: gRPC channels are thread-safe,
and the dynamic-provider host serves a whole `pulumi up` in one process, so a run opens one
channel per region instead of one per resource and call.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from typing import TYPE_CHECKING

from providers.gcp.errors import AccessError, WrongServiceError

if TYPE_CHECKING:
    from google.cloud import aiplatform_v1, storage

EMULATOR_HOST_VARIABLE = "VERTEX_AI_EMULATOR_HOST"
STORAGE_EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST"
"""google-cloud-storage's own: with it set, uploads go to a Cloud Storage emulator."""


@dataclass(frozen=True)
class VertexServices:
    """The GAPIC clients of one Vertex AI target (a region's endpoint, or the emulator)."""

    tuning: "aiplatform_v1.GenAiTuningServiceClient"
    endpoints: "aiplatform_v1.EndpointServiceClient"


_lock = threading.Lock()
_expected: tuple[bool, str] | None = None
_vertex: dict[str, VertexServices] = {}
_storage: dict[str, "storage.Client"] = {}


def emulator_host() -> str:
    """The emulator's host:port, or "" when calls go to Google."""
    return os.environ.get(EMULATOR_HOST_VARIABLE, "")


def emulator_mismatch(use_emulator: bool, stack: str) -> str:
    """Why talking to Vertex AI would reach the wrong service for this stack ("" if it would not)."""
    host = emulator_host()
    stack = f"stack {stack!r}" if stack else "this stack"
    if use_emulator and not host:
        return (f"{stack} uses the Vertex AI emulator, but {EMULATOR_HOST_VARIABLE} is not "
                "set; start it with `make demo` or `python -m emulator` and export its host:port")
    for variable in (EMULATOR_HOST_VARIABLE, STORAGE_EMULATOR_VARIABLE):
        if os.environ.get(variable) and not use_emulator:
            return (f"{variable} is set ({os.environ[variable]}), but {stack} is not an emulator "
                    f"stack (gemini-tuning:useEmulator is not true): unset {variable} "
                    "to reach Google Cloud; nothing was called")
    return ""


def expect_emulator(use_emulator: bool, stack: str) -> None:
    """Says which service this process's stack talks to; `vertex_services` refuses the other.

    The dynamic providers call this from `configure` (which receives the stack's config), so
    even a refresh, which runs before the program's own checks, never reaches the emulator
    for a real stack or Google for an emulator stack.
    """
    global _expected
    _expected = (use_emulator, stack)


def vertex_services(region: str) -> VertexServices:
    """The shared clients for `region` (or for the emulator, which serves every region).

    Raises WrongServiceError when the stack expects the other service (see `expect_emulator`).
    """
    if _expected is not None and (problem := emulator_mismatch(*_expected)):
        raise WrongServiceError(problem)
    emulator = emulator_host()
    target = emulator or f"{region}-aiplatform.googleapis.com"
    with _lock:
        services = _vertex.get(target)
        if services is None:
            services = _vertex[target] = _build_vertex(target, plaintext=bool(emulator))
        return services


def _credentials_error(exc: Exception) -> AccessError:
    return AccessError(f"cannot get Google credentials: {exc}", "UNAUTHENTICATED")


def storage_client(project: str) -> storage.Client:
    """The shared Cloud Storage client for `project`."""
    from google.cloud import storage

    import google.auth.exceptions

    with _lock:
        client = _storage.get(project)
        if client is None:
            try:
                client = _storage[project] = storage.Client(project=project)
            except google.auth.exceptions.GoogleAuthError as exc:
                raise _credentials_error(exc) from exc
        return client


def _build_vertex(target: str, plaintext: bool) -> VertexServices:
    import grpc
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.endpoint_service.transports import (
        EndpointServiceGrpcTransport,
    )
    from google.cloud.aiplatform_v1.services.gen_ai_tuning_service.transports import (
        GenAiTuningServiceGrpcTransport,
    )

    if plaintext:
        channel = grpc.insecure_channel(target)
        return VertexServices(
            tuning=aiplatform_v1.GenAiTuningServiceClient(
                transport=GenAiTuningServiceGrpcTransport(channel=channel)),
            endpoints=aiplatform_v1.EndpointServiceClient(
                transport=EndpointServiceGrpcTransport(channel=channel)),
        )
    import google.auth.exceptions

    options = {"api_endpoint": target}
    try:
        return VertexServices(
            tuning=aiplatform_v1.GenAiTuningServiceClient(client_options=options),
            endpoints=aiplatform_v1.EndpointServiceClient(client_options=options),
        )
    except google.auth.exceptions.GoogleAuthError as exc:
        raise _credentials_error(exc) from exc
