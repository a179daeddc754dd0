"""The job file's schema: the typed, strict `JobSpec` and its JSON Schema for editors.

Shape and types are checked by the pydantic models below (unknown keys are errors, no
type is coerced); pydantic's errors become `Problem`s naming the job-file field and what
is allowed. Rules that depend on the base model live in `rules.py`.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from providers.jobfile import durations
from providers.jobfile.catalogue import tool_catalogue
from providers.jobfile.evaluation import Metric
from providers.jobfile.fields import model_at
from providers.jobfile.problems import Problem

_CATALOGUE = tool_catalogue()
_ADAPTER_SIZES = sorted({size for model in _CATALOGUE.models.values() for size in model.adapter_sizes or ()})
# Suggestions for editors, not limits: a job repository's models.yaml may add models,
# regions and sizes, and the rules (rules.py) check each job against its model's row.
_MODEL_IDS = [model for model, rules in _CATALOGUE.models.items() if rules.successor is None]
"""The current models: those with no successor to move to."""

NAME_PATTERN = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"
# Vertex refuses a data set that is not a JSONL object ("... should be a GCS object of type JSONL").
DATASET_PATTERN = r"^(gs://[^/]+/.+|[^:]+)\.jsonl$"
KMS_KEY_PATTERN = r"^projects/[^/]+/locations/([a-z0-9-]+|\{region\})/keyRings/[^/]+/cryptoKeys/[^/]+$"
SERVICE_ACCOUNT_PATTERN = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-z]{2,}$"
STACK_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
TUNED_MODEL_PATTERN = r"^projects/[^/]+/locations/[a-z0-9-]+/models/[^/@]+(@[^/@]+)?$"
GCS_PREFIX_PATTERN = r"^gs://[^/]+(/.*)?$"
DEFAULT_CHECKPOINT, BEST_CHECKPOINT = "default", "best"


class _Strict(BaseModel):
    """Job-file keys are camelCase, unknown keys are errors, and no type is coerced."""

    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", strict=True, frozen=True
    )


class HyperParameters(_Strict):
    """Optional tuning hyper-parameters; unset ones take the model's defaults."""

    epoch_count: int | None = Field(default=None, gt=0)
    adapter_size: int | None = Field(
        default=None,
        description="Allowed sizes depend on the base model (see the README); unset lets Vertex choose.",
        json_schema_extra={"examples": _ADAPTER_SIZES},
    )
    learning_rate_multiplier: float | None = Field(default=None, gt=0)


def _id_as_text(value: Any) -> Any:
    """A checkpoint id as YAML reads `checkpoint: 2`: Vertex's ids are strings."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


_CHECKPOINT_ID_SCHEMA = {"type": ["string", "integer"]}


class PromoteWhen(_Strict):
    """The gate a new tuned model passes before the serving endpoint gives it traffic."""

    metric: Metric = Field(description="One of the job's evaluation.metrics: the score the gate reads.")
    at_least: float | None = Field(
        default=None, ge=0, le=1,
        description="The lowest score (of the checkpoint serving would deploy) that may serve.",
    )
    beats_serving: bool = Field(
        default=False,
        description="Also beat the score of the model the endpoint serves now (when it has one).",
    )


class Serving(_Strict):
    """A serving endpoint per region whose name never changes while tuned models come and go."""

    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    canary_percent: int | None = Field(
        default=None, ge=1, le=99,
        description="Share of traffic a newly tuned model gets first; remove it to promote.",
    )
    deletion_policy: Literal["delete", "retain"] = Field(
        default="retain",
        description="What happens to the serving endpoint when the job or this block is removed: "
                    "kept unless this says delete.",
    )
    checkpoint: str = Field(
        default=DEFAULT_CHECKPOINT, min_length=1,
        description="Which checkpoint of the tuned model the endpoint deploys: default (Vertex's "
                    "default, the last), best (the best promoteWhen.metric score), or a checkpoint id.",
        json_schema_extra={**_CHECKPOINT_ID_SCHEMA, "examples": [DEFAULT_CHECKPOINT, BEST_CHECKPOINT]},
    )
    promote_when: PromoteWhen | None = Field(
        default=None,
        description="Serve a new tuned model only when its evaluation passes this gate; until then "
                    "the endpoint keeps serving what it serves (HELD). Needs evaluation.",
    )

    _checkpoint_as_text = pydantic.field_validator("checkpoint", mode="before")(_id_as_text)


class ContinueFrom(_Strict):
    """Where a continuing job's tuning starts: a job's tuned model, or a tuned model by name."""

    job: str | None = Field(
        default=None, pattern=NAME_PATTERN, max_length=40,
        description="A job of the same stack: its tuned model in the same region, once it has succeeded.",
    )
    model: str | None = Field(
        default=None, pattern=TUNED_MODEL_PATTERN,
        description="projects/P/locations/L/models/M@VERSION: a tuned model in the job's region "
                    "(without @VERSION: its default version).",
    )
    checkpoint: str | None = Field(
        default=None, min_length=1,
        description="A checkpoint id of the source model; unset: its default checkpoint.",
        json_schema_extra=_CHECKPOINT_ID_SCHEMA,
    )

    _checkpoint_as_text = pydantic.field_validator("checkpoint", mode="before")(_id_as_text)


class Evaluation(_Strict):
    """Evaluate each checkpoint while tuning (Vertex's evaluation_config; preview, in the regions
    the model's catalogue row gives)."""

    metrics: list[Metric] = Field(
        min_length=1,
        description="At most one of each kind (rouge_*, bleu, exact_match): Vertex reports a score's "
                    "kind, not its metric.",
    )
    output_uri_prefix: str = Field(
        pattern=GCS_PREFIX_PATTERN, description="gs://BUCKET/PATH where Vertex writes the evaluation results.",
    )


class EncryptionSpec(_Strict):
    """A customer-managed key (CMEK) for the job and everything it creates."""

    kms_key_name: str = Field(
        pattern=KMS_KEY_PATTERN,
        description="projects/P/locations/L/keyRings/R/cryptoKeys/K, in the job's region; write "
                    "{region} as L for a job in several regions.",
    )


class JobSpec(_Strict):
    """One supervised tuning job, as declared in `jobs/<name>.yaml`."""

    model_config = ConfigDict(title="Gemini supervised tuning job")

    name: str = Field(pattern=NAME_PATTERN, max_length=40)
    description: str = Field(default="", max_length=1000)
    base_model: str | None = Field(
        default=None,
        description="A model of the catalogue (see the README, \"Models\"), or of the repository's "
                    "models.yaml. Required unless the job has continueFrom.",
        json_schema_extra={"examples": _MODEL_IDS},
    )
    continue_from: ContinueFrom | None = Field(
        default=None,
        description="Continue tuning a tuned model instead of a base model (no baseModel then): "
                    "{job: NAME} or {model: projects/P/locations/L/models/M@V}, with an optional checkpoint.",
    )
    regions: list[str] | None = Field(
        default=None, min_length=1,
        json_schema_extra={"items": {"examples": sorted(_CATALOGUE.known_regions())}},
    )
    training_dataset: str = Field(
        pattern=DATASET_PATTERN,
        description="gs://BUCKET/OBJECT, or a .jsonl file in the repository (uploaded per stack).",
    )
    validation_dataset: str | None = Field(default=None, pattern=DATASET_PATTERN)
    hyper_parameters: HyperParameters = HyperParameters()
    export_last_checkpoint_only: bool = Field(
        default=False,
        description="Keep only the last checkpoint (and its endpoint) instead of about one per epoch.",
    )
    evaluation: Evaluation | None = None
    tuned_model_display_name: str | None = Field(default=None, min_length=1, max_length=128)
    labels: dict[str, str] = Field(default_factory=dict)
    serving: Serving | None = None
    deletion_policy: Literal["delete", "retain"] = Field(
        default="retain",
        description="What happens to the endpoint Vertex deploys the tuned model to once the job is "
                    "deleted, or replaced by a version that succeeded.",
    )
    encryption_spec: EncryptionSpec | None = None
    service_account: str | None = Field(
        default=None, pattern=SERVICE_ACCOUNT_PATTERN,
        description="The service account the tuning runs as; the caller needs "
                    "iam.serviceAccounts.actAs on it.",
    )
    max_duration: str | None = Field(
        default=None, pattern=durations.DURATION_PATTERN,
        description="Cancel the job once it has been PENDING or RUNNING this long since it was submitted "
                    "(units h, m, s: 6h, 90m, 1h30m). Changing it never replaces the job.",
        json_schema_extra={"examples": ["6h", "90m"]},
    )
    max_estimated_cost: float | None = Field(
        default=None, gt=0,
        description="US dollars: a new submission of this job (per region) whose estimated cost is higher "
                    "is refused before anything is sent.",
    )

    @pydantic.field_validator("max_duration")
    @classmethod
    def _some_time(cls, value: str | None) -> str | None:
        if value is not None:
            durations.seconds(value)  # refuses 0h
        return value


def _override_fields() -> dict[str, Any]:
    fields = {}
    for name, field in JobSpec.model_fields.items():
        if name == "name":
            continue
        # The job field's constraints, description and alias, but optional.
        optional = FieldInfo.merge_field_infos(field, default=None, default_factory=None)
        fields[name] = (field.annotation | None, optional)
    return fields


JobOverride = pydantic.create_model(
    "JobOverride",
    __base__=_Strict,
    __doc__="What one stack sees differently: any job field but name. Mappings merge into the "
            "job's; lists and values replace it.",
    **_override_fields(),
)


class JobFile(JobSpec):
    """A job file: the job, and which stacks it belongs to and what each sees differently."""

    model_config = ConfigDict(title="Gemini supervised tuning job")

    stacks: list[Annotated[str, Field(pattern=STACK_NAME_PATTERN)]] | None = Field(
        default=None, min_length=1,
        description="The stacks this job belongs to; absent means every stack. Promote a job "
                    "by adding a stack here.",
    )
    overrides: dict[Annotated[str, Field(pattern=STACK_NAME_PATTERN)], JobOverride] | None = Field(
        default=None,
        description="Per stack, the job fields that differ there (any field but name).",
    )


def problem_from_pydantic(file: str, error: Any) -> Problem:
    """A pydantic validation error as a Problem naming the job-file field and what is allowed."""
    location = [str(part) for part in error["loc"]]
    field = ".".join(location)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = [f.alias for f in _model_at_location(location[:-1]).model_fields.values() if f.alias]
        unknown = location[-1]
        close = difflib.get_close_matches(unknown, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return Problem(
            file, field, f"unknown key{hint} Allowed keys here: {', '.join(allowed)}"
        )
    if kind == "missing":
        return Problem(file, field, "required key is missing")
    if kind == "string_pattern_mismatch" and location[-1] in ("trainingDataset", "validationDataset"):
        vertex_field = "training_dataset_uri" if location[-1] == "trainingDataset" else "validation_dataset_uri"
        return Problem(
            file, field,
            f"{error['input']!r}: {vertex_field} should be a GCS object of type JSONL "
            "(gs://BUCKET/OBJECT.jsonl), or write the path of a .jsonl file in the repository",
        )
    if kind == "string_pattern_mismatch" and location[-1] == "kmsKeyName":
        return Problem(
            file, field,
            f"{error['input']!r} is not a Cloud KMS key name: write "
            "projects/PROJECT/locations/REGION/keyRings/RING/cryptoKeys/KEY",
        )
    if kind == "string_pattern_mismatch" and location[-1] == "maxDuration":
        return Problem(file, field, f"{error['input']!r} is not a duration: write whole hours, minutes or "
                                    "seconds, largest unit first, e.g. 6h, 90m, 1h30m, 45s")
    if kind == "value_error":
        return Problem(file, field, str(error["ctx"]["error"]))
    if kind == "string_pattern_mismatch" and location[-1] == "serviceAccount":
        return Problem(file, field, f"{error['input']!r} is not a service account e-mail address")
    if kind == "string_pattern_mismatch" and location == ["name"]:
        return Problem(
            file, field,
            f"{error['input']!r} is not allowed: use lowercase letters, digits and dashes, "
            "starting with a letter and not ending with a dash",
        )
    return Problem(file, field, f"{error['msg']} (got {error['input']!r})")


def _model_at_location(location: list[str]) -> type[BaseModel]:
    """The model whose keys are allowed at `location` of a job file (`overrides.STACK` is a JobOverride)."""
    if location[:1] == ["overrides"] and len(location) >= 2:
        return model_at(JobOverride, location[2:])
    return model_at(JobFile, location)


def json_schema() -> dict:
    """The job file's JSON Schema, for editors; generated from `JobFile`."""
    schema = JobFile.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
