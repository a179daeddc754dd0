"""Processes the tests start, and making sure none outlives them (Linux: read from /proc).

A command a test runs gets a session of its own. Killing only the command's process (or
its process group) is not enough: `pulumi` starts its plugins, the language host and the
dynamic-provider host `pulumi-resource-pulumi-python`, each in a process group of its
own, and a plugin whose `pulumi` was killed keeps running, adopted by init. Every one of
them stays in the command's session, so `kill_session` ends all of them.

Every process the tests start inherits `TEST_RUN_VARIABLE` from the pytest process
(tests/conftest.py sets it before anything starts), so `marked_processes` finds them all
after the run, even those whose parent died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

TEST_RUN_VARIABLE = "GEMINI_TUNING_TEST_RUN"
_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    session: int
    command: str

    def __str__(self) -> str:
        return f"{self.pid} (session {self.session}): {self.command}"


def running_processes() -> list[ProcessInfo]:
    """Every live process this user can see (zombies, already ended, left out)."""
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended while we looked
            continue
        # The command name in parentheses may hold spaces and parentheses: split after the last ")".
        state, _ppid, _pgrp, session = stat.rpartition(")")[2].split()[:4]
        if state != "Z":
            found.append(ProcessInfo(int(entry.name), int(session), command or stat.split(" ", 1)[1]))
    return found


def session_processes(session: int) -> list[ProcessInfo]:
    return [process for process in running_processes() if process.session == session]


def kill_session(session: int, timeout: float = 10.0) -> list[ProcessInfo]:
    """SIGKILLs every process of `session` until none is left; returns those it found.

    Only for sessions the tests made: never the session pytest itself runs in.
    """
    if session == os.getsid(0):
        raise ValueError(f"session {session} is the test run's own")
    killed: dict[int, ProcessInfo] = {}
    deadline = time.monotonic() + timeout
    while remaining := session_processes(session):
        killed.update((process.pid, process) for process in remaining)
        kill(remaining)
        if time.monotonic() > deadline:
            raise AssertionError("processes of session {} survive SIGKILL:\n{}".format(
                session, "\n".join(map(str, remaining))))
        time.sleep(0.02)  # a killed process takes a moment to go; polled with a deadline
    return list(killed.values())


def kill(processes: list[ProcessInfo]) -> None:
    for process in processes:
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_in_session(command: Sequence[str], *, timeout: float, **options) -> subprocess.CompletedProcess:
    """`subprocess.run(command, capture_output=True, text=True)` in a session of its own.

    Whatever the command leaves running when it ends, times out or is interrupted is killed,
    plugins included. Output goes through files, not pipes: a process left behind may hold
    a pipe open, and waiting for its end of file would wait for that process.
    """
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, start_new_session=True,
                                   **options)
        try:
            process.wait(timeout)
        finally:
            kill_session(process.pid)
            process.wait()
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout.read(), stderr.read())


def marked_processes(token: str) -> list[ProcessInfo]:
    """Live processes whose environment holds TEST_RUN_VARIABLE=token (this process excluded)."""
    marker = f"{TEST_RUN_VARIABLE}={token}".encode()
    found = []
    for process in running_processes():
        if process.pid == os.getpid():
            continue
        try:
            environment = (_PROC / str(process.pid) / "environ").read_bytes().split(b"\0")
        except OSError:  # another user's process, or ended meanwhile
            continue
        if marker in environment:
            found.append(process)
    return found
