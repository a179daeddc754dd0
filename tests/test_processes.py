"""The tests' own process hygiene: a killed command takes everything it started with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.support.polling import wait_for
from tests.support.processes import (
    TEST_RUN_VARIABLE, kill_session, marked_processes, run_in_session, running_processes)

# A parent that starts a child in a process group of its own, as `pulumi` starts its
# plugins, prints the child's pid and waits.
_PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], process_group=0)
print(child.pid, flush=True)
time.sleep(600)
"""


def _start_parent() -> tuple[subprocess.Popen, int]:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    return parent, int(parent.stdout.readline())


def _alive(pid: int) -> bool:
    return any(process.pid == pid for process in running_processes())


def test_killing_a_commands_process_group_leaves_its_plugins_but_killing_its_session_does_not():
    parent, child = _start_parent()
    try:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _alive(child), "the child in its own process group survives its parent's group"
        killed = kill_session(parent.pid)
        assert child in [process.pid for process in killed]
        assert not _alive(child)
    finally:
        kill_session(parent.pid)
        parent.stdout.close()


def test_run_in_session_kills_what_the_command_leaves_behind():
    script = ("import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', 'import time; "
              "time.sleep(600)'], process_group=0); print(child.pid)")

    result = run_in_session([sys.executable, "-c", script], timeout=30)

    assert result.returncode == 0
    child = int(result.stdout)
    wait_for(lambda: _alive(child), lambda alive: not alive, timeout=10)


def test_processes_started_by_the_tests_carry_the_runs_mark():
    parent, child = _start_parent()
    try:
        found = {process.pid for process in marked_processes(os.environ[TEST_RUN_VARIABLE])}
        assert {parent.pid, child} <= found
    finally:
        kill_session(parent.pid)
        parent.wait()
        parent.stdout.close()
    assert not {parent.pid, child} & {p.pid for p in marked_processes(os.environ[TEST_RUN_VARIABLE])}
