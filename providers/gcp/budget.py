"""One time budget per provider call, end to end.

Pulumi can hang on a dynamic-provider call that runs past about 180 s
(pulumi/pulumi#13841), while Vertex AI calls may be slow, need retries, or start
operations that take minutes. So each provider call gets one `Budget`: every attempt's
timeout, every pause between retries and polls, and every lookup fit inside it, no new
long-running operation starts when too little is left, and what is unfinished is
recorded for the next `pulumi up`. `GEMINI_TUNING_CALL_BUDGET_SECONDS` shortens it (tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

CALL_BUDGET_SECONDS = 60.0
"""The dynamic-provider host serves four calls at a time and Pulumi sends up to eight, so a
call may wait for another before its own budget starts: two budgets stay under ~180 s."""
BUDGET_VARIABLE = "GEMINI_TUNING_CALL_BUDGET_SECONDS"
ATTEMPT_SECONDS = 20.0
"""The longest one Vertex call may take before it counts as unanswered."""
MIN_ATTEMPT_SECONDS = 1.0
"""Less than this left: no new attempt starts."""
MIN_OPERATION_SECONDS = 10.0
"""Less than this left: no new long-running operation starts (it could not be followed)."""


class Budget:
    """The time one provider call may still spend."""

    def __init__(self, seconds: float | None = None):
        if seconds is None:
            seconds = float(os.environ.get(BUDGET_VARIABLE) or CALL_BUDGET_SECONDS)
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def attempt_timeout(self) -> float:
        """The timeout for the next attempt: 0 when none should start."""
        left = self.remaining()
        return min(ATTEMPT_SECONDS, left) if left >= MIN_ATTEMPT_SECONDS else 0.0

    def allows_operation(self) -> bool:
        return self.remaining() >= MIN_OPERATION_SECONDS

    def pause(self, seconds: float) -> bool:
        """Waits `seconds` (a backoff between attempts or polls) if the budget allows another attempt after it."""
        if self.remaining() - seconds < MIN_ATTEMPT_SECONDS:
            return False
        time.sleep(seconds)  # backoff between calls to a remote service
        return True


def backoff(first: float, longest: float) -> Iterator[float]:
    """Pauses between attempts: exponential, with google.api_core's jitter (full random)."""
    # Imported here: google.api_core.retry brings in `requests` (0.1 s), which the program
    # and the hosts that only check and diff never need.
    from google.api_core.retry import exponential_sleep_generator

    return exponential_sleep_generator(first, longest)
