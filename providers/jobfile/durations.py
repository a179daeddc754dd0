"""Durations as job files write them (`maxDuration: 6h`), and as people read them back.

A duration is whole hours, minutes and seconds, largest unit first, each at most once:
`6h`, `90m`, `1h30m`, `45s`. Units are `h`, `m` and `s`, as Kubernetes and Go write them;
no days (a tuning job that should run for days says `72h`), no fractions.
"""

from __future__ import annotations

import re

DURATION_PATTERN = r"^(\d+h(\d+m)?(\d+s)?|\d+m(\d+s)?|\d+s)$"
"""`6h`, `90m`, `1h30m`, `45s`: whole numbers with units h, m, s, largest first (no
look-ahead: pydantic's regular expressions have none)."""
_UNITS = (("h", 3600), ("m", 60), ("s", 1))
_SCALE = dict(_UNITS)


def seconds(duration: str) -> int:
    """`1h30m` -> 5400; ValueError saying what is allowed if `duration` is not a duration."""
    if re.fullmatch(DURATION_PATTERN, duration) is None:
        raise ValueError(f"{duration!r} is not a duration: write whole hours, minutes or seconds, "
                         "largest unit first, e.g. 6h, 90m, 1h30m, 45s")
    total = sum(int(count) * _SCALE[unit] for count, unit in re.findall(r"(\d+)([hms])", duration))
    if total <= 0:
        raise ValueError(f"{duration!r} is no time at all: a deadline is longer than 0s")
    return total


def shown(total_seconds: float) -> str:
    """5400 -> `1h30m`, 45 -> `45s`, 7262 -> `2h1m2s`: the form a job file would write."""
    remaining = max(0, int(total_seconds))
    parts = []
    for unit, scale in _UNITS:
        count, remaining = divmod(remaining, scale)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
