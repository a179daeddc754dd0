"""Which checkpoints a tuning job saves, as Google documents them.

Vertex AI, "Use checkpoints in supervised fine-tuning for Gemini models": a job of fewer
than 10 epochs saves about one checkpoint per epoch; a longer one about 10, spread evenly,
the final one right after the last epoch. With `export_last_checkpoint_only` only the final
one is kept, and a model without checkpoint support (`emulator.lifecycle_rules`) saves only
that one too.

The emulator saves checkpoint i (ids "1", "2", ...) after epoch ceil(i * epochs / n) of
n checkpoints, so the last is after the last epoch, and gives each its step (its epoch
times the steps per epoch). Vertex's ids are opaque strings; these are the emulator's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MAX_CHECKPOINTS", "PlannedCheckpoint", "plan_checkpoints"]

MAX_CHECKPOINTS = 10


@dataclass(frozen=True)
class PlannedCheckpoint:
    checkpoint_id: str
    epoch: int
    step: int


def plan_checkpoints(epochs: int, steps_per_epoch: int, *, intermediate: bool) -> list[PlannedCheckpoint]:
    """The checkpoints of a job of `epochs` epochs, oldest first; the last is the default one.

    `intermediate`: save intermediate checkpoints; otherwise only the final one.
    """
    count = min(epochs, MAX_CHECKPOINTS) if intermediate else 1
    planned = []
    for index in range(1, count + 1):
        epoch = math.ceil(index * epochs / count)
        planned.append(PlannedCheckpoint(checkpoint_id=str(index), epoch=epoch, step=epoch * steps_per_epoch))
    return planned
