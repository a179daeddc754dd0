"""Which checkpoint a serving endpoint deploys, and whether a new tuned model may serve: pure functions.

A job's serving endpoint serves its newest tuned model. `serving.checkpoint` picks what of
that model it deploys (`candidate`): the default checkpoint (the tuned model as Vertex
deploys it, and as earlier releases did), the checkpoint with the best score of the gate's
metric (`best`), or a checkpoint by id. `serving.promoteWhen` is the gate a new candidate
passes before it gets any traffic (`held_because`): a score reported by the job's
evaluation, at least `atLeast`, and with `beatsServing` above the score of the model the
endpoint serves now (each score from its own job's evaluation, on that job's validation data
set, which may not be the same data). A candidate that does not pass is HELD: the endpoint keeps serving
what it serves, and nothing is taken offline. A gate decides about serving only; it never
changes the tuning job. Nothing here calls Vertex AI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.gcp.names import with_checkpoint
from providers.jobfile.schema import BEST_CHECKPOINT, DEFAULT_CHECKPOINT

DEFAULT, BEST = DEFAULT_CHECKPOINT, BEST_CHECKPOINT


@dataclass(frozen=True)
class Candidate:
    """What the endpoint would deploy of the job's newest tuned model."""

    name: str
    """The tuned model (its default checkpoint), or one of its checkpoints (`names.with_checkpoint`)."""
    checkpoint: str
    """The checkpoint's id; "" when the model reports none."""
    scores: dict[str, float]
    """Its evaluation scores by metric ({} when not evaluated)."""


@dataclass(frozen=True)
class Gate:
    """`serving.promoteWhen`."""

    metric: str
    at_least: float | None = None
    beats_serving: bool = False

    @classmethod
    def of(cls, value: Any) -> Gate | None:
        """The gate of a `promote_when` input (the job file's keys), None when there is none."""
        if not isinstance(value, dict) or not value.get("metric"):
            return None
        at_least = value.get("atLeast")
        return cls(value["metric"], float(at_least) if at_least is not None else None,
                   bool(value.get("beatsServing")))

    def describe(self) -> str:
        parts = [f"a {self.metric} score"]
        if self.at_least is not None:
            parts.append(f"of at least {self.at_least:g}")
        if self.beats_serving:
            parts.append("that beats the serving model's")
        return " ".join(parts)


def candidate(tuned_model: str, checkpoints: Any, choice: str, metric: str) -> tuple[Candidate | None, str]:
    """What the endpoint would deploy of `tuned_model`, whose checkpoints (the TuningJob's
    output) are `checkpoints`; `choice` is `serving.checkpoint`, `metric` the gate's.

    Returns (None, "") when there is no tuned model yet, (None, why) for a checkpoint the
    model does not have.
    """
    if not tuned_model:
        return None, ""
    listed = [c for c in checkpoints if isinstance(c, dict)] if isinstance(checkpoints, list) else []
    default = next((c for c in listed if c.get("default")), None)
    if choice == BEST:
        scored = [(-c["scores"][metric], _step(c), index, c) for index, c in enumerate(listed)
                  if metric in (c.get("scores") or {})]
        # The highest score; among equals the earliest step (then the first listed): the same
        # checkpoint whatever order Vertex lists them in.
        chosen = min(scored, key=lambda entry: entry[:3])[3] if scored else default
    elif choice != DEFAULT:
        chosen = next((c for c in listed if c.get("id") == choice), None)
        if chosen is None and listed:
            ids = ", ".join(str(c.get("id")) for c in listed)
            return None, f"{tuned_model} has no checkpoint {choice!r}; its checkpoints are {ids}"
        if chosen is None:
            # The model reports no checkpoints (yet): Vertex answers for the id.
            return Candidate(with_checkpoint(tuned_model, choice), choice, {}), ""
    else:
        chosen = default
    if chosen is None:
        return Candidate(tuned_model, "", {}), ""
    # The default checkpoint is the tuned model itself, deployed without a checkpoint id.
    name = tuned_model if chosen.get("default") else with_checkpoint(tuned_model, str(chosen["id"]))
    return Candidate(name, str(chosen.get("id") or ""), dict(chosen.get("scores") or {})), ""


def _step(checkpoint: dict) -> float:
    step = checkpoint.get("step")
    return step if isinstance(step, (int, float)) and not isinstance(step, bool) else float("inf")


def held_because(gate: Gate, new: Candidate, serving: str, serving_scores: dict[str, float]) -> str | None:
    """Why `new` may not serve yet under `gate`; None when it may. `serving` is what the
    endpoint serves now ("" for nothing) and `serving_scores` its scores, when known."""
    score = new.scores.get(gate.metric)
    if score is None:
        return (f"its evaluation reports no {gate.metric} score (Vertex AI evaluates each checkpoint while the "
                "job tunes; a job without evaluation results cannot pass a gate)")
    if gate.at_least is not None and score < gate.at_least:
        return f"its {gate.metric} score is {score:g}, below {gate.at_least:g}"
    theirs = serving_scores.get(gate.metric)
    if gate.beats_serving and serving and theirs is not None and score <= theirs:
        return f"its {gate.metric} score {score:g} does not beat {theirs:g}, the score of the model it would replace"
    return None
