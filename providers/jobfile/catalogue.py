"""Per-model tuning rules: one table, so a new base model is one new row.

Figures come from Google's "Supervised fine-tuning for Gemini models" page (see
shared/vertex-tuning-facts.md). A model joins the table when Vertex AI can tune it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelRules:
    """What one base model accepts for supervised tuning."""

    adapter_sizes: tuple[int, ...]
    """Adapter sizes Vertex accepts; empty when the model takes no adapter size."""
    default_adapter_size: int | None
    """The size Vertex uses when the job sets none; None when not documented."""
    modalities: frozenset[str]
    """Kinds of data the model tunes on: text, image, audio, document."""
    max_tokens_per_example: int
    max_validation_examples: int
    max_training_file_bytes: int


_ALL_MODALITIES = frozenset({"text", "image", "audio", "document"})
_GIB = 1024**3

MODELS: dict[str, ModelRules] = {
    "gemini-1.5-pro-002": ModelRules(
        adapter_sizes=(1, 4),
        default_adapter_size=4,
        modalities=_ALL_MODALITIES,
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
    ),
    "gemini-1.5-flash-002": ModelRules(
        adapter_sizes=(1, 4, 8, 16),
        default_adapter_size=8,
        modalities=_ALL_MODALITIES,
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
    ),
    # Preview; Google states no adapter sizes for it, so the job may not set one.
    "gemini-1.0-pro-002": ModelRules(
        adapter_sizes=(),
        default_adapter_size=None,
        modalities=frozenset({"text"}),
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
    ),
}

# Regions where Google lists supervised tuning as available.
TUNING_REGIONS: frozenset[str] = frozenset(
    """
    asia-east1 asia-east2 asia-northeast1 asia-northeast3 asia-south1 asia-southeast1
    australia-southeast1 europe-central2 europe-north1 europe-southwest1 europe-west1
    europe-west2 europe-west3 europe-west4 europe-west6 europe-west8 europe-west9
    me-central1 me-central2 me-west1 northamerica-northeast1 southamerica-east1
    us-central1 us-east1 us-east4 us-east5 us-south1 us-west1 us-west4
    """.split()
)
