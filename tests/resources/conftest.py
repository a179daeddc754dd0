"""Fixtures for the providers' tests: real emulator processes the providers talk to."""

from __future__ import annotations

import pytest

from tests.support.emulator_process import EmulatorProcess


@pytest.fixture
def start(tmp_path, monkeypatch):
    """Starts an emulator with the given options and points the providers at it."""
    started = []

    def start_emulator(on_state_of: EmulatorProcess | None = None, **options) -> EmulatorProcess:
        """`on_state_of`: an emulator to stop and carry on from (its state file)."""
        if on_state_of is not None:
            on_state_of.stop()
        state_file = on_state_of.state_file if on_state_of else tmp_path / f"state-{len(started)}.json"
        process = EmulatorProcess(state_file, **options).start()
        started.append(process)
        monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", process.host)
        return process

    yield start_emulator
    for process in started:
        process.stop()
