"""Project ids and project numbers: one project, two names.

Real Vertex AI accepts a project by id (`projects/demo-project/...`) or by
number (`projects/123456789012/...`) and always answers with the number. So
does the emulator: every name it stores and hands out is canonical, with the
project's number, and every name a request carries is made canonical before it
is looked at. A project's number is the one configured for its id
(`--project-number ID=NUMBER`), otherwise a stable 12-digit number derived
from the id. A request that names a number names that project, whether or not
an id is known for it.
"""

from __future__ import annotations

import hashlib
import re
from types import MappingProxyType
from typing import Mapping, TypeVar

import proto

__all__ = ["ProjectNumbers", "default_project_number", "is_project_number"]

_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_PROJECT_PREFIX = "projects/"
# Derived numbers have 12 digits, like most real ones, and never start with 0.
_SMALLEST_DERIVED = 10**11
_DERIVED_RANGE = 9 * 10**11

M = TypeVar("M", bound=proto.Message)


def is_project_number(text: str) -> bool:
    """Whether `text` is a project number (digits, no leading zero); project ids start with a letter."""
    return _NUMBER.fullmatch(text) is not None


def default_project_number(project_id: str) -> str:
    """The number of project `project_id` when none is configured: the same on every run."""
    digest = hashlib.sha256(project_id.encode("utf-8")).digest()
    return str(_SMALLEST_DERIVED + int.from_bytes(digest[:8], "big") % _DERIVED_RANGE)


class ProjectNumbers:
    """Which number each project id stands for."""

    def __init__(self, configured: Mapping[str, str] | None = None) -> None:
        """`configured` maps project ids to numbers; ValueError if it is not one to one."""
        configured = dict(configured or {})
        for project_id, number in configured.items():
            if not project_id or is_project_number(project_id) or "/" in project_id:
                raise ValueError(f"{project_id!r} is not a project id: ids start with a letter")
            if not is_project_number(number):
                raise ValueError(f"{number!r} (for {project_id}) is not a project number: digits, not starting with 0")
        owners: dict[str, str] = {}
        for project_id, number in configured.items():
            if number in owners:
                raise ValueError(f"projects {owners[number]} and {project_id} cannot both have number {number}")
            owners[number] = project_id
        self._configured = MappingProxyType(configured)

    def number(self, project: str) -> str:
        """The number of `project`, given by id or by number."""
        if is_project_number(project):
            return project
        return self._configured.get(project) or default_project_number(project)

    def canonical_name(self, name: str) -> str:
        """`name` with its project given by number; a name not under `projects/` is returned as it is."""
        if not name.startswith(_PROJECT_PREFIX):
            return name
        project, slash, rest = name.removeprefix(_PROJECT_PREFIX).partition("/")
        if not project:
            return name
        return f"{_PROJECT_PREFIX}{self.number(project)}{slash}{rest}"

    def canonical(self, request: M, *fields: str) -> M:
        """A copy of `request` whose resource name `fields` (dotted paths) name projects by number."""
        copy = type(request)(request)
        for path in fields:
            *parents, last = path.split(".")
            holder = copy
            for parent in parents:
                holder = getattr(holder, parent)
            name = getattr(holder, last)
            canonical = self.canonical_name(name)
            if canonical != name:  # setting a field of an unset message would make it set
                setattr(holder, last, canonical)
        return copy
