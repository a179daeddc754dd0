"""Check reports and SHA-256 digests of local data sets, kept so an unchanged file is read once.

What is cached. Reading a 1 GB data set costs seconds twice over: checking every line
(`check_dataset`) and hashing it for its upload URI (`LocalDataset.sha256`). Both results
are kept as small JSON files in `.cache/datasets/` at the repository root (git-ignored),
one file per key, so `python -m providers validate` and the Pulumi program (which run the
same checks, then hash) read an unchanged data set only the first time.

The key. A digest entry: the file's resolved path, and its state as `os.stat` gives it
(device, inode, size, modification time and inode change time, both in nanoseconds). A
report entry adds the base model, its data set limits by value (`DatasetLimits`), the kind
(training or validation) and how many problems are listed. Both add the checker's
identity: `CHECKER_VERSION` (bumped by hand when the rules change) and a fingerprint of
this package's source files and of the parsers the checker relies on (msgspec,
pydantic-core, Python), so a change to the checker that forgets the bump still misses.

For how long. An entry is used while its whole key matches; nothing expires by time. When
an entry is written, the older ones for the same file (and model, rules, kind) are
deleted, so the folder holds about one entry per data set and use. Deleting the folder
is always safe: it only costs the next run a full read.

Why it does not serve stale results. A different checker or different limits give a
different key. For the file, size plus modification time in nanoseconds is the test
make and git rely on; this key also holds the inode (a file replaced by a rename is
another file) and the inode change time, which no program can set: `cp -p`, `rsync -t`
and `touch -d` restore an old modification time, but the change time still moves. The
known hole is the one git calls "racy": a timestamp advances in ticks (a few
milliseconds on ext4, 1-2 s on FAT and some network filesystems), so a file rewritten
at the same size within the tick of its previous write keeps its times. As in git, such
a file is not trusted: an entry is written only when the file's modification time is at
least `SETTLED_NS` (2 s) older than the end of the read, and its state is the same after
the read as before (a file written to while it is read is not cached). A later write
then lands on a later tick. What is left is what also fools make and git: a clock set
back (or a file server's clock more than 2 s behind this machine's), a size-preserving
rewrite that restores the modification time and lands in the same change-time tick as
the write before it, or a filesystem that does not update the times on writes.

Concurrent runs. An entry is written to a temporary file in the folder and renamed over
its name, so a reader sees the old entry, the new one or none, never half of one. An
entry that cannot be read, is not valid JSON, has the wrong shape or another key is
ignored (the file is checked or hashed again) and rewritten. A folder that cannot be
written to means no caching, never an error.
"""

from __future__ import annotations

import hashlib
import os
import platform
import stat
import tempfile
import time
from contextlib import suppress
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Callable, TypeVar

import msgspec
import pydantic_core
from msgspec import Meta, Struct

from providers.datasets import check as check_module
from providers.datasets.check import DatasetReport, check_dataset, checked_arguments
from providers.jobfile.catalogue import DatasetLimits

FOLDER = Path(".cache") / "datasets"
"""Where the entries are, relative to the repository root."""
SETTLED_NS = 2 * 10**9
"""How much older than the end of its read a file's modification time must be to be cached."""

_PACKAGE = Path(__file__).resolve().parent
_Value = TypeVar("_Value")


class _ReportEntry(Struct):
    key: dict[str, Any]
    value: DatasetReport


class _DigestEntry(Struct):
    key: dict[str, Any]
    value: Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]


class DatasetCache:
    """Check reports and digests of data set files, kept in `directory` (None: kept nowhere)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @classmethod
    def in_repository(cls, root: Path) -> DatasetCache:
        return cls(Path(root) / FOLDER)

    def check(
        self,
        path: Path,
        model: str,
        kind: str,
        shown_name: str | None = None,
        max_reported: int = 20,
        *,
        rules: DatasetLimits | None = None,
    ) -> DatasetReport:
        """`check_dataset`'s report, from the cache when the file and the checker are unchanged."""
        rules = checked_arguments(model, kind, rules)
        shown = shown_name if shown_name is not None else str(path)
        use = {"model": model, "rules": _plain(rules), "kind": kind, "maxReported": max_reported}
        report = self._reuse(
            "check", Path(path), use, _ReportEntry,
            lambda: check_dataset(path, model, kind, shown, max_reported, rules=rules),
        )
        return _shown_as(report, shown)

    def sha256(self, path: Path) -> str:
        """The file's SHA-256 in hex, from the cache when the file is unchanged."""
        return self._reuse("sha256", Path(path), {}, _DigestEntry, lambda: _file_sha256(path))

    def _reuse(
        self, prefix: str, path: Path, use: dict, entry_type: type, compute: Callable[[], _Value]
    ) -> _Value:
        resolved = path.resolve()
        before = _file_state(resolved)
        if self.directory is None or before is None:
            return compute()
        scope = {"path": str(resolved), **use}
        # As JSON gives it back (lists, not tuples), to compare with an entry's key.
        key = msgspec.json.decode(msgspec.json.encode({**scope, "file": before, "checker": checker_identity()}))
        stem = f"{prefix}-{_digest(scope)}"
        entry = self.directory / f"{stem}-{_digest(key)}.json"
        value = _load(entry, entry_type, key)
        if value is not None:
            return value
        value = compute()
        finished = time.time_ns()
        if _file_state(resolved) == before and before["mtimeNs"] <= finished - SETTLED_NS:
            self._store(entry, stem, msgspec.json.encode(entry_type(key=key, value=value)))
        return value

    def _store(self, entry: Path, stem: str, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{stem}-", suffix=".tmp", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, entry)
        except OSError:
            with suppress(OSError):
                os.unlink(temporary)
            return
        for older in self.directory.glob(f"{stem}-*.json"):
            if older != entry:
                with suppress(OSError):
                    older.unlink()


UNCACHED = DatasetCache(None)
"""Computes every time, keeps nothing."""


def checker_identity() -> str:
    """`CHECKER_VERSION` and the fingerprint of the checker's code: a change to either misses."""
    return f"{check_module.CHECKER_VERSION}-{source_fingerprint(_PACKAGE)}"


@cache
def source_fingerprint(package: Path) -> str:
    """A digest of the package's modules and of the parsers' versions."""
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    digest.update(
        f"msgspec {msgspec.__version__}, pydantic-core {pydantic_core.__version__}, "
        f"python {platform.python_version()}".encode()
    )
    return digest.hexdigest()[:16]


def _file_state(path: Path) -> dict | None:
    """What says the file changed; None when it is not a regular file (checks say why)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return {
        "device": info.st_dev,
        "inode": info.st_ino,
        "size": info.st_size,
        "mtimeNs": info.st_mtime_ns,
        "ctimeNs": info.st_ctime_ns,
    }


def _load(entry: Path, entry_type: type, key: dict) -> Any:
    try:
        loaded = msgspec.json.decode(entry.read_bytes(), type=entry_type)
    except (OSError, msgspec.DecodeError):
        return None
    return loaded.value if loaded.key == key else None


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _plain(rules: DatasetLimits) -> dict:
    """The limits a report depends on: a row's sources, dates or regions do not change it."""
    return DatasetLimits.limits_of(rules)


def _digest(value: dict) -> str:
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()[:24]


def _shown_as(report: DatasetReport, shown: str) -> DatasetReport:
    """The report with its problems under the name this job file gives the data set."""
    if report.file == shown:
        return report
    return replace(report, file=shown, problems=[replace(problem, file=shown) for problem in report.problems])
