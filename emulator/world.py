"""The emulated Vertex AI world: state, clock and settings behind one lock.

Every request works inside `World.transaction()`, which first brings every
tuning job up to the present. So whatever a request sees — a job's state, the
quota count, the models and endpoints of finished jobs — is consistent with the
clock, and the advance is saved with whatever else the request changes.
Long-running operations do not move with the clock: they finish when polled
(see `emulator.operations`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Iterator, Mapping

import proto
from google.longrunning import operations_pb2

from emulator import operations
from emulator.clock import Clock
from emulator.deployments import OPERATION_KINDS
from emulator.evaluation import EvaluationScores
from emulator.projects import ProjectNumbers, is_project_number
from emulator.store import State, Store
from emulator.tuning_lifecycle import DEFAULT_CANCEL_DELAY, CancelOutcome, Timeline, advance_tuning_jobs

__all__ = ["DEFAULT_OPERATION_POLLS", "Settings", "Transaction", "World"]

DEFAULT_OPERATION_POLLS = 2


@dataclass(frozen=True)
class Settings:
    """How the emulated service behaves."""

    job_duration: timedelta
    """Time from creating a tuning job until it has SUCCEEDED."""

    tuning_job_quota: int
    """Concurrent tuning jobs allowed per project (across its locations), unless `project_quotas` says otherwise."""

    operation_polls: int = DEFAULT_OPERATION_POLLS
    """GetOperation calls after which a long-running operation is done (0: done when started)."""

    operation_duration: timedelta | None = None
    """Time after which a long-running operation is done without being polled (None: only by polls)."""

    cancel_delay: timedelta = DEFAULT_CANCEL_DELAY
    """Time from a cancel request until the job has ended (0: at once)."""

    cancel_outcome: CancelOutcome = CancelOutcome.CANCELLED
    """How a cancelled job ends: CANCELLED, or SUCCEEDED as if the request had come too late."""

    projects: ProjectNumbers = field(default_factory=ProjectNumbers)
    """The number of each project id."""

    project_quotas: Mapping[str, int] = field(default_factory=dict)
    """Concurrent tuning jobs allowed in a project, by project number, where not `tuning_job_quota`."""

    refuse_tuned_model_deploy: bool = False
    """Whether DeployModel refuses models that tuning jobs produced."""

    refuse_retired_models: bool = False
    """Whether CreateTuningJob judges base models by the clock's date (see `today`)."""

    today: date | None = None
    """The day CreateTuningJob judges base models by: retired ones are refused, and in the
    month before retirement those the project never tuned (`emulator.availability`).
    None: the clock's date with `refuse_retired_models`, else every model is available."""

    label_filters_find_nothing: bool = False
    """Whether List requests whose filter names labels find nothing, as a Vertex that reads a
    hyphenated label key differently would."""

    evaluation_scores: EvaluationScores = EvaluationScores()
    """The scores evaluations during tuning report (made up where these set none)."""

    evaluation_offered_for: frozenset[str] = frozenset()
    """Base models evaluated during tuning beyond those Google documents (`--offer-evaluation`)."""

    timeline: Timeline = field(init=False)
    """The job duration and the cancel settings together, as the job lifecycle takes them."""

    def __post_init__(self) -> None:
        if self.tuning_job_quota < 0 or any(quota < 0 for quota in self.project_quotas.values()):
            raise ValueError("tuning job quotas must not be negative")
        if not all(is_project_number(project) for project in self.project_quotas):
            raise ValueError("project_quotas must be keyed by project number")
        if self.operation_polls < 0:
            raise ValueError("operation_polls must not be negative")
        object.__setattr__(self, "project_quotas", MappingProxyType(dict(self.project_quotas)))
        object.__setattr__(self, "timeline", Timeline(self.job_duration, self.cancel_delay, self.cancel_outcome))

    def availability_day(self, now: datetime) -> date | None:
        """The day base models are judged by for a request at `now`; None: not judged."""
        if self.today is not None:
            return self.today
        return now.date() if self.refuse_retired_models else None

    def tuning_job_quota_of(self, project_number: str) -> int:
        """Concurrent tuning jobs allowed in the project with this number."""
        return self.project_quotas.get(project_number, self.tuning_job_quota)


@dataclass(frozen=True)
class Transaction:
    """What a request works with: the state, the moment it runs at, the settings."""

    state: State
    now: datetime
    settings: Settings

    def start_operation(
        self, kind: operations.OperationKind, resource: str, request: proto.Message
    ) -> operations_pb2.Operation:
        """Start a long-running operation of `kind` on `resource`, done after the configured polls."""
        return operations.start(
            self.state, kind, resource, request, now=self.now, polls_needed=self.settings.operation_polls
        )


class World:
    """Hands out transactions on the store, each brought up to the clock's present."""

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self._store = store
        self.clock = clock
        self.settings = settings

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._store.transaction() as state:
            # Read under the lock, so the order of requests is the order of their times.
            now = self.clock.now()
            advance_tuning_jobs(state, now, self.settings.timeline, self.settings.evaluation_scores)
            if self.settings.operation_duration is not None:
                operations.complete_due(state, now=now, duration=self.settings.operation_duration,
                                        kinds=OPERATION_KINDS)
            yield Transaction(state=state, now=now, settings=self.settings)
