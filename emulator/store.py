"""The emulator's state, kept in one JSON file.

All state lives in a `Store`: collections of API messages keyed by resource
name (models by name and version: `.../models/M@2`), the work of long-running
operations that have not finished yet (`PendingOperation`), what the emulator
has decided about active tuning jobs that the API does not show (`JobPlan`),
and the counter that hands out resource ids. Every change happens in a
`Store.transaction()`: it holds the store's lock, works on a copy, and on
success writes the whole file atomically (temp file, fsync, rename) before the
change becomes visible. A transaction that raises leaves nothing behind, in
memory or on disk, so a `kill -9` at any moment loses at most the request that
was in flight.

Messages are stored in their proto3 JSON form (field and enum names), so the
file can be read and diffed by people as well as by the emulator.

Format 2 names every resource with its project number, as Vertex AI does;
format 1 named them with the project id the request gave. A format 1 file is
refused with a message saying so rather than converted: its names sit inside
other records and inside the packed requests of pending operations, and the
file is scratch state for demos and tests.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

import proto
from google.cloud.aiplatform_v1 import Endpoint, Model, SupervisedTuningDataStats, TuningJob
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, json_format
from google.protobuf.message import Message as ProtobufMessage

__all__ = ["FIRST_ID", "Codec", "Collection", "JobPlan", "PendingOperation", "State", "StateFileError", "Store"]

FORMAT_VERSION = 2
# Real Vertex ids are 19-digit numbers; starting there keeps every id the same length.
FIRST_ID = 1_000_000_000_000_000_001

Record = dict[str, Any]
M = TypeVar("M")


class StateFileError(Exception):
    """The state file exists but is not an emulator state file this version can read."""


@dataclass(frozen=True)
class Codec(Generic[M]):
    """How one kind of message becomes a JSON record and back."""

    to_record: Callable[[M], Record]
    from_record: Callable[[Record], M]
    key: Callable[[M], str] = lambda message: message.name  # type: ignore[attr-defined]
    """What a message is stored under: its `name`, unless one name has several records."""

    @classmethod
    def for_proto_plus(
        cls, message_type: type[proto.Message], key: Callable[[Any], str] | None = None
    ) -> Codec[Any]:
        codec = cls(
            to_record=lambda message: json_format.MessageToDict(
                message_type.pb(message), preserving_proto_field_name=True
            ),
            from_record=lambda record: message_type.wrap(json_format.ParseDict(record, message_type.pb()())),
        )
        return codec if key is None else replace(codec, key=key)

    @classmethod
    def for_protobuf(cls, message_type: type[ProtobufMessage]) -> Codec[Any]:
        return cls(
            to_record=lambda message: json_format.MessageToDict(message, preserving_proto_field_name=True),
            from_record=lambda record: json_format.ParseDict(record, message_type()),
        )


@dataclass(frozen=True)
class PendingOperation:
    """What a long-running operation that is not done yet will do, and how far it is."""

    name: str
    """The operation's name."""

    kind: str
    """The kind of operation (`emulator.operations.OperationKind.name`), e.g. DeployModel."""

    request: any_pb2.Any
    """The request that started it, packed, with the ids the service chose for it filled in."""

    polls: int = 0
    """How often GetOperation has been asked about it so far."""

    def to_record(self) -> Record:
        return {
            "name": self.name,
            "kind": self.kind,
            "polls": self.polls,
            "request": json_format.MessageToDict(self.request, preserving_proto_field_name=True),
        }

    @classmethod
    def from_record(cls, record: Record) -> PendingOperation:
        name, kind, polls, request = record["name"], record["kind"], record["polls"], record["request"]
        if not (isinstance(name, str) and isinstance(kind, str) and isinstance(polls, int) and polls >= 0):
            raise ValueError("name, kind or polls malformed")
        return cls(name=name, kind=kind, request=json_format.ParseDict(request, any_pb2.Any()), polls=polls)


@dataclass(frozen=True)
class JobPlan:
    """What the emulator has decided about an active tuning job's future that the API does not show."""

    name: str
    """The tuning job's name."""

    data_problem: str = ""
    """Why its data set is bad: the job fails with this when it would start running ("" if it is fine)."""

    cancel_requested_time: datetime | None = None
    """When CancelTuningJob was accepted; the cancel completes a configured time later."""

    data_stats: SupervisedTuningDataStats | None = None
    """The statistics of its training data set as read when it was created, shown once it runs
    (None: the data set could not be read)."""

    def to_record(self) -> Record:
        record: Record = {"name": self.name, "data_problem": self.data_problem}
        if self.cancel_requested_time is not None:
            record["cancel_requested_time"] = self.cancel_requested_time.isoformat()
        if self.data_stats is not None:
            record["data_stats"] = json_format.MessageToDict(
                SupervisedTuningDataStats.pb(self.data_stats), preserving_proto_field_name=True)
        return record

    @classmethod
    def from_record(cls, record: Record) -> JobPlan:
        name, data_problem = record["name"], record["data_problem"]
        requested = record.get("cancel_requested_time")
        if not (isinstance(name, str) and isinstance(data_problem, str) and isinstance(requested, (str, type(None)))):
            raise ValueError("name, data_problem or cancel_requested_time malformed")
        requested_time = None if requested is None else datetime.fromisoformat(requested)
        if requested_time is not None and requested_time.tzinfo is None:
            raise ValueError("cancel_requested_time has no time zone")
        stats = record.get("data_stats")
        data_stats = None if stats is None else SupervisedTuningDataStats.wrap(
            json_format.ParseDict(stats, SupervisedTuningDataStats.pb()()))
        return cls(name=name, data_problem=data_problem, cancel_requested_time=requested_time, data_stats=data_stats)


# Every kind of record the emulator keeps. A new kind is one line here and
# one attribute on `State`.
CODECS: Mapping[str, Codec[Any]] = MappingProxyType(
    {
        "tuning_jobs": Codec.for_proto_plus(TuningJob),
        # One record per version: a model's versions share its name.
        "models": Codec.for_proto_plus(Model, key=lambda model: f"{model.name}@{model.version_id}"),
        "endpoints": Codec.for_proto_plus(Endpoint),
        "operations": Codec.for_protobuf(operations_pb2.Operation),
        "pending_operations": Codec(to_record=PendingOperation.to_record, from_record=PendingOperation.from_record),
        "job_plans": Codec(to_record=JobPlan.to_record, from_record=JobPlan.from_record),
    }
)


class Collection(Generic[M]):
    """Messages of one kind keyed by their `name` (or what their `Codec.key` says); copies go in and out."""

    def __init__(self, codec: Codec[M], records: dict[str, Record], on_change: Callable[[], None]) -> None:
        self._codec = codec
        self._records = records
        self._on_change = on_change

    def get(self, key: str) -> M | None:
        """The message stored under `key` (its name, see `Codec.key`), or None."""
        record = self._records.get(key)
        return None if record is None else self._codec.from_record(record)

    def put(self, message: M) -> None:
        """Insert or replace the message stored under this message's key."""
        if not message.name:  # type: ignore[attr-defined]
            raise ValueError("a stored message needs a name")
        self._records[self._codec.key(message)] = self._codec.to_record(message)
        self._on_change()

    def remove(self, key: str) -> None:
        """Remove the message stored under `key`; KeyError if there is none."""
        del self._records[key]
        self._on_change()

    def values(self) -> list[M]:
        return [self._codec.from_record(record) for record in self._records.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def __len__(self) -> int:
        return len(self._records)


class State:
    """One transaction's view of the emulator's state."""

    tuning_jobs: Collection[TuningJob]
    models: Collection[Model]
    endpoints: Collection[Endpoint]
    operations: Collection[operations_pb2.Operation]
    pending_operations: Collection[PendingOperation]
    job_plans: Collection[JobPlan]

    def __init__(self, document: dict[str, Any]) -> None:
        self.changed = False
        self._next_id: int = document["next_id"]
        # Records are replaced, never edited in place, so copying the outer
        # dicts is enough to keep the committed document untouched.
        self._collections = {kind: dict(document["collections"][kind]) for kind in CODECS}
        for kind, codec in CODECS.items():
            setattr(self, kind, Collection(codec, self._collections[kind], self._mark_changed))

    def new_id(self) -> str:
        """A fresh numeric resource id, larger than every id handed out before."""
        resource_id = self._next_id
        self._next_id += 1
        self._mark_changed()
        return str(resource_id)

    def document(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "next_id": self._next_id, "collections": self._collections}

    def _mark_changed(self) -> None:
        self.changed = True


class Store:
    """The state file and the lock that serialises access to it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Load the state in `path`, or start empty if there is no such file.

        Raises StateFileError if the file exists but cannot be read as state.
        """
        self._path = Path(path)
        self._lock = threading.Lock()
        if self._path.exists():
            self._document = _read_document(self._path)
        else:
            self._document = {
                "format_version": FORMAT_VERSION,
                "next_id": FIRST_ID,
                "collections": {kind: {} for kind in CODECS},
            }

    @property
    def path(self) -> Path:
        return self._path

    def create_file(self) -> None:
        """Write the state file now if it does not exist yet (OSError if it cannot be)."""
        with self._lock:
            if not self._path.exists():
                _write_document(self._path, self._document)

    @contextmanager
    def transaction(self) -> Iterator[State]:
        """Exclusive access to the state; changes are saved when the block ends without raising."""
        with self._lock:
            state = State(self._document)
            yield state
            if state.changed:
                document = state.document()
                _write_document(self._path, document)
                self._document = document


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StateFileError(f"cannot read state file {path}: {error}") from error
    if isinstance(document, dict) and document.get("format_version") == 1:
        raise StateFileError(
            f"{path} was written by an older emulator (format_version 1, resources named by project id; "
            f"this emulator names them by project number, as Vertex AI does). Delete it to start afresh "
            "(and any Pulumi state that refers to its resources)."
        )
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        raise StateFileError(f"{path} is not an emulator state file (format_version {FORMAT_VERSION} expected)")
    next_id = document.get("next_id")
    collections = document.get("collections")
    if not isinstance(next_id, int) or not isinstance(collections, dict):
        raise StateFileError(f"{path} is not an emulator state file: next_id or collections missing")
    for kind in CODECS:
        collections.setdefault(kind, {})
    for kind, records in collections.items():
        codec = CODECS.get(kind)
        if codec is None or not isinstance(records, dict):
            raise StateFileError(f"{path}: unknown or malformed collection {kind!r}")
        # Parse every record now so a damaged file fails at startup, not mid-request, and
        # key it as this version does (an earlier one keyed models by name, not by version).
        rekeyed = {}
        for name, record in records.items():
            try:
                rekeyed[codec.key(codec.from_record(record))] = record
            except (json_format.ParseError, TypeError, AttributeError, KeyError, ValueError) as error:
                raise StateFileError(f"{path}: {kind} record {name!r} is damaged: {error}") from error
        collections[kind] = rekeyed
    return document


def _write_document(path: Path, document: dict[str, Any]) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=1, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable across a power loss, not just a crash.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
