"""Desired state: the fields that define a Vertex tuning job, with defaults filled in.

Two specs with the same essence are the same paid job; any difference means a new job.
Values are plain JSON (no None: Pulumi treats null inputs as unknown).

Each essence key declares the job-file field it comes from (`JOB_FILE_FIELDS`, spelled
by the schema: `providers.jobfile.fields`), so the plan's "why" names what the user
wrote without a second list of names.

Stacks made by earlier releases hold jobs whose essence, spec hash and resource id were
computed without the keys added since; so a key added by a later release (encryption key,
service account, the model a job continues, checkpoints, evaluation) is part of the
essence only when the job sets it, and a job that does not keeps exactly the essence it
had. Adding such a key is one entry in `OPTIONAL_KEYS`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from providers.jobfile.catalogue import Catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.loading import parse_job
from providers.jobfile.rules import key_for_region
from providers.jobfile.schema import JobSpec

DEFAULT_LEARNING_RATE_MULTIPLIER = 1.0
FIRST_RELEASE_ADAPTER_SIZES = {"gemini-1.5-pro-002": 4, "gemini-1.5-flash-002": 8}
"""The adapter sizes the first release filled in for a job that set none. Frozen here, not
read from the catalogue: stacks hold jobs whose spec hash was computed with them, and a
catalogue row (or a job repository's models.yaml) that learns a model's default must never
turn into a different paid job for every file that sets no size."""

ESSENCE_FIELDS: dict[str, str] = {
    "base_model": field_name(JobSpec, "base_model"),
    "training_dataset_uri": field_name(JobSpec, "training_dataset"),
    "validation_dataset_uri": field_name(JobSpec, "validation_dataset"),
    "epoch_count": field_name(JobSpec, "hyper_parameters", "epoch_count"),
    "adapter_size": field_name(JobSpec, "hyper_parameters", "adapter_size"),
    "learning_rate_multiplier": field_name(JobSpec, "hyper_parameters", "learning_rate_multiplier"),
    "tuned_model_display_name": field_name(JobSpec, "tuned_model_display_name"),
    "description": field_name(JobSpec, "description"),
    "labels": field_name(JobSpec, "labels"),
}
"""Keys every essence has, since the first release, and the job-file field of each."""
ESSENCE_KEYS = tuple(ESSENCE_FIELDS)


@dataclass(frozen=True)
class OptionalKey:
    """An essence key added since the first release: present only when the job sets it."""

    job_field: str
    """The job-file field it comes from."""
    value: Callable[[JobSpec, str, str], Any]
    """Its value for a job in a region that continues a tuned model ("" if none); None when
    the job does not set it."""


def _evaluation_config(spec: JobSpec) -> dict | None:
    if spec.evaluation is None:
        return None
    # Sorted: the order metrics are written in is not a different job. No release before
    # evaluation was added recorded an essence with it, so no recorded hash changes.
    return {"metrics": sorted(spec.evaluation.metrics), "output_uri_prefix": spec.evaluation.output_uri_prefix}


OPTIONAL_KEYS: dict[str, OptionalKey] = {
    "kms_key_name": OptionalKey(
        field_name(JobSpec, "encryption_spec", "kms_key_name"),
        lambda spec, region, _: (key_for_region(spec.encryption_spec.kms_key_name, region)
                                 if spec.encryption_spec is not None else None)),
    "service_account": OptionalKey(field_name(JobSpec, "service_account"), lambda spec, _, __: spec.service_account),
    # The tuned model a continuing job starts from: its source's, once that has succeeded.
    "pre_tuned_model": OptionalKey(field_name(JobSpec, "continue_from"), lambda _, __, source: source or None),
    "pre_tuned_checkpoint_id": OptionalKey(
        field_name(JobSpec, "continue_from", "checkpoint"),
        lambda spec, _, __: spec.continue_from.checkpoint if spec.continue_from is not None else None),
    "export_last_checkpoint_only": OptionalKey(
        field_name(JobSpec, "export_last_checkpoint_only"),
        lambda spec, _, __: True if spec.export_last_checkpoint_only else None),
    "evaluation_config": OptionalKey(field_name(JobSpec, "evaluation"), lambda spec, _, __: _evaluation_config(spec)),
}
OPTIONAL_ESSENCE_KEYS = tuple(OPTIONAL_KEYS)

IDENTITY_FIELDS: dict[str, str] = {"project": "gcp:project", "region": field_name(JobSpec, "regions")}
"""What else identifies a Vertex job: changing either is a different job."""
IDENTITY_KEYS = tuple(IDENTITY_FIELDS)

JOB_FILE_FIELDS: dict[str, str] = {
    **ESSENCE_FIELDS, **{key: optional.job_field for key, optional in OPTIONAL_KEYS.items()}, **IDENTITY_FIELDS,
}
"""Where each key that can replace a job comes from, as the user writes it."""


def essence_of(spec: JobSpec, region: str, continued_from: str = "") -> dict:
    """The job in `region` as Vertex AI will run it (a regional key resolved for the region);
    `continued_from` the tuned model a continuing job starts from ("" while its source has not
    succeeded). Nothing here comes from the catalogue: its rows change, a job's identity must not.

    A continuing job sends no base model (Vertex takes its source's, and a source's edit
    must not replace it before the source's new model exists: `pre_tuned_model` changes
    then), and no tuned model display name unless the file gives one: Vertex then names it
    as the model it continues, and the result is that model's next version.
    """
    hyper = spec.hyper_parameters
    continuing = spec.continue_from is not None
    essence = {
        "base_model": "" if continuing else spec.base_model,
        "training_dataset_uri": spec.training_dataset,
        "validation_dataset_uri": spec.validation_dataset or "",
        # 0: Vertex chooses the epoch count from the data set size.
        "epoch_count": hyper.epoch_count or 0,
        # 0: Vertex chooses the adapter size.
        "adapter_size": hyper.adapter_size or FIRST_RELEASE_ADAPTER_SIZES.get(spec.base_model, 0),
        "learning_rate_multiplier": float(
            hyper.learning_rate_multiplier or DEFAULT_LEARNING_RATE_MULTIPLIER
        ),
        "tuned_model_display_name": spec.tuned_model_display_name or ("" if continuing else spec.name),
        "description": spec.description,
        "labels": dict(sorted(spec.labels.items())),
    }
    for key, optional in OPTIONAL_KEYS.items():
        if (value := optional.value(spec, region, continued_from)) is not None:
            essence[key] = value
    return essence


def changed_essence_keys(olds: dict, news: dict) -> list[str]:
    """The essence keys whose value differs: a different paid job.

    A key of ESSENCE_KEYS the recorded state lacks is skipped (never recorded, so never
    compared); an optional key absent on either side counts as unset.
    """
    changed = [key for key in ESSENCE_KEYS if key in olds and olds[key] != news.get(key)]
    changed += [key for key in OPTIONAL_ESSENCE_KEYS if olds.get(key, "") != news.get(key, "")]
    return changed


def replacement_reasons(olds: dict, news: dict) -> list[str]:
    """The keys whose change makes `news` a different Vertex job than `olds`: a new submission."""
    return [key for key in IDENTITY_KEYS if olds.get(key) != news.get(key)] + changed_essence_keys(olds, news)


def spec_hash(essence: dict) -> str:
    canonical = json.dumps(essence, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def submission_spec_hash(spec: dict[str, Any], job_file: str, region: str, catalogue: Catalogue,
                         continued_from: str = "") -> str:
    """The spec hash `check` gives the job `spec` (as submitted) in `region`, continuing the
    tuned model `continued_from` if it continues one: what its Vertex job's labels carry."""
    parsed = parse_job(json.loads(json.dumps(spec)), job_file, catalogue)
    return spec_hash(essence_of(parsed, region, continued_from))
