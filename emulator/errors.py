"""The errors the emulated API answers with.

Behaviour code raises these; `emulator.rpc` turns them into gRPC statuses, so
nothing below the servicers needs a gRPC context. A long-running operation
that fails keeps its error as the `google.rpc.Status` from `ApiError.status()`.
An error may carry standard `google.rpc` error details (ErrorInfo,
QuotaFailure, ...); they travel in that status, which is how google.api_core
finds them (`exc.reason`, `exc.metadata`, `exc.details`).

    ApiError                 any answer that is not OK
    ├── InvalidArgument      the request itself is wrong: fix it, do not retry
    ├── NotFound             the named resource does not exist
    ├── AlreadyExists        a resource with the requested id exists already
    ├── FailedPrecondition   the resource is in the wrong state for this call
    └── ResourceExhausted    a quota is used up: retry once something finishes
"""

from __future__ import annotations

from typing import Sequence

import grpc
from google.protobuf.message import Message
from google.rpc import status_pb2

__all__ = [
    "AlreadyExists",
    "ApiError",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "ResourceExhausted",
]


class ApiError(Exception):
    """An error answer; `code` is the gRPC status it is sent with."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, details: Sequence[Message] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)

    def status(self) -> status_pb2.Status:
        """This error as a `google.rpc.Status`: how it is sent, and the form an operation's `error` takes."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        for detail in self.details:
            status.details.add().Pack(detail)
        return status


class InvalidArgument(ApiError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ApiError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ApiError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(ApiError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ApiError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
