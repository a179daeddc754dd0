"""Which files this process opens, seen through Python's audit hooks (the `open` event).

Every `open()` of a file, in the checker, the hashing or anywhere else in this process,
raises the `open` audit event; a test asks how often a data set was opened, or has
something done to the file at the moment it is opened. Nothing of the tool is replaced.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import pytest


class Opens:
    """The files opened while a test runs, by real path."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._actions: dict[str, Callable[[], None]] = {}

    def count(self, path: Path) -> int:
        """How many times `path` was opened since the last `clear`."""
        return self._counts.get(os.path.realpath(path), 0)

    def clear(self) -> None:
        self._counts.clear()

    def when_opened(self, path: Path, action: Callable[[], None]) -> None:
        """Runs `action` (once) the next time `path` is opened, before it is read."""
        self._actions[os.path.realpath(path)] = action

    def seen(self, path: str) -> None:
        self._counts[path] = self._counts.get(path, 0) + 1
        if (action := self._actions.pop(path, None)) is not None:
            action()


_watching: list[Opens] = []
_hooked = False


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watching and isinstance(args[0], (str, bytes, os.PathLike)):
        _watching[-1].seen(os.path.realpath(os.fsdecode(args[0])))


@pytest.fixture
def opens():
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # for the rest of the session: a hook cannot be removed
        _hooked = True
    watcher = Opens()
    _watching.append(watcher)
    yield watcher
    _watching.remove(watcher)
