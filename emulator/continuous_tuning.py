"""Continuous tuning: a job that tunes an already tuned model further (`TuningJob.pre_tuned_model`).

`pre_tuned_model {tuned_model_name, checkpoint_id}` takes the place of `base_model` (they
are a oneof). What Vertex AI documents ("Use continuous tuning for Gemini models"), and so
what `resolve_source` refuses:
- the tuned model must exist: `M@VERSION`, `M@ALIAS` or `M` (its default version); a job
  whose tuning has not succeeded has no tuned model yet (NOT_FOUND);
- a checkpoint, if named, must be one of that version's (NOT_FOUND); unnamed, the default
  checkpoint is used;
- it must be a supervised-tuned model of a base model that offers continuous tuning
  (`emulator.lifecycle_rules`), tuned on or after 2025-07-11 (INVALID_ARGUMENT);
- a continuous tuning job must use the customer-managed key (CMEK) the pre-tuned model's
  tuning job used (INVALID_ARGUMENT).
Not documented, and refused by the emulator all the same (INVALID_ARGUMENT): a tuned model
in another project or region than the job. Vertex's services are regional and keep a tuned
model in its job's region; what Vertex answers to a model elsewhere is not known.

The job's rules (adapter sizes, retirement, ...) are then those of the source's base
model, which the job reports as `pre_tuned_model.base_model` (output only); its own
`base_model` stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud.aiplatform_v1 import Model, TuningJob

from emulator import model_registry, names
from emulator.errors import InvalidArgument
from emulator.lifecycle_rules import CONTINUOUS_TUNING_SINCE, LIFECYCLE, lifecycle_of
from emulator.names import Location
from emulator.store import State

__all__ = ["Source", "resolve_source"]

_FIELD = "tuning_job.pre_tuned_model"


@dataclass(frozen=True)
class Source:
    """The tuned model a continuing job starts from."""

    model: Model
    """The version `tuned_model_name` names."""

    base_model: str
    """The base model it was first tuned from, as its first job named it."""


def resolve_source(state: State, location: Location, job: TuningJob) -> Source:
    """The source of job `job`, to be created under `location`; raises what Vertex would answer."""
    wanted = job.pre_tuned_model
    if not wanted.tuned_model_name:
        raise InvalidArgument(f"{_FIELD}.tuned_model_name is required: the tuned model to continue tuning.")
    reference = names.parse_model_name(wanted.tuned_model_name)
    if names.location_in(reference.name) != location:
        raise InvalidArgument(
            f"{_FIELD}.tuned_model_name {wanted.tuned_model_name!r} is not in the job's project and region "
            f"({location.name}); continue tuning a model in the region the job runs in."
        )
    model = model_registry.resolve(state, wanted.tuned_model_name)
    origin = _tuning_job_of(state, model)
    if origin is None:
        raise InvalidArgument(
            f"{_FIELD}.tuned_model_name: {model.name}@{model.version_id} is not a model that a supervised "
            "tuning job produced; only tuned Gemini models can be tuned further."
        )
    base_model = origin.base_model or origin.pre_tuned_model.base_model
    if not lifecycle_of(base_model).continuous_tuning:
        offered = sorted(name for name, support in LIFECYCLE.items() if support.continuous_tuning)
        raise InvalidArgument(
            f"{_FIELD}: {model.name}@{model.version_id} was tuned from {base_model}, which does not support "
            f"continuous tuning. Continuous tuning is available for models tuned from: {', '.join(offered)}."
        )
    if model.version_create_time < CONTINUOUS_TUNING_SINCE:
        raise InvalidArgument(
            f"{_FIELD}: {model.name}@{model.version_id} was tuned on {model.version_create_time.date()}; only "
            f"models tuned on or after {CONTINUOUS_TUNING_SINCE.date()} can be tuned further."
        )
    model_registry.check_checkpoint(model, wanted.checkpoint_id)
    source_key, job_key = model.encryption_spec.kms_key_name, job.encryption_spec.kms_key_name
    if source_key != job_key:
        raise InvalidArgument(
            f"tuning_job.encryption_spec.kms_key_name must be the customer-managed key of the pre-tuned model's "
            f"tuning job ({source_key or 'none: Google-managed encryption'}), got {job_key or 'none'}."
        )
    return Source(model=model, base_model=base_model)


def _tuning_job_of(state: State, model: Model) -> TuningJob | None:
    produced = f"{model.name}@{model.version_id}"
    return next((job for job in state.tuning_jobs.values() if job.tuned_model.model == produced), None)
