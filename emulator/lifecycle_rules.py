"""Which base models and regions offer the tuning lifecycle: continuous tuning, checkpoints, evaluation.

One table, keyed by base model id like `emulator.base_models.BASE_MODELS`, so that it can be
folded into that table as three more columns. A model that is not listed offers none of
the three (the retired Gemini 1.x models among them). Sources, as Google's documentation
stood when this was written (Vertex AI, now also "Gemini Enterprise Agent Platform"):

- continuous tuning: "Use continuous tuning for Gemini models"
  (docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-use-continuous-tuning,
  .../gemini-enterprise-agent-platform/models/tuning/continuous-tuning.md.txt) lists
  Gemini 3.5 Flash, Gemini 3.1 Flash-Lite, Gemini 2.5 Pro, ... (the stored copy breaks
  off there; Gemini 2.5 Flash and Flash-Lite are assumed to follow, Gemini 2.0 is not
  assumed). Only models tuned on or after 2025-07-11 can be continued, and the new job
  must use the CMEK key the source's job used.
- checkpoints: "Use checkpoints in supervised fine-tuning for Gemini models"
  (cloud.google.com/vertex-ai/generative-ai/docs/models/tuning-checkpoints) lists
  gemini-2.0-flash-001, gemini-2.0-flash-lite-001, gemini-2.5-flash, gemini-2.5-flash-lite
  and gemini-2.5-pro; the 3.x models are assumed, as continuous tuning from their
  checkpoints is documented.
- evaluation: the same page offers (in preview) an evaluation after each checkpoint,
  available in the us-central1 region, shown for the Gemini 2.5 family; no page documents
  it for other models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Mapping

from emulator.base_models import base_model_id

__all__ = [
    "CONTINUOUS_TUNING_SINCE",
    "EVALUATION_REGIONS",
    "LIFECYCLE",
    "LifecycleSupport",
    "lifecycle_of",
]


@dataclass(frozen=True)
class LifecycleSupport:
    """What a base model offers beyond tuning once."""

    continuous_tuning: bool = False
    """Its tuned models can be tuned further (`TuningJob.pre_tuned_model`)."""

    checkpoints: bool = False
    """Its tuning jobs export intermediate checkpoints (unless `export_last_checkpoint_only`)."""

    evaluation: bool = False
    """Its tuning jobs take an `evaluation_config` (in `EVALUATION_REGIONS` only)."""


_ALL = LifecycleSupport(continuous_tuning=True, checkpoints=True, evaluation=True)
_NO_EVALUATION = LifecycleSupport(continuous_tuning=True, checkpoints=True)
_CHECKPOINTS_ONLY = LifecycleSupport(checkpoints=True)

LIFECYCLE: Mapping[str, LifecycleSupport] = MappingProxyType(
    {
        "gemini-3.5-flash": _NO_EVALUATION,
        "gemini-3.1-flash-lite": _NO_EVALUATION,
        "gemini-2.5-pro": _ALL,
        "gemini-2.5-flash": _ALL,
        "gemini-2.5-flash-lite": _ALL,
        "gemini-2.0-flash-001": _CHECKPOINTS_ONLY,
        "gemini-2.0-flash-lite-001": _CHECKPOINTS_ONLY,
    }
)

EVALUATION_REGIONS: frozenset[str] = frozenset({"us-central1"})

CONTINUOUS_TUNING_SINCE = datetime(2025, 7, 11, tzinfo=UTC)
"""Tuned models created before this moment cannot be tuned further."""


def lifecycle_of(base_model: str) -> LifecycleSupport:
    """What `base_model` (an id or a publisher model name) offers; nothing for a model not listed."""
    return LIFECYCLE.get(base_model_id(base_model), LifecycleSupport())
