"""Which HTTP method and URL reach which gRPC method of the emulator.

Vertex AI's REST API is its gRPC API transcoded the way the `google.api.http`
annotations of its protos say: a URL template that binds request fields
(`POST /v1/{name=projects/*/locations/*/tuningJobs/*}:cancel`) and the request
field the body fills (`*`: the whole request). The Python GAPIC packages ship
no service descriptors, but their REST transports carry those annotations as
data (`_Base<Method>._get_http_options()`), so the routes are built from them,
for v1 and for v1beta1, rather than written out again here. Vertex's `/ui/`
URLs are served too, as v1: the GAPIC REST transports poll operations there.

`SERVED_METHODS` lists the gRPC methods the emulator serves; each gets the
routes Vertex AI has for it. The other methods of the same Vertex services
keep their routes and the gRPC method they stand for, so that they are called
and answer UNIMPLEMENTED as the gRPC side does; any other URL is NOT_FOUND.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from urllib.parse import unquote

from google.longrunning import operations_pb2
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from emulator import endpoint_service, metadata_service, model_service, operations_service, tuning_service
from emulator.rest import errors

__all__ = ["SERVED_METHODS", "VERSIONS", "Method", "PathTemplate", "Route", "Router", "message_class", "vertex_routes"]

VERSIONS = ("v1", "v1beta1")
"""The API versions served; the gRPC side speaks v1, v1beta1 is converted to and from it."""

_CONSOLE_SURFACE = "ui"
"""Vertex's `/ui/` URLs, where the GAPIC REST transports poll operations: answered as v1."""

MessageReference = str | type[Message]
"""An aiplatform message by name (looked up in each API version), or a protobuf class."""


@dataclass(frozen=True)
class Method:
    """A gRPC method the emulator serves, and its message types."""

    service: str
    """Its v1 gRPC service, e.g. google.cloud.aiplatform.v1.GenAiTuningService."""

    name: str
    request: MessageReference
    response: MessageReference

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.name}"

    def request_class(self, version: str) -> type[Message]:
        return message_class(self.request, version)

    def response_class(self, version: str) -> type[Message]:
        return message_class(self.response, version)


_TUNING = tuning_service.SERVICE_NAME
_ENDPOINTS = endpoint_service.SERVICE_NAME
_MODELS = model_service.SERVICE_NAME
_METADATA = metadata_service.SERVICE_NAME
_OPERATION = operations_pb2.Operation

SERVED_METHODS = (
    Method(_TUNING, "CreateTuningJob", "CreateTuningJobRequest", "TuningJob"),
    Method(_TUNING, "GetTuningJob", "GetTuningJobRequest", "TuningJob"),
    Method(_TUNING, "ListTuningJobs", "ListTuningJobsRequest", "ListTuningJobsResponse"),
    Method(_TUNING, "CancelTuningJob", "CancelTuningJobRequest", empty_pb2.Empty),
    Method(_ENDPOINTS, "CreateEndpoint", "CreateEndpointRequest", _OPERATION),
    Method(_ENDPOINTS, "GetEndpoint", "GetEndpointRequest", "Endpoint"),
    Method(_ENDPOINTS, "ListEndpoints", "ListEndpointsRequest", "ListEndpointsResponse"),
    Method(_ENDPOINTS, "UpdateEndpoint", "UpdateEndpointRequest", "Endpoint"),
    Method(_ENDPOINTS, "DeployModel", "DeployModelRequest", _OPERATION),
    Method(_ENDPOINTS, "UndeployModel", "UndeployModelRequest", _OPERATION),
    Method(_ENDPOINTS, "DeleteEndpoint", "DeleteEndpointRequest", _OPERATION),
    Method(_MODELS, "GetModel", "GetModelRequest", "Model"),
    Method(_MODELS, "ListModels", "ListModelsRequest", "ListModelsResponse"),
    Method(_MODELS, "ListModelVersions", "ListModelVersionsRequest", "ListModelVersionsResponse"),
    Method(_MODELS, "DeleteModel", "DeleteModelRequest", _OPERATION),
    Method(operations_service.SERVICE_NAME, "GetOperation", operations_pb2.GetOperationRequest, _OPERATION),
    Method(_METADATA, "GetContext", "GetContextRequest", "Context"),
)
"""Every method the gRPC side serves; a test keeps the two in step."""

# The Vertex services whose REST transports hold the routes; each also carries
# the routes of the mixins it is served with (Operations, Locations, IAM).
_VERTEX_SERVICES = (_TUNING, _ENDPOINTS, _MODELS, _METADATA)
_MIXIN_SERVICES = {
    **dict.fromkeys(
        ("ListOperations", "GetOperation", "DeleteOperation", "CancelOperation", "WaitOperation"),
        operations_service.SERVICE_NAME,
    ),
    **dict.fromkeys(("GetLocation", "ListLocations"), "google.cloud.location.Locations"),
    **dict.fromkeys(("GetIamPolicy", "SetIamPolicy", "TestIamPermissions"), "google.iam.v1.IAMPolicy"),
}

_VARIABLE = re.compile(r"\{(?P<field>[\w.]+)(?:=(?P<pattern>[^}]+))?\}")
_WILDCARD = re.compile(r"(\*\*|\*)")
# A segment never holds the `:verb` that ends some URLs (`.../tuningJobs/1:cancel`).
_WILDCARD_PATTERNS = {"*": "[^/:]+", "**": "[^:]+"}


@dataclass(frozen=True)
class PathTemplate:
    """A google.api.http URL template, e.g. `/v1/{name=projects/*/locations/*/tuningJobs/*}`."""

    text: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    """The request fields it binds, in order, dotted for nested ones (`endpoint.name`)."""

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        parts: list[str] = []
        fields: list[str] = []
        position = 0
        for variable in _VARIABLE.finditer(text):
            parts.append(_glob(text[position : variable.start()]))
            parts.append(f"({_glob(variable['pattern'] or '*')})")
            fields.append(variable["field"])
            position = variable.end()
        parts.append(_glob(text[position:]))
        return cls(text, re.compile("".join(parts)), tuple(fields))

    def match(self, path: str) -> dict[str, str] | None:
        """The field values `path` binds, percent-decoded; None if it does not fit."""
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        return {field: unquote(value) for field, value in zip(self.fields, match.groups())}


@dataclass(frozen=True)
class Route:
    """One HTTP method and URL template of a Vertex AI method."""

    http_method: str
    template: PathTemplate
    body: str
    """The request field the JSON body fills: `*` for the whole request, "" for no body."""

    version: str
    method_name: str
    method: Method | None
    """What serves it; None for a Vertex method the emulator does not serve."""

    grpc_path: str
    """The gRPC method it stands for (`/package.Service/Method`), served or not."""


class Router:
    """Finds the route of a request."""

    def __init__(self, routes: tuple[Route, ...] | None = None) -> None:
        self._routes = vertex_routes() if routes is None else routes

    def match(self, http_method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `http_method` and `path` and the fields it binds; NOT_FOUND if none."""
        for route in self._routes:
            if route.http_method == http_method:
                fields = route.template.match(path)
                if fields is not None:
                    return route, fields
        raise errors.not_found(http_method, path)


@cache
def vertex_routes() -> tuple[Route, ...]:
    """The routes of every method of the Vertex services served, those of served methods first."""
    served = {method.name: method for method in SERVED_METHODS}
    routes: dict[tuple[str, str], Route] = {}
    for version in VERSIONS:
        for service in _VERTEX_SERVICES:
            for method_name, rules in _http_rules(version, service).items():
                for rule in rules:
                    surface = rule["uri"].split("/")[1]
                    if surface not in (version, _CONSOLE_SURFACE):
                        continue
                    http_method = rule["method"].upper()
                    method = served.get(method_name)
                    # Mixin routes (GetOperation, ...) come with every service: keep one.
                    routes.setdefault(
                        (http_method, rule["uri"]),
                        Route(
                            http_method=http_method,
                            template=PathTemplate.parse(rule["uri"]),
                            body=rule.get("body", ""),
                            version="v1" if surface == _CONSOLE_SURFACE else version,
                            method_name=method_name,
                            method=method,
                            grpc_path=method.grpc_path if method else
                            f"/{_MIXIN_SERVICES.get(method_name, service)}/{method_name}",
                        ),
                    )
    return tuple(sorted(routes.values(), key=lambda route: route.method is None))


def _http_rules(version: str, service: str) -> dict[str, list[dict[str, str]]]:
    """The google.api.http rules of each method of `service`, as its GAPIC REST transport holds them."""
    short_name = service.rsplit(".", 1)[1]
    module_name = re.sub(r"(?<!^)(?=[A-Z])", "_", short_name).lower()
    module = importlib.import_module(f"google.cloud.aiplatform_{version}.services.{module_name}.transports.rest_base")
    transport = getattr(module, f"_Base{short_name}RestTransport")
    return {
        name.removeprefix("_Base"): holder._get_http_options()
        for name, holder in vars(transport).items()
        if name.startswith("_Base") and hasattr(holder, "_get_http_options")
    }


def _glob(text: str) -> str:
    return "".join(_WILDCARD_PATTERNS.get(part) or re.escape(part) for part in _WILDCARD.split(text))


def message_class(reference: MessageReference, version: str) -> type[Message]:
    """The protobuf class `reference` stands for in API `version`."""
    if isinstance(reference, str):
        return getattr(_types(version), reference).pb()
    return reference


def _types(version: str) -> ModuleType:
    return importlib.import_module(f"google.cloud.aiplatform_{version}")
