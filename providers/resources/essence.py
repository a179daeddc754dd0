"""Desired state: the fields that define a Vertex tuning job, with defaults filled in.

Two specs with the same essence are the same paid job; any difference means a new job.
Values are plain JSON (no None: Pulumi treats null inputs as unknown).
"""

from __future__ import annotations

import hashlib
import json

from providers.jobfile.catalogue import MODELS
from providers.jobfile.schema import JobSpec

DEFAULT_LEARNING_RATE_MULTIPLIER = 1.0


def essence_of(spec: JobSpec) -> dict:
    hyper = spec.hyper_parameters
    model = MODELS[spec.base_model]
    return {
        "base_model": spec.base_model,
        "training_dataset_uri": spec.training_dataset,
        "validation_dataset_uri": spec.validation_dataset or "",
        # 0: Vertex chooses the epoch count from the data set size.
        "epoch_count": hyper.epoch_count or 0,
        "adapter_size": hyper.adapter_size or model.default_adapter_size or 0,
        "learning_rate_multiplier": float(
            hyper.learning_rate_multiplier or DEFAULT_LEARNING_RATE_MULTIPLIER
        ),
        "tuned_model_display_name": spec.tuned_model_display_name or spec.name,
        "description": spec.description,
        "labels": dict(sorted(spec.labels.items())),
    }


ESSENCE_KEYS = (
    "base_model", "training_dataset_uri", "validation_dataset_uri", "epoch_count",
    "adapter_size", "learning_rate_multiplier", "tuned_model_display_name",
    "description", "labels",
)


def spec_hash(essence: dict) -> str:
    canonical = json.dumps(essence, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
