"""The Model Registry: models and their versions, as Vertex AI names them.

A model (`projects/P/locations/L/models/M`) has versions `1`, `2`, ...; each version is
a `Model` message of its own with the model's name and its `version_id`, and one of
them carries the alias `default`. A reference names a version:

    .../models/M@2         version 2
    .../models/M@ALIAS     the version carrying the alias (`@default` included)
    .../models/M           the default version

A tuning job registers version 1 of a new model; a job that continues tuning a model
(`TuningJob.pre_tuned_model`) registers the next version of the same model, unless it
gives a tuned model display name of its own (see `emulator.tuning_results`). The newest
version becomes the default: Vertex documents that a model has exactly one default
version, not which one a continued tuning job leaves as default.
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import Model

from emulator import names
from emulator.errors import NotFound
from emulator.store import State

__all__ = [
    "DEFAULT_ALIAS",
    "add_version",
    "check_checkpoint",
    "default_versions",
    "remove_model",
    "resolve",
    "version",
    "versions",
]

DEFAULT_ALIAS = "default"


def versions(state: State, name: str) -> list[Model]:
    """Every version of the model `name` (without a version), oldest first."""
    found = [model for model in state.models.values() if model.name == name]
    return sorted(found, key=lambda model: int(model.version_id))


def version(state: State, name: str, version_id: str) -> Model | None:
    """Version `version_id` of the model `name`, if it exists."""
    return state.models.get(f"{name}@{version_id}")


def default_versions(state: State) -> list[Model]:
    """The default version of every model: what ListModels lists."""
    return [model for model in state.models.values() if DEFAULT_ALIAS in model.version_aliases]


def resolve(state: State, reference: str) -> Model:
    """The version `reference` names (see the module docstring); NOT_FOUND if there is none."""
    wanted = names.parse_model_name(reference)
    every = versions(state, wanted.name)
    if not every:
        raise NotFound(f"Model {wanted.name} does not exist.")
    alias = wanted.version or DEFAULT_ALIAS
    for model in every:
        if wanted.version == model.version_id or alias in model.version_aliases:
            return model
    raise NotFound(f"Model {wanted.name} has no version {wanted.version!r}.")


def check_checkpoint(model: Model, checkpoint_id: str) -> None:
    """NOT_FOUND unless `checkpoint_id` is empty (the default checkpoint) or one of the version `model`'s."""
    checkpoint_ids = [checkpoint.checkpoint_id for checkpoint in model.checkpoints]
    if checkpoint_id and checkpoint_id not in checkpoint_ids:
        raise NotFound(
            f"Model {model.name}@{model.version_id} has no checkpoint {checkpoint_id!r}; "
            + (f"its checkpoints are {', '.join(checkpoint_ids)}." if checkpoint_ids else "it has no checkpoints.")
        )


def add_version(state: State, model: Model) -> None:
    """Store `model` as its model's newest version and make it the default one."""
    for earlier in versions(state, model.name):
        if DEFAULT_ALIAS in earlier.version_aliases:
            earlier.version_aliases = [alias for alias in earlier.version_aliases if alias != DEFAULT_ALIAS]
            state.models.put(earlier)
    model.version_aliases = [DEFAULT_ALIAS, *(alias for alias in model.version_aliases if alias != DEFAULT_ALIAS)]
    state.models.put(model)


def remove_model(state: State, name: str) -> None:
    """Remove the model `name` with all its versions."""
    for model in versions(state, name):
        state.models.remove(f"{model.name}@{model.version_id}")
