"""A job's deadline (`maxDuration`): when a job has run too long, and how long a job has been in its state.

The deadline counts from the job's submission, Vertex's `createTime`, as Kubernetes counts
`activeDeadlineSeconds` from a Job's start: a job stuck PENDING for hours is exactly what a
deadline is for, and the time is Vertex's own, so every run and every machine agree on it.
Time the tool waited for the concurrent-job quota before submitting does not count (there
was no Vertex job to pay for). The clock compared with it is this machine's (UTC).

A job still active (queued, pending, running; not yet being cancelled) past its deadline is
overdue: the stack's sweep cancels it before any job is checked (so no refusal elsewhere in
the run holds it back), the tuning-job provider's `diff` sees the sweep's cancel, or the job
overdue in what the refresh read, its `update` records `deadline_exceeded` (cancelling the
job if it is still active), and the run reports it once, in one line.
A job cancelled at its deadline is not submitted again: its state says it ended, and only
a new spec (a replace) or `pulumi up --replace` makes a new job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from providers.gcp.vertex import TERMINAL_STATES
from providers.jobfile import durations
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec

MAX_DURATION_FIELD = field_name(JobSpec, "max_duration")
ACTIVE_STATES = frozenset({"QUEUED", "PENDING", "RUNNING", "PAUSED", "UPDATING"})
"""Vertex states (without JOB_STATE_) in which a job may still train, and be paid for."""
ENDED_STATES = frozenset(state.removeprefix("JOB_STATE_") for state in TERMINAL_STATES)


def now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as the outputs record it; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def limit_of(inputs: dict[str, Any]) -> int:
    """The job's deadline in seconds (0: none), from the tuning job's inputs."""
    try:
        return max(0, int(inputs.get("max_duration_seconds") or 0))
    except (TypeError, ValueError):
        return 0


def ran_for(outputs: dict[str, Any], at: datetime) -> float | None:
    """Seconds since the job was submitted (Vertex's createTime); None without a Vertex job."""
    created = parse_time(outputs.get("create_time"))
    return None if created is None else (at - created).total_seconds()


def overdue(outputs: dict[str, Any], limit_seconds: int, at: datetime) -> float | None:
    """How long the job has run if it is active past its deadline and not yet cancelled for
    it; None otherwise (no deadline, ended, being cancelled, or within its time)."""
    if not limit_seconds or outputs.get("deadline_exceeded") or outputs.get("state") not in ACTIVE_STATES:
        return None
    ran = ran_for(outputs, at)
    return ran if ran is not None and ran > limit_seconds else None


def cancelled_line(props: dict[str, Any], ran_seconds: float, limit_seconds: int) -> str:
    """The one line a cancel at the deadline is reported with."""
    return (f"{props.get('job_file', 'job file')}: {props.get('region', '')}: cancelled at its deadline: it ran "
            f"{durations.shown(ran_seconds)} since it was submitted, over its {MAX_DURATION_FIELD} of "
            f"{durations.shown(limit_seconds)}; it is not submitted again until its spec changes or "
            "`pulumi up --replace` asks for it")


def state_since(outputs: dict[str, Any]) -> str:
    """When the job entered the state its outputs show (RFC 3339; "" when unknown): Vertex's
    own times for its states, the recorded time for the tool's (waiting for quota)."""
    state = outputs.get("state") or ""
    by_state = {"QUEUED": "create_time", "PENDING": "create_time", "RUNNING": "start_time",
                "CANCELLING": "update_time"}
    if state in ENDED_STATES:
        key = "end_time"
    else:
        key = by_state.get(state, "state_since")
    return outputs.get(key) or outputs.get("state_since") or ""


def in_state_for(outputs: dict[str, Any], at: datetime) -> float | None:
    since = parse_time(state_since(outputs))
    return None if since is None else max(0.0, (at - since).total_seconds())


def stuck(outputs: dict[str, Any], limit_seconds: int, at: datetime) -> bool:
    """Whether a job that has not ended has stayed in its state longer than its deadline allows
    (waiting for quota, being cancelled, or active and not yet seen by an `up`)."""
    if not limit_seconds or outputs.get("state") in ENDED_STATES:
        return False
    held = in_state_for(outputs, at)
    return held is not None and held > limit_seconds
