"""Calls into the emulator's own gRPC server on behalf of the REST surface.

The REST surface is a front end, like Google's: it transcodes each request and
calls the gRPC method, so REST and gRPC clients share one World (state, clock,
settings) and everything the gRPC server does to a call — fault injection
(seeded percentages drawn from the same generator) and the RPC log included —
happens to REST calls too. Messages go through as bytes; a gRPC
error comes back as a `RestError` carrying its `google.rpc.Status`, details
included.
"""

from __future__ import annotations

import grpc
from grpc_status import rpc_status
from google.rpc import status_pb2

from emulator.rest.errors import RestError

__all__ = ["Gateway"]


class Gateway:
    """A plaintext channel to the emulator's gRPC server."""

    def __init__(self, target: str) -> None:
        self._channel = grpc.insecure_channel(target)

    def call(self, method_path: str, request: bytes, timeout: float | None = None) -> bytes:
        """Call `method_path` (`/package.Service/Method`) with a serialized request; its serialized answer."""
        try:
            return self._channel.unary_unary(method_path)(request, timeout=timeout)
        except grpc.RpcError as error:
            raise RestError(_status(error)) from None

    def close(self) -> None:
        self._channel.close()


def _status(error: grpc.RpcError) -> status_pb2.Status:
    # Errors that carry details send the whole google.rpc.Status in the trailers; the others only code and text.
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        return status
    return status_pb2.Status(code=error.code().value[0], message=error.details() or "")  # type: ignore[attr-defined]
