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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

import proto
from google.longrunning import operations_pb2

from emulator import operations
from emulator.clock import Clock
from emulator.store import State, Store
from emulator.tuning_lifecycle import advance_tuning_jobs

__all__ = ["DEFAULT_OPERATION_POLLS", "Settings", "Transaction", "World"]

DEFAULT_OPERATION_POLLS = 2


@dataclass(frozen=True)
class Settings:
    """How the emulated service behaves."""

    job_duration: timedelta
    """Time from creating a tuning job until it has SUCCEEDED."""

    tuning_job_quota: int
    """Concurrent tuning jobs allowed across all projects and locations."""

    operation_polls: int = DEFAULT_OPERATION_POLLS
    """GetOperation calls after which a long-running operation is done (0: done when started)."""

    def __post_init__(self) -> None:
        if self.job_duration <= timedelta(0):
            raise ValueError("job_duration must be positive")
        if self.tuning_job_quota < 0:
            raise ValueError("tuning_job_quota must not be negative")
        if self.operation_polls < 0:
            raise ValueError("operation_polls must not be negative")


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
        self._clock = clock
        self.settings = settings

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._store.transaction() as state:
            # Read under the lock, so the order of requests is the order of their times.
            now = self._clock.now()
            advance_tuning_jobs(state, now, self.settings.job_duration)
            yield Transaction(state=state, now=now, settings=self.settings)
