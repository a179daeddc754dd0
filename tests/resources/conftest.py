"""Fixtures for the providers' tests: real emulator processes the providers talk to."""

from __future__ import annotations

import pytest

from tests.support.emulator_process import EmulatorProcess


@pytest.fixture
def start(tmp_path, monkeypatch):
    """Starts an emulator with the given options and points the providers at it."""
    started = []

    def start_emulator(**options) -> EmulatorProcess:
        process = EmulatorProcess(tmp_path / f"state-{len(started)}.json", **options).start()
        started.append(process)
        monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", process.host)
        return process

    yield start_emulator
    for process in started:
        process.stop()
