"""Error answers of the REST surface, in Google's JSON error format.

Every error is a `google.rpc.Status`, whether the gRPC side answered it or the
REST layer found it (no route, a body that is not the request's JSON). It is
sent with the HTTP status its gRPC code maps to (AIP-193, as google.api_core
maps them) and this body:

    {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT",
               "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", ...}]}}

`details` is left out when there are none, as Google does.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import grpc
from google.api_core import exceptions as core_exceptions
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

__all__ = ["RestError", "http_status", "invalid_json", "not_found", "unimplemented"]

_log = logging.getLogger(__name__)


class RestError(Exception):
    """An answer that is not 200; `status` is what it says."""

    def __init__(self, status: status_pb2.Status) -> None:
        super().__init__(status.message)
        self.status = status

    @classmethod
    def of(cls, code: grpc.StatusCode, message: str, details: tuple[Message, ...] = ()) -> RestError:
        status = status_pb2.Status(code=code.value[0], message=message)
        for detail in details:
            status.details.add().Pack(detail)
        return cls(status)

    @property
    def http_status(self) -> int:
        return http_status(self.status.code)

    def document(self) -> dict[str, Any]:
        """The JSON body of this error."""
        error: dict[str, Any] = {
            "code": self.http_status,
            "message": self.status.message,
            "status": code_pb2.Code.Name(self.status.code),
        }
        details = [_detail(detail) for detail in self.status.details]
        if details:
            error["details"] = details
        return {"error": error}


def http_status(code: int) -> int:
    """The HTTP status for gRPC status code `code`: 400 for INVALID_ARGUMENT, 429 for RESOURCE_EXHAUSTED, ..."""
    grpc_code = next((status for status in grpc.StatusCode if status.value[0] == code), grpc.StatusCode.UNKNOWN)
    # api_core has no HTTP status for UNKNOWN and DATA_LOSS; google.rpc.Code says 500 for both.
    return int(core_exceptions.exception_class_for_grpc_status(grpc_code).code or HTTPStatus.INTERNAL_SERVER_ERROR)


def invalid_json(description: str, field: str = "") -> RestError:
    """A body or query parameter that is not the request's JSON, as Google words it."""
    message = f"Invalid JSON payload received. {description}"
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=message)
    return RestError.of(
        grpc.StatusCode.INVALID_ARGUMENT, message, (error_details_pb2.BadRequest(field_violations=[violation]),)
    )


def not_found(http_method: str, path: str) -> RestError:
    return RestError.of(grpc.StatusCode.NOT_FOUND, f"The emulator serves no method at {http_method} {path}.")


def unimplemented(method: str) -> RestError:
    """A Vertex AI method the emulator has a URL for but does not serve (gRPC answers the same)."""
    return RestError.of(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not served by the emulator.")


def _detail(detail: Any) -> dict[str, Any]:
    try:
        return json_format.MessageToDict(detail)
    except TypeError:
        # A detail type this process cannot print: name it rather than fail the whole answer.
        _log.warning("cannot print error detail of type %s", detail.type_url)
        return {"@type": detail.type_url}
