"""What Vertex AI accepts for supervised tuning: the table of base models and tuning regions.

One row per model, so supporting a new model or region is a one-line change. The emulator
keeps this table of its own on purpose: it stands in for Google, not for the tool that
uses it (tests/contract/test_emulator_rules.py compares the two).

Sources: Google's "Supervised fine-tuning for Gemini models" pages (2024-2026; the 2026
page, dated 2026-09-25, for the Gemini 3.x rows: tuning in us-central1 and europe-west4
only, no customer-managed keys, adapter sizes 1-16) and the model-versions page for
retirement dates (a retirement date is the last day a model is available; new access to
it for tuning is blocked from one month before). What Google does not publish (for
gemini-3.5-flash-lite: adapter sizes, regions, keys) is None and not checked.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Mapping

from google.cloud.aiplatform_v1 import SupervisedHyperParameters

__all__ = ["BASE_MODELS", "TUNING_REGIONS", "BaseModelRules", "base_model_id", "tuning_blocked_from"]

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
"""Where Google lists supervised tuning; a model with `tuning_regions` of its own tunes only there."""


@dataclass(frozen=True)
class BaseModelRules:
    """The tuning rules of one base model."""

    adapter_sizes: frozenset[AdapterSize] | None
    """Adapter sizes a job may ask for; leaving the size unspecified is always allowed.
    None: Google publishes none, any size is accepted."""

    tuning_regions: frozenset[str] | None = None
    """Where it tunes; None: every region of TUNING_REGIONS."""

    cmek: bool | None = True
    """Whether a job may name a customer-managed key; None: not published, accepted."""

    retires: date | None = None
    """The last day it is available (None: no date announced)."""

    retired_without_date: bool = False
    """Google lists it as retired, with no date found."""


_ONE_TO_EIGHT = frozenset({AdapterSize.ADAPTER_SIZE_ONE, AdapterSize.ADAPTER_SIZE_TWO,
                           AdapterSize.ADAPTER_SIZE_FOUR, AdapterSize.ADAPTER_SIZE_EIGHT})
_ONE_TO_SIXTEEN = _ONE_TO_EIGHT | {AdapterSize.ADAPTER_SIZE_SIXTEEN}
_US_AND_EU = frozenset({"us-central1", "europe-west4"})

BASE_MODELS: Mapping[str, BaseModelRules] = MappingProxyType(
    {
        # Gemini 3.x: tuned in us-central1 and europe-west4 only, without customer-managed keys.
        "gemini-3.5-flash": BaseModelRules(
            adapter_sizes=_ONE_TO_SIXTEEN, tuning_regions=_US_AND_EU, cmek=False, retires=date(2027, 5, 19)),
        "gemini-3.5-flash-lite": BaseModelRules(adapter_sizes=None, cmek=None, retires=date(2027, 7, 21)),
        "gemini-3.1-flash-lite": BaseModelRules(
            adapter_sizes=_ONE_TO_SIXTEEN, tuning_regions=_US_AND_EU, cmek=False, retires=date(2027, 5, 7)),
        # Gemini 2.5: the model-versions page gave 2026-10-16, and later 2026-10-20.
        "gemini-2.5-pro": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT, retires=date(2026, 10, 20)),
        "gemini-2.5-flash": BaseModelRules(adapter_sizes=_ONE_TO_SIXTEEN, retires=date(2026, 10, 20)),
        "gemini-2.5-flash-lite": BaseModelRules(adapter_sizes=_ONE_TO_SIXTEEN, retires=date(2026, 10, 20)),
        "gemini-2.0-flash-001": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT, retires=date(2026, 2, 5)),
        "gemini-2.0-flash-lite-001": BaseModelRules(adapter_sizes=_ONE_TO_EIGHT, retires=date(2026, 2, 25)),
        # Gemini 1.5: not offered to projects that had not used it from 2025-04-29; retired 2025-09-24.
        "gemini-1.5-pro-002": BaseModelRules(
            adapter_sizes=frozenset({AdapterSize.ADAPTER_SIZE_ONE, AdapterSize.ADAPTER_SIZE_FOUR}),
            retires=date(2025, 9, 24),
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
            retires=date(2025, 9, 24),
        ),
        # Was a preview model for text data only; Google stated no adapter sizes for it.
        "gemini-1.0-pro-002": BaseModelRules(adapter_sizes=frozenset(), retired_without_date=True),
    }
)


_PUBLISHER_MODEL = re.compile(r"(?:projects/[^/]+/locations/[^/]+/)?publishers/google/models/(?P<id>[^/@]+)")


def base_model_id(base_model: str) -> str:
    """The `BASE_MODELS` key for a base model given by id or by publisher model name."""
    match = _PUBLISHER_MODEL.fullmatch(base_model)
    return match["id"] if match else base_model


def tuning_blocked_from(retires: date) -> date:
    """One month before a retirement date: from then, projects new to the model may not tune it."""
    year, month = (retires.year, retires.month - 1) if retires.month > 1 else (retires.year - 1, 12)
    return date(year, month, min(retires.day, calendar.monthrange(year, month)[1]))
