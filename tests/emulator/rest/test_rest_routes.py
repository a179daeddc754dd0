"""The REST routes: one for every gRPC method served, Vertex's own URL templates, v1beta1 wire-compatible with v1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from emulator.clock import ManualClock
from emulator.deployments import OPERATION_KINDS
from emulator.rest.errors import RestError
from emulator.rest.routes import SERVED_METHODS, VERSIONS, PathTemplate, Router, message_class, vertex_routes
from emulator.server import SERVICE_MODULES
from emulator.store import Store
from emulator.world import Settings, World

PARENT = "projects/demo-project/locations/us-central1"


def test_every_method_the_grpc_side_serves_is_served_over_rest_and_no_other(tmp_path: Path) -> None:
    world = World(Store(tmp_path / "state.json"), ManualClock(), Settings(timedelta(seconds=10), 1))
    grpc_methods = {
        f"/{module.SERVICE_NAME}/{name}" for module in SERVICE_MODULES for name in module.method_handlers(world)
    }

    assert {method.grpc_path for method in SERVED_METHODS} == grpc_methods


@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_method_has_a_route_in_each_version(version: str) -> None:
    routed = {route.method for route in vertex_routes() if route.version == version and route.method}

    assert routed == set(SERVED_METHODS)


@pytest.mark.parametrize(
    ("http_method", "path", "method", "fields"),
    [
        ("POST", f"/v1/{PARENT}/tuningJobs", "CreateTuningJob", {"parent": PARENT}),
        ("GET", f"/v1/{PARENT}/tuningJobs/7", "GetTuningJob", {"name": f"{PARENT}/tuningJobs/7"}),
        ("POST", f"/v1/{PARENT}/tuningJobs/7:cancel", "CancelTuningJob", {"name": f"{PARENT}/tuningJobs/7"}),
        ("GET", f"/v1beta1/{PARENT}/tuningJobs", "ListTuningJobs", {"parent": PARENT}),
        ("PATCH", f"/v1/{PARENT}/endpoints/e-1", "UpdateEndpoint", {"endpoint.name": f"{PARENT}/endpoints/e-1"}),
        ("POST", f"/v1/{PARENT}/endpoints/9:deployModel", "DeployModel", {"endpoint": f"{PARENT}/endpoints/9"}),
        ("GET", f"/v1/{PARENT}/models/5%401", "GetModel", {"name": f"{PARENT}/models/5@1"}),
        ("GET", f"/v1/{PARENT}/endpoints/9/operations/3", "GetOperation",
         {"name": f"{PARENT}/endpoints/9/operations/3"}),
        ("GET", f"/v1beta1/{PARENT}/models/5/operations/3", "GetOperation",
         {"name": f"{PARENT}/models/5/operations/3"}),
        ("GET", f"/ui/{PARENT}/endpoints/9/operations/3", "GetOperation",
         {"name": f"{PARENT}/endpoints/9/operations/3"}),
        ("POST", f"/v1/{PARENT}/endpoints/9:mutateDeployedModel", "MutateDeployedModel",
         {"endpoint": f"{PARENT}/endpoints/9"}),
    ],
)
def test_urls_reach_the_method_googles_annotations_name(
    http_method: str, path: str, method: str, fields: dict[str, str]
) -> None:
    route, bound = Router().match(http_method, path)

    assert (route.method_name, bound) == (method, fields)


@pytest.mark.parametrize(
    ("http_method", "path", "grpc_path"),
    [
        ("POST", f"/v1/{PARENT}/tuningJobs", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob"),
        ("POST", f"/v1beta1/{PARENT}/tuningJobs:rebaseTunedModel",
         "/google.cloud.aiplatform.v1.GenAiTuningService/RebaseTunedModel"),
        ("POST", f"/v1/{PARENT}/endpoints/9:mutateDeployedModel",
         "/google.cloud.aiplatform.v1.EndpointService/MutateDeployedModel"),
        ("GET", f"/v1/{PARENT}/models/5:listVersions", "/google.cloud.aiplatform.v1.ModelService/ListModelVersions"),
        ("POST", f"/v1/{PARENT}/endpoints/9/operations/3:cancel", "/google.longrunning.Operations/CancelOperation"),
        ("GET", f"/v1/{PARENT}", "/google.cloud.location.Locations/GetLocation"),
        ("POST", f"/v1/{PARENT}/models/5:getIamPolicy", "/google.iam.v1.IAMPolicy/GetIamPolicy"),
    ],
)
def test_each_route_names_the_grpc_method_it_stands_for_served_or_not(
    http_method: str, path: str, grpc_path: str
) -> None:
    route, _ = Router().match(http_method, path)

    assert route.grpc_path == grpc_path


@pytest.mark.parametrize(
    ("http_method", "path"),
    [
        ("GET", f"/v1/{PARENT}/tuningJobs/7:cancel"),
        ("DELETE", f"/v1/{PARENT}/tuningJobs/7"),
        ("GET", f"/v2/{PARENT}/tuningJobs/7"),
        ("GET", f"/v1/{PARENT}/tuningJobs/7/extra"),
        ("GET", f"/v1/projects/p/tuningJobs/7"),
        ("GET", "/"),
    ],
)
def test_other_urls_are_not_found(http_method: str, path: str) -> None:
    with pytest.raises(RestError, match="serves no method") as raised:
        Router().match(http_method, path)

    assert raised.value.http_status == 404


def test_a_template_binds_nested_fields_and_keeps_the_verb_out_of_its_segments() -> None:
    template = PathTemplate.parse("/v1/{endpoint.name=projects/*/locations/*/endpoints/*}:update")

    assert template.fields == ("endpoint.name",)
    assert template.match(f"/v1/{PARENT}/endpoints/1:update") == {"endpoint.name": f"{PARENT}/endpoints/1"}
    assert template.match(f"/v1/{PARENT}/endpoints/1") is None
    assert template.match(f"/v1/{PARENT}/endpoints/1:other") is None


def test_v1beta1_numbers_the_fields_it_shares_with_v1_alike() -> None:
    # The REST surface converts between the versions through the wire format:
    # that is only sound if a field number means the same field in both.
    references = {reference for method in SERVED_METHODS for reference in (method.request, method.response)}
    references |= {kind.metadata_type.__name__ for kind in OPERATION_KINDS.values()}
    references |= {"Endpoint", "DeployModelResponse", "UndeployModelResponse"}  # what operations answer
    mismatches: list[str] = []
    seen: set[str] = set()
    for reference in references:
        _compare(message_class(reference, "v1").DESCRIPTOR, message_class(reference, "v1beta1").DESCRIPTOR,
                 mismatches, seen)

    assert mismatches == []


def _compare(v1: Descriptor, v1beta1: Descriptor, mismatches: list[str], seen: set[str]) -> None:
    if v1beta1.full_name in seen:
        return
    seen.add(v1beta1.full_name)
    for field in v1beta1.fields:
        counterpart = v1.fields_by_number.get(field.number)
        if counterpart is None:
            continue  # v1beta1-only: dropped on the way to v1
        if (counterpart.name, counterpart.type, counterpart.is_repeated) != (field.name, field.type, field.is_repeated):
            mismatches.append(f"{v1beta1.full_name} field {field.number}: {field.name} vs v1 {counterpart.name}")
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.name != counterpart.message_type.name:
                mismatches.append(f"{v1beta1.full_name}.{field.name}: {field.message_type.full_name}")
            else:
                _compare(counterpart.message_type, field.message_type, mismatches, seen)
        elif field.type == FieldDescriptor.TYPE_ENUM:
            names = {value.number: value.name for value in counterpart.enum_type.values}
            mismatches.extend(
                f"{field.enum_type.full_name} {value.number}: {value.name} vs v1 {names[value.number]}"
                for value in field.enum_type.values
                if names.get(value.number, value.name) != value.name
            )
