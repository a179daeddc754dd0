"""An operation is started again on a retry only while the budget leaves time to follow it."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as core_exceptions

from providers.gcp import budget as budget_module
from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.vertex import VertexClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(budget_module.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(budget_module.time, "sleep", fake.sleep)
    return fake


def client(budget: Budget) -> VertexClient:
    vertex = VertexClient.__new__(VertexClient)  # no channel: the calls here are fakes
    vertex.parent, vertex.budget = "projects/p/locations/us-central1", budget
    return vertex


def lost_answers(clock: FakeClock, seconds_each: float):
    attempts = []

    def start_operation(**_kwargs):
        attempts.append(clock.now)
        clock.now += seconds_each
        raise core_exceptions.ServiceUnavailable("answer lost")
    return start_operation, attempts


def test_an_operation_start_is_not_retried_once_too_little_time_is_left_to_follow_it(clock):
    vertex = client(Budget(30.0))
    start_operation, attempts = lost_answers(clock, seconds_each=12.0)

    with pytest.raises(errors.OutOfTimeError):
        vertex._call(start_operation, done_on_retry=errors.AlreadyExistsError)

    # The first attempt leaves 18 s, enough to start and follow one; the second leaves
    # under 10 s (MIN_OPERATION_SECONDS), enough for a read but not for an operation.
    assert len(attempts) == 2


def test_a_read_is_retried_while_an_attempt_fits(clock):
    vertex = client(Budget(30.0))
    read, attempts = lost_answers(clock, seconds_each=12.0)

    with pytest.raises(errors.OutOfTimeError):
        vertex._call(read)

    assert len(attempts) == 3
