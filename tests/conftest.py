"""Fixtures shared by all test suites."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Iterator

import pytest

# gRPC core logs routine events (a server's GOAWAY, ...) at its default
# verbosity; keep test output to what the tests say. Must precede loading gRPC.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
# Anything that forgets to name an emulator reaches a closed local port, never Google.
os.environ.setdefault("VERTEX_AI_EMULATOR_HOST", "127.0.0.1:9")
# Which models are current depends on the day: the tests run on the day the model catalogue
# was last checked (providers/jobfile/catalogue.yaml), so that a retirement date passing
# does not change what they test. Tests of retirement set their own day.
os.environ.setdefault("GEMINI_TUNING_TODAY", "2026-12-04")

from tests.support.emulator_process import EmulatorProcess
from tests.support.processes import TEST_RUN_VARIABLE, kill, marked_processes

# Every process the tests start inherits this, so that none can hide after the run.
os.environ[TEST_RUN_VARIABLE] = secrets.token_hex(8)


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_running() -> Iterator[None]:
    """Fails the run if a process the tests started outlives them (and kills it)."""
    yield
    left = marked_processes(os.environ[TEST_RUN_VARIABLE])
    kill(left)
    assert not left, "processes started by the tests are still running after them (now killed):\n" + "\n".join(
        map(str, left))


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """A running emulator process on a fresh state file: jobs take 2 s, quota 1."""
    with EmulatorProcess(tmp_path / "emulator-state.json", job_seconds=2.0, quota=1) as process:
        yield process
