"""The names users write, taken from the pydantic models that define them: one home for field names.

A job file's keys (and models.yaml's) are the camelCase aliases of the pydantic models'
attributes. Everything that names a field to a user (problems, the plan's "why", the data
set checks) asks here with the attribute path, so a field is spelled once, in its model:
`field_name(JobSpec, "hyper_parameters", "epoch_count")` is "hyperParameters.epochCount".
A path that does not exist raises at import time of its caller, not in front of a user.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from providers.jobfile.problems import Problem


def field_name(model: type[BaseModel], *attributes: str) -> str:
    """The dotted name users write for the attribute path `attributes` of `model`."""
    names = []
    for attribute in attributes:
        info = model.model_fields[attribute]
        names.append(info.alias or attribute)
        inner = model_in(info.annotation)
        if inner is not None:
            model = inner
    return ".".join(names)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class of a field typed `Model`, `Model | None`, `list[Model]` or `dict[str, Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = model_in(argument)
        if found is not None:
            return found
    return None


def model_at(model: type[BaseModel], location: list[str]) -> type[BaseModel]:
    """The model whose keys are allowed at `location` (a path of aliases, keys and indexes)."""
    parts = list(location)
    while parts:
        part = parts.pop(0)
        info = next((f for f in model.model_fields.values() if f.alias == part), None)
        if info is None:
            break
        origin = typing.get_origin(info.annotation)
        inner = model_in(info.annotation)
        if inner is None:
            break
        if origin is dict or any(typing.get_origin(a) is dict for a in typing.get_args(info.annotation)):
            if not parts:
                break
            parts.pop(0)  # a key of the mapping (a stack, a model id)
        model = inner
    return model


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias for f in model.model_fields.values() if f.alias]


def problem_from_error(file: str, error: Any, root: type[BaseModel], prefix: tuple[str, ...] = ()) -> Problem:
    """A pydantic validation error as a Problem naming the file, the field and what is allowed.

    `root` is the model validated at `prefix` (the location of what was validated in the file).
    """
    location = [*prefix, *(str(part) for part in error["loc"])]
    field_path = ".".join(location)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = allowed_keys(model_at(root, [str(part) for part in error["loc"]][:-1]))
        close = difflib.get_close_matches(location[-1], allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return Problem(file, field_path, f"unknown key{hint} Allowed keys here: {', '.join(allowed)}")
    if kind == "missing":
        return Problem(file, field_path, "required key is missing")
    if kind == "value_error":
        return Problem(file, field_path, str(error["ctx"]["error"]))
    return Problem(file, field_path, f"{error['msg']} (got {error['input']!r})")
