"""The REST API: one HTTP request in, one HTTP status and JSON body out.

A request is routed (`routes`), transcoded into its request message
(`transcoding`), brought to v1 (`versions`), answered by the gRPC server
(`gateway`) and the answer written in protobuf's JSON mapping of the route's
API version: lowerCamelCase names, enums by name, 64-bit integers as strings,
RFC 3339 timestamps, `Any` with `@type`. Errors are Google's JSON errors
(`errors`).

Google's system parameters are understood where they matter for the answer:
`alt=json` (or `$alt`) with `;enum-encoding=int` for enums as numbers, as the
GAPIC REST transports ask; `prettyPrint=false` for compact JSON (pretty is the
default, as on Google APIs). `key`, `access_token`, `quotaUser` and `$.xgafv`
are accepted and ignored, like the Authorization header; `fields` (partial
answers) and `callback` are not supported and answer INVALID_ARGUMENT, so an
answer never holds more than was asked for without saying so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
from google.protobuf import json_format

from emulator.rest import errors, versions
from emulator.rest.errors import RestError
from emulator.rest.gateway import Gateway
from emulator.rest.routes import Router
from emulator.rest.transcoding import request_message

__all__ = ["Answer", "ResponseFormat", "RestApi"]

_log = logging.getLogger(__name__)

_IGNORED_PARAMETERS = frozenset({"key", "access_token", "quotaUser", "$quotaUser", "$.xgafv"})
_UNSUPPORTED_PARAMETERS = frozenset({"fields", "$fields", "callback", "$callback"})
_ALT = ("alt", "$alt")
_PRETTY_PRINT = ("prettyPrint", "$prettyPrint")
_ALT_VALUES = {"json": False, "json;enum-encoding=int": True}
_INTERNAL_MESSAGE = "The emulator failed to handle this request; see its log."


@dataclass(frozen=True)
class Answer:
    """An HTTP status and the JSON body to send with it."""

    status: int
    body: bytes


@dataclass(frozen=True)
class ResponseFormat:
    """How the answer's JSON is written, as the system parameters ask."""

    integer_enums: bool = False
    pretty: bool = True

    def render(self, document: dict[str, Any]) -> bytes:
        if self.pretty:
            return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class RestApi:
    """Answers REST requests by calling the emulator's gRPC methods."""

    def __init__(self, gateway: Gateway, router: Router | None = None) -> None:
        self._gateway = gateway
        self._router = router or Router()

    def answer(self, http_method: str, target: str, body: bytes, timeout: float | None = None) -> Answer:
        """The answer to `http_method` on `target` (path and query) with `body`.

        `timeout` bounds the gRPC call, as the caller's X-Server-Timeout asks.
        """
        url = urlsplit(target)
        response_format = ResponseFormat()
        try:
            query = parse_qs(url.query, keep_blank_values=True)
            response_format = _response_format(query)
            document = self._call(http_method, url.path, _without_system_parameters(query), body, timeout)
            return Answer(200, response_format.render(_to_json(document, response_format)))
        except RestError as error:
            return self.refuse(error, response_format)
        except Exception:
            # A bug in the emulator: keep the traceback in its log, tell the client plainly.
            _log.exception("%s %s failed", http_method, url.path)
            return self.refuse(RestError.of(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE), response_format)

    def refuse(self, error: RestError, response_format: ResponseFormat | None = None) -> Answer:
        """The answer that carries `error`."""
        return Answer(error.http_status, (response_format or ResponseFormat()).render(error.document()))

    def _call(
        self, http_method: str, path: str, query: dict[str, list[str]], body: bytes, timeout: float | None
    ) -> Any:
        route, path_fields = self._router.match(http_method, path)
        if route.method is None:
            raise self._unserved(route.grpc_path, route.method_name, timeout)
        request = request_message(route.method.request_class(route.version), route.body, path_fields, query, body)
        v1_request, dropped = versions.to_v1(request, route.method.request_class("v1"))
        if dropped:
            _log.warning(
                "%s %s: dropped %s, which the emulator's v1 model does not keep",
                http_method, path, ", ".join(dropped),
            )
        answer = self._gateway.call(route.method.grpc_path, v1_request.SerializeToString(), timeout)
        return versions.from_v1(answer, route.method.response_class(route.version), route.version)

    def _unserved(self, grpc_path: str, method_name: str, timeout: float | None) -> RestError:
        """The error for a method the emulator does not serve, after calling it all the same.

        The gRPC side answers UNIMPLEMENTED, and its RPC log records the call, as for a gRPC client.
        """
        try:
            self._gateway.call(grpc_path, b"", timeout)
        except RestError as error:
            if error.status.code != grpc.StatusCode.UNIMPLEMENTED.value[0]:
                return error
        return errors.unimplemented(method_name)


def _to_json(message: Any, response_format: ResponseFormat) -> dict[str, Any]:
    return json_format.MessageToDict(message, use_integers_for_enums=response_format.integer_enums)


def _response_format(query: dict[str, list[str]]) -> ResponseFormat:
    unsupported = sorted(_UNSUPPORTED_PARAMETERS.intersection(query))
    if unsupported:
        raise RestError.of(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"The system parameter {unsupported[0]} is not supported by the emulator; leave it out.",
        )
    alt = _last_value(query, _ALT, "json")
    if alt not in _ALT_VALUES:
        raise RestError.of(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"alt={alt} is not supported by the emulator; use json or json;enum-encoding=int.",
        )
    pretty = _last_value(query, _PRETTY_PRINT, "true")
    if pretty not in ("true", "false"):
        raise RestError.of(grpc.StatusCode.INVALID_ARGUMENT, f"prettyPrint must be true or false, got {pretty!r}.")
    return ResponseFormat(integer_enums=_ALT_VALUES[alt], pretty=pretty == "true")


def _last_value(query: dict[str, list[str]], names: tuple[str, ...], default: str) -> str:
    values = [value for name in names for value in query.get(name, [])]
    return values[-1] if values else default


def _without_system_parameters(query: dict[str, list[str]]) -> dict[str, list[str]]:
    system = _IGNORED_PARAMETERS | set(_ALT) | set(_PRETTY_PRINT)
    return {name: values for name, values in query.items() if name not in system}
