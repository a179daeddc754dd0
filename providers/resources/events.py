"""What is worth telling people about a job, from what the stack's resources observed: pure functions.

One `Observation` per job and region, built by the program from the outputs of the job's
resources after they ran. Each change people are told about is an `Event` with a key that
names that change and nothing else, so a ledger of keys says whether it was told already:

| event | when | key |
|---|---|---|
| succeeded | the current Vertex job SUCCEEDED | JOB/REGION/VERTEX_JOB/succeeded |
| failed | it FAILED (or EXPIRED), with Vertex's error | JOB/REGION/VERTEX_JOB/failed |
| deadline | it was cancelled at its deadline | JOB/REGION/VERTEX_JOB/deadline |
| promoted | the serving endpoint serves a model it did not serve before, fully | JOB/REGION/serving/FROM->TO |
| rolled back | it serves, fully, a model it served before another | JOB/REGION/serving/FROM->TO |
| held | it keeps a newly tuned model back (status HELD: a gate) | JOB/REGION/held/MODEL |

Serving changes are read from the serving endpoint's status and the model it serves, and a
gate's decision from its `held` output (the model held back and why), so a serving decision
added later needs an entry in `_serving_events` and nothing else. Whether a model served before is history
only the ledger has: it passes the models it announced (`served_before`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.jobfile import durations
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec
from providers.resources.serving_endpoint import HELD, SERVING

_FAILED = ("FAILED", "EXPIRED")
_MAX_DURATION = field_name(JobSpec, "max_duration")


@dataclass(frozen=True)
class Observation:
    """One job in one region, as its resources' outputs showed it at the end of a run."""

    job: str
    region: str
    job_file: str = ""
    vertex_job: str = ""
    state: str = ""
    tuned_model: str = ""
    error: str = ""
    deadline: dict[str, Any] = field(default_factory=dict)
    """The tuning job's `deadline_exceeded` record, if it was cancelled at its deadline."""
    billable_tokens: int = 0
    epochs: int = 0
    cost: float | None = None
    """What the billed training tokens cost by the price table; None when unknown."""
    estimated_cost: float | None = None
    serving_status: str = ""
    serving_model: str = ""
    serving_message: str = ""
    """Why the serving endpoint holds a model back (a gate), or what went wrong."""
    held_model: str = ""
    """The model (or checkpoint) a gate holds back; "" when none."""
    tracked_since: str = ""
    """When this release started tracking the job ("" for a job an earlier release submitted)."""

    @property
    def place(self) -> str:
        return f"{self.job}/{self.region}"

    @classmethod
    def from_input(cls, value: dict[str, Any]) -> Observation:
        known = {name: value[name] for name in cls.__dataclass_fields__ if value.get(name) is not None}
        for count in ("billable_tokens", "epochs"):  # Pulumi carries numbers as floats
            known[count] = int(known.get(count) or 0)
        for money in ("cost", "estimated_cost"):
            if money in known and float(known[money]) < 0:
                del known[money]
        return cls(**known)


@dataclass(frozen=True)
class Event:
    key: str
    place: str
    """JOB/REGION."""
    kind: str
    text: str
    serving_model: str = ""
    """For a serving change: the model now served (the ledger remembers it)."""


def events(observation: Observation, stack: str, served_before: list[str]) -> list[Event]:
    """The events `observation` shows; `served_before`: the models the ledger announced as
    served at this place, oldest first."""
    found = _job_events(observation, stack)
    found += _serving_events(observation, stack, served_before)
    return found


def _job_events(o: Observation, stack: str) -> list[Event]:
    if not o.vertex_job:
        return []
    head = f"gemini-tuning (stack {stack}): {o.job} in {o.region}"
    base = f"{o.place}/{o.vertex_job.rsplit('/', 1)[-1]}"
    tail = f" Job file: {o.job_file}; Vertex job: {o.vertex_job}."
    found = []
    if o.deadline.get("vertex_job") == o.vertex_job:
        found.append(Event(f"{base}/deadline", o.place, "deadline", (
            f"{head} was cancelled at its deadline: it ran {durations.shown(o.deadline.get('ran_seconds') or 0)} since "
            f"it was submitted, over its {_MAX_DURATION} of {durations.shown(o.deadline.get('limit_seconds') or 0)}."
            f"{tail}")))
    if o.state == "SUCCEEDED":
        found.append(Event(f"{base}/succeeded", o.place, "succeeded",
                           f"{head} SUCCEEDED. Tuned model: {o.tuned_model}. {billed(o)}{tail}"))
    elif o.state in _FAILED:
        found.append(Event(f"{base}/failed", o.place, "failed",
                           f"{head} {o.state}: {(o.error or 'Vertex gave no error').rstrip('.')}.{tail}"))
    return found


def billed(o: Observation) -> str:
    """What the job billed, as Vertex counted it, and the estimate beside it."""
    if not o.billable_tokens:
        return "Billed: not reported by Vertex yet."
    if not o.epochs:
        text = f"Billed: {o.billable_tokens:,} tokens per epoch; Vertex chose the epochs and did not report them"
    else:
        text = f"Billed: {o.billable_tokens * o.epochs:,} training tokens ({o.billable_tokens:,} x {o.epochs} epochs)"
        text += f", ${o.cost:,.2f} by the price table" if o.cost is not None else ", no price for the model"
    estimate = f"; estimated ${o.estimated_cost:,.2f} before submission" if o.estimated_cost is not None else ""
    return f"{text}{estimate}."


def _serving_events(o: Observation, stack: str, served_before: list[str]) -> list[Event]:
    head = f"gemini-tuning (stack {stack}): {o.job} in {o.region}: the serving endpoint"
    if o.serving_status == SERVING and o.serving_model:
        last = served_before[-1] if served_before else ""
        if o.serving_model == last:
            return []
        if o.serving_model in served_before:
            kind, what = "rolled back", f"rolled back to {o.serving_model}, which it served before {last}"
        else:
            kind, what = "promoted", f"promoted {o.serving_model}" + (f" in place of {last}" if last else "")
        return [Event(f"{o.place}/serving/{last or '-'}->{o.serving_model}", o.place, kind,
                      f"{head} {what}: it now takes all traffic. Job file: {o.job_file}.", o.serving_model)]
    held = o.held_model or o.tuned_model
    if o.serving_status == HELD and held:
        keeps = f"; it keeps serving {o.serving_model}" if o.serving_model else ""
        reason = f": {o.serving_message}" if o.serving_message else ""
        return [Event(f"{o.place}/held/{held}", o.place, "held",
                      f"{head} HELD {held} back{reason}{keeps}. Job file: {o.job_file}.")]
    return []
