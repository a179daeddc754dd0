"""Vertex resource names: which two name one resource.

Vertex names resources with the project *number* (`projects/123456789012/locations/...`)
even when the request named the project id, and names recorded by earlier runs (or by
the emulator before it used numbers) may hold either form. Everything that compares
resource names compares what follows the project.
"""

from __future__ import annotations


def same_resource(a: str, b: str) -> bool:
    """Whether two resource names name one resource, whichever form names the project."""
    return bool(a) and bool(b) and after_project(a) == after_project(b)


def after_project(name: str) -> str:
    """`projects/P/locations/L/models/M@1` -> `locations/L/models/M@1`."""
    if name.startswith("projects/") and name.count("/") >= 2:
        return name.split("/", 2)[2]
    return name


CHECKPOINT_MARK = "#checkpoint="
"""Joins a model version and one of its checkpoints into one name, for what an endpoint
deploys (`DeployedModel.model` and `checkpoint_id`): Vertex has no resource name for a
checkpoint. `.../models/M@1#checkpoint=2` is checkpoint 2 of version 1; `.../models/M@1`
the version's default checkpoint."""


def with_checkpoint(model: str, checkpoint_id: str) -> str:
    """The name of checkpoint `checkpoint_id` of `model` (`model` itself for "")."""
    return f"{model}{CHECKPOINT_MARK}{checkpoint_id}" if checkpoint_id else model


def split_checkpoint(name: str) -> tuple[str, str]:
    """`.../models/M@1#checkpoint=2` -> (`.../models/M@1`, "2"); a plain model -> (model, "")."""
    model, _, checkpoint_id = name.partition(CHECKPOINT_MARK)
    return model, checkpoint_id
