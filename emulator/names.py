"""Resource names: `projects/{project}/locations/{location}/{collection}/{id}`.

Parsing lives here so every service rejects a malformed name the same way
(INVALID_ARGUMENT) and reports an unknown but well-formed one as NOT_FOUND.
Names are parsed as they are given; the services first make them canonical
(the project by number, see `emulator.projects`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.errors import InvalidArgument

__all__ = [
    "Location",
    "ModelName",
    "location_in",
    "parse_child",
    "parse_model_name",
    "parse_operation_name",
    "parse_parent",
]

_SEGMENT = r"[^/]+"
_PARENT = re.compile(rf"projects/(?P<project>{_SEGMENT})/locations/(?P<location>{_SEGMENT})")
_MODEL = re.compile(
    rf"(?P<parent>projects/{_SEGMENT}/locations/{_SEGMENT})"
    r"/models/(?P<id>[^/@]+)(?:@(?P<version>[^/@]+))?"
)
_OPERATION = re.compile(rf"projects/{_SEGMENT}/locations/{_SEGMENT}(?:/{_SEGMENT})*/operations/{_SEGMENT}")


@dataclass(frozen=True)
class Location:
    """A `projects/{project}/locations/{location}` parent."""

    project: str
    location: str

    @property
    def name(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    def child(self, collection: str, resource_id: str) -> str:
        """The name of resource `resource_id` in `collection` under this parent."""
        return f"{self.name}/{collection}/{resource_id}"


@dataclass(frozen=True)
class ModelName:
    """A model name, optionally pinned to a version (`.../models/M@1`)."""

    name: str
    version: str | None


def location_in(name: str) -> Location | None:
    """The location a name is under (`projects/P/locations/L/...`), or None if it is not under one."""
    match = _PARENT.match(name)
    return None if match is None else Location(match["project"], match["location"])


def parse_parent(parent: str) -> Location:
    """The location named by `parent`; INVALID_ARGUMENT if it is not one."""
    match = _PARENT.fullmatch(parent)
    if match is None:
        raise InvalidArgument(f"parent must look like projects/PROJECT/locations/LOCATION, got {parent!r}.")
    return Location(match["project"], match["location"])


def parse_child(name: str, collection: str) -> Location:
    """The parent of `name`, which must be `projects/P/locations/L/{collection}/ID`."""
    parent, _, resource_id = name.rpartition(f"/{collection}/")
    match = _PARENT.fullmatch(parent)
    if match is None or not resource_id or "/" in resource_id:
        raise InvalidArgument(
            f"name must look like projects/PROJECT/locations/LOCATION/{collection}/ID, got {name!r}."
        )
    return Location(match["project"], match["location"])


def parse_model_name(name: str) -> ModelName:
    """Split `.../models/M@VERSION` into the model's name and the version."""
    match = _MODEL.fullmatch(name)
    if match is None:
        raise InvalidArgument(
            f"name must look like projects/PROJECT/locations/LOCATION/models/ID[@VERSION], got {name!r}."
        )
    return ModelName(f"{match['parent']}/models/{match['id']}", match["version"])


def parse_operation_name(name: str) -> str:
    """Check that `name` is an operation name under a location and return it."""
    if _OPERATION.fullmatch(name) is None:
        raise InvalidArgument(
            "name must look like projects/PROJECT/locations/LOCATION/.../operations/ID, "
            f"got {name!r}."
        )
    return name
