"""Desired state: the fields that define a Vertex tuning job, with defaults filled in.

Two specs with the same essence are the same paid job; any difference means a new job.
Values are plain JSON (no None: Pulumi treats null inputs as unknown).

Stacks made by earlier releases hold jobs whose essence, spec hash and resource id were
computed without the keys added since; so a key added by a later release (encryption key,
service account) is part of the essence only when the job sets it, and a job that does
not keeps exactly the essence it had.
"""

from __future__ import annotations

import hashlib
import json

from providers.jobfile.catalogue import MODELS
from providers.jobfile.rules import key_for_region
from providers.jobfile.schema import JobSpec

DEFAULT_LEARNING_RATE_MULTIPLIER = 1.0

ESSENCE_KEYS = (
    "base_model", "training_dataset_uri", "validation_dataset_uri", "epoch_count",
    "adapter_size", "learning_rate_multiplier", "tuned_model_display_name",
    "description", "labels",
)
"""Keys every essence has, since the first release."""
OPTIONAL_ESSENCE_KEYS = ("kms_key_name", "service_account")
"""Keys added since, present only when the job sets them: absent means unset."""


def essence_of(spec: JobSpec, region: str) -> dict:
    """The job in `region` as Vertex AI will run it (a regional key resolved for the region)."""
    hyper = spec.hyper_parameters
    model = MODELS[spec.base_model]
    essence = {
        "base_model": spec.base_model,
        "training_dataset_uri": spec.training_dataset,
        "validation_dataset_uri": spec.validation_dataset or "",
        # 0: Vertex chooses the epoch count from the data set size.
        "epoch_count": hyper.epoch_count or 0,
        # 0: Vertex chooses the adapter size (today's models document no default).
        "adapter_size": hyper.adapter_size or model.default_adapter_size or 0,
        "learning_rate_multiplier": float(
            hyper.learning_rate_multiplier or DEFAULT_LEARNING_RATE_MULTIPLIER
        ),
        "tuned_model_display_name": spec.tuned_model_display_name or spec.name,
        "description": spec.description,
        "labels": dict(sorted(spec.labels.items())),
    }
    if spec.encryption_spec is not None:
        essence["kms_key_name"] = key_for_region(spec.encryption_spec.kms_key_name, region)
    if spec.service_account:
        essence["service_account"] = spec.service_account
    return essence


def changed_essence_keys(olds: dict, news: dict) -> list[str]:
    """The essence keys whose value differs: a different paid job.

    A key of ESSENCE_KEYS the recorded state lacks is skipped (never recorded, so never
    compared); an optional key absent on either side counts as unset.
    """
    changed = [key for key in ESSENCE_KEYS if key in olds and olds[key] != news.get(key)]
    changed += [key for key in OPTIONAL_ESSENCE_KEYS if olds.get(key, "") != news.get(key, "")]
    return changed


def spec_hash(essence: dict) -> str:
    canonical = json.dumps(essence, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
