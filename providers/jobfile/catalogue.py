"""The model catalogue: what each base model accepts for supervised tuning, as data.

The tool's own rows are `catalogue.yaml` beside this module, each with its sources and the
date it was checked. A job repository may keep a `models.yaml` at its root in the same
shape: a row there adds a model, or overrides the tool's row key by key (giving its own
`sources` and `checked`), so a model Google adds next month needs no release of the tool.
Every row knows the file it came from, for messages and `validate`.

A figure Google does not publish is null: the rules then check nothing for it and let
Vertex AI decide, rather than inventing a limit. The lifecycle columns (evaluation regions,
continuous tuning, checkpoints) are features, not limits: a job may use one only where its
row offers it (`offers`), since a job built on a feature Google does not document would be
refused after the tool said yes. Which models are retired depends on the day: see
`providers.jobfile.retirement`.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Mapping

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel

from providers.jobfile.fields import problem_from_error
from providers.jobfile.problems import Problem

TOOL_FILE = Path(__file__).with_name("catalogue.yaml")
TOOL_FILE_SHOWN = "providers/jobfile/catalogue.yaml"
REPOSITORY_FILE = "models.yaml"
"""The job repository's own rows, at its root."""
Modality = Literal["audio", "document", "image", "text"]
MODALITIES: tuple[str, ...] = typing.get_args(Modality)
Day = Annotated[date, Strict(False)]
"""A date: YAML reads `2026-05-19` as one, JSON and quoted YAML carry it as text."""


class StrictRow(BaseModel):
    """Keys are camelCase, unknown keys are errors, nothing is coerced but dates."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True, frozen=True)


class ValidationShare(StrictRow):
    """With more than `above_examples` validation examples, at most `of_training` of the training examples."""

    above_examples: int = Field(ge=0)
    of_training: float = Field(gt=0, le=1)


class DatasetLimits(StrictRow):
    """What a data set for the model may hold: all that `providers.datasets` checks (None: not published)."""

    modalities: list[Modality] | None = None
    """Kinds of data the model tunes on; None: not published (any the checker knows)."""
    max_tokens_per_example: int | None = Field(default=None, gt=0)
    max_training_file_bytes: int | None = Field(default=None, gt=0)
    max_training_examples: int | None = Field(default=None, gt=0)
    """Examples in a text-only training file."""
    max_multimodal_training_examples: int | None = Field(default=None, gt=0)
    """Examples in a training file with image, audio or document parts."""
    max_validation_examples: int | None = Field(default=None, gt=0)
    validation_share: ValidationShare | None = None

    @classmethod
    def limits_of(cls, rules: DatasetLimits) -> dict[str, Any]:
        """The data set limits of a row, as plain values (what a data set check depends on)."""
        return {name: getattr(rules, name) for name in DatasetLimits.model_fields} | {
            "validation_share": rules.validation_share and rules.validation_share.model_dump()}


class ModelRules(DatasetLimits):
    """One row of the catalogue: what one base model accepts, and where that is written."""

    released: Day | None = None
    retires: Day | Literal["retired"] | None = None
    """The retirement date Google lists (extended at times, never moved earlier); "retired":
    retired, no date found; None: no date announced."""
    successor: str | None = None
    """The current model to move a job on this one to."""
    adapter_sizes: list[int] | None = None
    """Sizes a job may ask for; [] when the model takes none; None: not published (Vertex decides)."""
    default_adapter_size: int | None = None
    """The size Vertex uses when the job sets none; None when not documented (Vertex chooses).
    Shown to people only: a job's essence never takes it (`providers.resources.essence`)."""
    tuning_regions: list[str] | None = None
    """Where it tunes; None: every region of the catalogue's general list."""
    cmek: bool | None = None
    """Whether a customer-managed key (encryptionSpec) is supported; None: not published."""
    evaluation_regions: list[str] | None = None
    """Where a job may evaluate checkpoints (evaluationConfig); [] nowhere; None: not documented."""
    continuous_tuning: bool | None = None
    """Whether its tuned models can be tuned further (pre_tuned_model); None: not documented."""
    checkpoints: bool | None = None
    """Whether its jobs save intermediate checkpoints; None: not documented."""
    sources: list[str] = Field(min_length=1)
    checked: Day
    notes: str = ""

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> ModelRules:
        if (self.default_adapter_size is not None and self.adapter_sizes is not None
                and self.default_adapter_size not in self.adapter_sizes):
            raise ValueError(f"defaultAdapterSize {self.default_adapter_size} is not one of adapterSizes")
        return self


class _Regions(StrictRow):
    sources: list[str] = Field(min_length=1)
    checked: Day
    regions: list[str] = Field(min_length=1)


class _ToolFile(StrictRow):
    tuning_regions: _Regions
    models: dict[str, ModelRules]


@dataclass(frozen=True)
class Catalogue:
    """Every base model the tool knows, with the file each row came from."""

    models: Mapping[str, ModelRules]
    origins: Mapping[str, str]
    """The file each row came from: the tool's catalogue, or the repository's models.yaml."""
    tuning_regions: frozenset[str]
    """Where Google lists supervised tuning: the regions of a model without its own list."""
    problems: tuple[Problem, ...] = field(default=())
    """Mistakes in the repository's models.yaml (its broken rows are left out)."""

    def rules(self, model: str) -> ModelRules | None:
        return self.models.get(model)

    def offering(self, feature: str) -> list[str]:
        """The models whose rows offer `feature` ("continuous_tuning", "checkpoints",
        "evaluation_regions"), for messages."""
        return sorted(model for model, rules in self.models.items() if getattr(rules, feature))

    def origin(self, model: str) -> str:
        return self.origins.get(model, "")

    def regions_of(self, model: str) -> frozenset[str]:
        """Where `model` tunes."""
        rules = self.models[model]
        return frozenset(rules.tuning_regions) if rules.tuning_regions is not None else self.tuning_regions

    def known_regions(self) -> frozenset[str]:
        """Every region any model tunes in."""
        return self.tuning_regions.union(*(rules.tuning_regions or () for rules in self.models.values()))

    def closest(self, model: str) -> str | None:
        close = difflib.get_close_matches(model, list(self.models), n=1)
        return close[0] if close else None

    def with_row(self, model: str, rules: ModelRules, origin: str) -> Catalogue:
        """This catalogue with `model`'s row replaced (or added)."""
        return replace(self, models=MappingProxyType({**self.models, model: rules}),
                       origins=MappingProxyType({**self.origins, model: origin}))


@cache
def tool_catalogue() -> Catalogue:
    """The tool's own rows (`catalogue.yaml`); a mistake there is a bug and raises."""
    data = yaml.safe_load(TOOL_FILE.read_text(encoding="utf-8"))
    parsed = _ToolFile.model_validate(data)
    return Catalogue(
        models=MappingProxyType(dict(parsed.models)),
        origins=MappingProxyType(dict.fromkeys(parsed.models, TOOL_FILE_SHOWN)),
        tuning_regions=frozenset(parsed.tuning_regions.regions),
    )


def load_catalogue(root: Path) -> Catalogue:
    """The tool's rows with the repository's `models.yaml` (at `root`) merged in, if there is one.

    A row there for a new model needs every key; a row for a known model gives the keys it
    changes (with its own `sources` and `checked`). Broken rows are left out and reported
    in `problems`, naming models.yaml and the field, like a job file's mistakes.
    """
    catalogue = tool_catalogue()
    merged = merge_repository_rows(Path(root) / REPOSITORY_FILE, catalogue.models, catalogue.origins, ModelRules,
                                   "a model's row", "see the README, \"Models\"")
    if merged is None:
        return catalogue
    models, origins, problems = merged
    for model, rules in models.items():
        if rules.successor is not None and rules.successor not in models:
            problems.append(Problem(origins[model], f"models.{model}.successor",
                                    f"{rules.successor!r} is not a model of the catalogue"))
    return Catalogue(MappingProxyType(models), MappingProxyType(origins), catalogue.tuning_regions,
                     tuple(problems))


RowModel = typing.TypeVar("RowModel", bound=BaseModel)


def merge_repository_rows(
    path: Path, rows: Mapping[str, RowModel], origins: Mapping[str, str], row_model: type[RowModel], what: str,
    help_text: str,
) -> tuple[dict[str, RowModel], dict[str, str], list[Problem]] | None:
    """The tool's `rows` with a job repository's file of the same shape (`models:`, a row per
    model) merged in key by key; None when the repository has no such file.

    A row for a model the tool knows gives the keys it changes and its own `sources` and
    `checked`, so an override never passes for Google's own figure; a row for a new model
    gives every key. Broken rows are left out and reported, named like a job file's mistakes.
    """
    if not path.is_file():
        return None
    shown = path.name
    merged, merged_origins = dict(rows), dict(origins)
    data, problems = _read(path, help_text)
    if data is None:
        return merged, merged_origins, problems
    for model, row in data.items():
        where = f"models.{model}"
        if not isinstance(row, dict):
            problems.append(Problem(shown, where, f"{what} is a mapping of its keys"))
            continue
        if model in rows and not {"sources", "checked"} <= row.keys():
            problems.append(Problem(
                shown, where,
                f"a row that overrides the tool's row for {model} gives its own sources and checked "
                f"(the date you checked them), beside the keys it changes"))
            continue
        base = rows[model].model_dump(by_alias=True) if model in rows else {}
        try:
            merged[model] = row_model.model_validate({**base, **row})
        except pydantic.ValidationError as exc:
            problems.extend(problem_from_error(shown, error, row_model, ("models", model))
                            for error in exc.errors())
            continue
        merged_origins[model] = shown
    return merged, merged_origins, problems


def _read(path: Path, help_text: str) -> tuple[dict | None, list[Problem]]:
    """The `models:` mapping of a repository's file, or None with what is wrong."""
    shown = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(shown, "", f"cannot read the file: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return None, [Problem(shown, "", f"{where}not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        return None, [Problem(shown, "models",
                              f"{shown} holds `models:`, a mapping of model ids to their rows ({help_text})")]
    unknown = sorted(set(data) - {"models"})
    problems = [Problem(shown, key, f"unknown key; {shown} holds `models:` only") for key in unknown]
    return data["models"], problems
