"""What Vertex AI accepts for supervised tuning: regions and base models.

One table per fact, so supporting a new model or region is a one-line change.
Sources: the Vertex AI page "Supervised fine-tuning for Gemini models" and the
errors the real service answers with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from google.cloud.aiplatform_v1 import SupervisedHyperParameters

__all__ = ["BASE_MODELS", "TUNING_REGIONS", "BaseModelRules", "base_model_id"]

AdapterSize = SupervisedHyperParameters.AdapterSize

TUNING_REGIONS: frozenset[str] = frozenset(
    {
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast3",
        "asia-south1",
        "asia-southeast1",
        "australia-southeast1",
        "europe-central2",
        "europe-north1",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "southamerica-east1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west4",
    }
)


@dataclass(frozen=True)
class BaseModelRules:
    """The tuning limits of one base model."""

    adapter_sizes: frozenset[AdapterSize]
    """Adapter sizes a job may ask for; leaving the size unspecified is always allowed."""

    retired: bool = False
    """Google retired it: only projects that used it before may still tune it."""


_ONE_TO_EIGHT = frozenset({AdapterSize.ADAPTER_SIZE_ONE, AdapterSize.ADAPTER_SIZE_TWO,
                           AdapterSize.ADAPTER_SIZE_FOUR, AdapterSize.ADAPTER_SIZE_EIGHT})
_ONE_TO_SIXTEEN = _ONE_TO_EIGHT | {AdapterSize.ADAPTER_SIZE_SIXTEEN}

BASE_MODELS: Mapping[str, BaseModelRules] = MappingProxyType(
    {
        # The models Google documents for tuning today (2025-2026).
        "gemini-2.5-pro": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT),
        "gemini-2.5-flash": BaseModelRules(adapter_sizes=_ONE_TO_SIXTEEN),
        "gemini-2.5-flash-lite": BaseModelRules(adapter_sizes=_ONE_TO_SIXTEEN),
        "gemini-2.0-flash-001": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT),
        "gemini-2.0-flash-lite-001": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT),
        # Retired: Gemini 1.5 is not offered to projects that had not used it before 2025-04-29.
        "gemini-1.5-pro-002": BaseModelRules(
            adapter_sizes=frozenset({AdapterSize.ADAPTER_SIZE_ONE, AdapterSize.ADAPTER_SIZE_FOUR}),
            retired=True,
        ),
        "gemini-1.5-flash-002": BaseModelRules(
            adapter_sizes=frozenset(
                {
                    AdapterSize.ADAPTER_SIZE_ONE,
                    AdapterSize.ADAPTER_SIZE_FOUR,
                    AdapterSize.ADAPTER_SIZE_EIGHT,
                    AdapterSize.ADAPTER_SIZE_SIXTEEN,
                }
            ),
            retired=True,
        ),
        # Was a preview model for text data only; Google stated no adapter sizes for it.
        "gemini-1.0-pro-002": BaseModelRules(adapter_sizes=frozenset(), retired=True),
    }
)


_PUBLISHER_MODEL = re.compile(r"(?:projects/[^/]+/locations/[^/]+/)?publishers/google/models/(?P<id>[^/@]+)")


def base_model_id(base_model: str) -> str:
    """The `BASE_MODELS` key for a base model given by id or by publisher model name."""
    match = _PUBLISHER_MODEL.fullmatch(base_model)
    return match["id"] if match else base_model
