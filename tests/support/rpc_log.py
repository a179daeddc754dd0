"""Reading the emulator's RPC log (`--rpc-log FILE`) in slices: what one run cost.

Each line is one call the emulator answered: {"method", "service", "status", "time"}.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

TUNING_SERVICE = "google.cloud.aiplatform.v1.GenAiTuningService"
ENDPOINT_SERVICE = "google.cloud.aiplatform.v1.EndpointService"


class RpcLog:
    """The calls logged since the last `mark()`."""

    def __init__(self, path: Path):
        self.path = path
        self._seen = 0

    def mark(self) -> None:
        self._seen = len(self._lines())

    def calls_since_mark(self) -> list[dict]:
        return [json.loads(line) for line in self._lines()[self._seen:]]

    def _lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []


def by_method(calls: list[dict], service: str) -> Counter:
    """How often each method of `service` was called."""
    return Counter(call["method"] for call in calls if call["service"] == service)
