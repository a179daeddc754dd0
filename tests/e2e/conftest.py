"""Fixtures for end-to-end tests: the real `pulumi` CLI against a fresh emulator."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.emulator_process import EmulatorProcess
from tests.support.pulumi_project import REPO_ROOT, PulumiProject
from tests.support.storage_emulator import StorageEmulatorProcess


def _pulumi_available() -> bool:
    return shutil.which("pulumi", path=f"{REPO_ROOT / '.tools' / 'bin'}:{os.environ['PATH']}") is not None


@pytest.fixture(scope="session", autouse=True)
def _require_pulumi():
    if _pulumi_available():
        return
    message = "the pulumi CLI is not on PATH; run `make test` (it bootstraps one)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def start_emulator(tmp_path):
    """Starts an emulator with the given training time and quota; stopped after the test."""
    started: list[EmulatorProcess] = []

    def start(job_seconds: float = 600, quota: int = 1, faults: tuple[str, ...] = (),
              storage_url: str | None = None, on_state_of: EmulatorProcess | None = None,
              **options) -> EmulatorProcess:
        """`storage_url`: the Cloud Storage emulator the Vertex emulator reads data sets from;
        `on_state_of`: an emulator to stop and carry on from (its state file; other options
        are not carried over); `options`: any other EmulatorProcess option (cancel_seconds,
        rpc_log, ...)."""
        if on_state_of is not None:
            on_state_of.stop()
        emulator = EmulatorProcess(
            on_state_of.state_file if on_state_of else tmp_path / f"emulator-{len(started)}.json",
            job_seconds=job_seconds, quota=quota, faults=faults,
            environment={"STORAGE_EMULATOR_HOST": storage_url} if storage_url else None, **options,
        )
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def make_project(tmp_path):
    """Makes a project; whatever its started commands left running is killed after the test."""
    made: list[PulumiProject] = []

    def make(emulator: EmulatorProcess, stack: str = "test") -> PulumiProject:
        project = PulumiProject(tmp_path, emulator.host, stack=stack)
        made.append(project)
        return project

    yield make
    for project in made:
        project.close()


@pytest.fixture
def storage_emulator():
    emulator = StorageEmulatorProcess(bucket="e2e-datasets").start()
    yield emulator
    emulator.stop()
