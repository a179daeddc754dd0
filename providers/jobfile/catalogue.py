"""Per-model tuning rules: one table, so a new base model is one new row.

Figures come from Google's "Supervised fine-tuning for Gemini models" pages (2025-2026) and,
for the retired 1.x models, from the product's source document. A model joins the table
when Vertex AI can tune it; a retired one stays, marked, while stacks hold jobs on it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelRules:
    """What one base model accepts for supervised tuning."""

    adapter_sizes: tuple[int, ...]
    """Adapter sizes Vertex accepts; empty when the model takes no adapter size."""
    default_adapter_size: int | None
    """The size Vertex uses when the job sets none; None when not documented (Vertex chooses)."""
    modalities: frozenset[str]
    """Kinds of data the model tunes on: text, image, audio, document."""
    max_tokens_per_example: int
    max_validation_examples: int
    max_training_file_bytes: int
    max_training_examples: int | None = None
    """Examples in a text-only training file; None where Google states no limit."""
    max_multimodal_training_examples: int | None = None
    """Examples in a training file with image, audio or document parts; None where not stated."""
    retired: str = ""
    """Why new jobs on this model may be refused (Google retired it); "" while it is offered."""
    successor: str = ""
    """The current model to move a job on a retired one to."""


_ALL_MODALITIES = frozenset({"text", "image", "audio", "document"})
_GIB = 1024**3
_GEMINI_1_5_RETIRED = "retired by Google: not offered to projects that had not used Gemini 1.5 before 2025-04-29"


def _current(adapter_sizes: tuple[int, ...]) -> ModelRules:
    """A model teams tune today: the limits Google documents for the 2.x generation."""
    return ModelRules(
        adapter_sizes=adapter_sizes,
        default_adapter_size=None,
        modalities=_ALL_MODALITIES,
        max_tokens_per_example=131_072,
        max_validation_examples=5_000,
        max_training_file_bytes=_GIB,
        max_training_examples=1_000_000,
        max_multimodal_training_examples=300_000,
    )


MODELS: dict[str, ModelRules] = {
    "gemini-2.5-pro": _current(adapter_sizes=(1, 2, 4, 8)),
    "gemini-2.5-flash": _current(adapter_sizes=(1, 2, 4, 8, 16)),
    "gemini-2.5-flash-lite": _current(adapter_sizes=(1, 2, 4, 8, 16)),
    "gemini-2.0-flash-001": _current(adapter_sizes=(1, 2, 4, 8)),
    "gemini-2.0-flash-lite-001": _current(adapter_sizes=(1, 2, 4, 8)),
    # The source document's models. Stacks made by earlier releases hold jobs on them, so
    # they stay valid (with a warning); Vertex itself answers new submissions on them.
    "gemini-1.5-pro-002": ModelRules(
        adapter_sizes=(1, 4),
        default_adapter_size=4,
        modalities=_ALL_MODALITIES,
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
        retired=_GEMINI_1_5_RETIRED,
        successor="gemini-2.5-pro",
    ),
    "gemini-1.5-flash-002": ModelRules(
        adapter_sizes=(1, 4, 8, 16),
        default_adapter_size=8,
        modalities=_ALL_MODALITIES,
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
        retired=_GEMINI_1_5_RETIRED,
        successor="gemini-2.5-flash",
    ),
    # Was in preview; Google states no adapter sizes for it, so the job may not set one.
    "gemini-1.0-pro-002": ModelRules(
        adapter_sizes=(),
        default_adapter_size=None,
        modalities=frozenset({"text"}),
        max_tokens_per_example=32_000,
        max_validation_examples=256,
        max_training_file_bytes=_GIB,
        retired="retired by Google with the Gemini 1.0 models",
        successor="gemini-2.5-flash-lite",
    ),
}
"""Every base model the tool knows, current ones first. To add one, see docs/architecture.md."""

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
