"""Reading a tuning job's data set the way Vertex AI does, and failing the job when it is bad.

Vertex reads the training (and validation) JSONL from Cloud Storage and fails the job when
an example does not fit the documented format. The emulator can only do that when it can
reach a Cloud Storage emulator: google-cloud-storage honours STORAGE_EMULATOR_HOST, so with
that variable set data sets are read; without it (no Cloud Storage offline) they are not.
The check is the emulator's own and covers what Vertex rejects outright; the project's
validator checks much more before anything is submitted.

Vertex reads the data set once the job starts: the job is created PENDING and goes to
FAILED when it would have started RUNNING (see `emulator.tuning_lifecycle`). The emulator
reads it when the job is created, outside the store's lock, and keeps the verdict until
then; an object changed in between is not read again. The same reading counts the
examples' tokens for the job's data statistics (`emulator.data_stats`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterable

from google.api_core import exceptions as core_exceptions
from google.auth.credentials import AnonymousCredentials

from emulator.data_stats import DatasetTally

__all__ = [
    "DatasetReading",
    "dataset_problem",
    "examples_problem",
    "read_dataset",
    "read_examples",
    "storage_reachable",
]

STORAGE_EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST"
_ROLES = ("user", "model")


def storage_reachable() -> bool:
    return bool(os.environ.get(STORAGE_EMULATOR_VARIABLE))


@dataclass(frozen=True)
class DatasetReading:
    """What reading a data set found: why Vertex would fail a job on it, and its examples counted."""

    problem: str | None = None
    """Why Vertex would fail the job ("line 2: not valid JSON."); None if it is fine or was not read."""

    tally: DatasetTally | None = None
    """Its examples counted, if it was read and is fine."""


def read_dataset(uri: str) -> DatasetReading:
    """Read the data set at `uri` as Vertex would; an empty reading if there is none or it cannot be reached."""
    if not uri or not storage_reachable():
        return DatasetReading()
    from google.cloud import storage  # only needed, and only importable cheaply, when used

    bucket, _, name = uri.removeprefix("gs://").partition("/")
    client = storage.Client(project="emulator", credentials=AnonymousCredentials())
    try:
        with client.bucket(bucket).blob(name).open("rb") as data:
            reading = read_examples(data)
    except core_exceptions.NotFound:
        return DatasetReading(problem=f"Failed to read the dataset {uri}: the object does not exist.")
    if reading.problem:
        return DatasetReading(problem=f"Dataset validation failed for {uri}: {reading.problem}")
    return reading


def dataset_problem(uri: str) -> str | None:
    """Why Vertex would fail a job on the data set at `uri`; None if it is fine or unreadable here."""
    return read_dataset(uri).problem


def read_examples(lines: Iterable[bytes]) -> DatasetReading:
    """The first line that is not a tuning example, described, or else every example counted."""
    tally = DatasetTally()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        example, problem = _parse_example(line)
        if problem:
            return DatasetReading(problem=f"line {number}: {problem}")
        tally.add(example)
    if not tally.example_count:
        return DatasetReading(problem="the dataset has no examples.")
    return DatasetReading(tally=tally)


def examples_problem(lines: Iterable[bytes]) -> str | None:
    """The first line that is not a tuning example, described; None if all are."""
    return read_examples(lines).problem


def _parse_example(line: bytes) -> tuple[dict[str, Any], str | None]:
    """The example on `line` and, if it is not one Vertex accepts, why."""
    try:
        example = json.loads(line)
    except (ValueError, RecursionError):
        return {}, "not valid JSON."
    contents = example.get("contents") if isinstance(example, dict) else None
    if not isinstance(contents, list) or not contents:
        return {}, "an example needs a non-empty 'contents' list."
    for turn in contents:
        if not isinstance(turn, dict) or turn.get("role") not in _ROLES:
            return {}, "each turn needs a role of 'user' or 'model'."
        if not isinstance(turn.get("parts"), list) or not turn["parts"]:
            return {}, "each turn needs a non-empty 'parts' list."
    if contents[-1].get("role") != "model":
        return {}, "the last turn must be the model's response."
    return example, None
