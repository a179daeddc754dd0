"""Waiting for the emulator by asking it, never by sleeping a guessed time."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

__all__ = ["wait_for"]

T = TypeVar("T")


def wait_for(
    fetch: Callable[[], T],
    until: Callable[[T], bool] = bool,
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
) -> T:
    """Call `fetch` until `until(value)` holds and return that value.

    Fails with AssertionError, showing the last value, if `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value:\n{value}")
        time.sleep(interval)  # pause between polls, not a synchronisation point
