"""An in-process emulator on a manual clock, for tests that control time.

It is the same gRPC server the command line runs, reached over real TCP by the
unmodified GAPIC clients; only the clock is injected, so a test can move a job
to any point of its life without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import grpc
import pytest
from google.api_core.operations_v1 import OperationsClient
from google.cloud.aiplatform_v1 import EndpointServiceClient, GenAiTuningServiceClient, ModelServiceClient

from emulator.clock import ManualClock
from emulator.faults import DEFAULT_FAULT_SEED, Fault
from emulator.projects import ProjectNumbers
from emulator.rpc_log import RpcLog
from emulator.server import build_server
from emulator.store import Store
from emulator.world import DEFAULT_OPERATION_POLLS, Settings, World
from tests.emulator.builders import PROJECT_NUMBERS
from tests.support import vertex_clients

JOB_SECONDS = 100.0


@dataclass
class LocalEmulator:
    """A running in-process emulator and clients for it."""

    clock: ManualClock
    state_file: Path
    address: str
    tuning: GenAiTuningServiceClient
    models: ModelServiceClient
    endpoints: EndpointServiceClient
    operations: OperationsClient

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


StartLocal = Callable[..., LocalEmulator]


@pytest.fixture
def start_local(tmp_path: Path) -> Iterator[StartLocal]:
    """Start in-process emulators; all are stopped after the test.

    Keyword arguments beyond those named are `Settings` fields; projects get `PROJECT_NUMBERS`.
    """
    running: list[tuple[grpc.Server, grpc.Channel]] = []

    def start(
        *,
        quota: int = 1,
        job_seconds: float = JOB_SECONDS,
        operation_polls: int = DEFAULT_OPERATION_POLLS,
        state_file: Path | None = None,
        faults: Iterable[Fault] = (),
        fault_seed: int = DEFAULT_FAULT_SEED,
        rpc_log: RpcLog | None = None,
        clock: ManualClock | None = None,
        **settings: Any,
    ) -> LocalEmulator:
        state_file = state_file or tmp_path / "local-state.json"
        clock = clock or ManualClock()
        settings.setdefault("projects", ProjectNumbers(PROJECT_NUMBERS))
        world = World(
            Store(state_file), clock, Settings(timedelta(seconds=job_seconds), quota, operation_polls, **settings)
        )
        server = build_server(world, faults=faults, fault_seed=fault_seed, rpc_log=rpc_log, max_workers=4)
        server.grpc_server.start()
        channel = grpc.insecure_channel(server.address)
        running.append((server.grpc_server, channel))
        return LocalEmulator(
            clock=clock,
            state_file=state_file,
            address=server.address,
            tuning=vertex_clients.tuning_client(channel),
            models=vertex_clients.model_client(channel),
            endpoints=vertex_clients.endpoint_client(channel),
            operations=vertex_clients.operations_client(channel),
        )

    yield start
    for server, channel in running:
        channel.close()
        server.stop(grace=None).wait()


@pytest.fixture
def local(start_local: StartLocal) -> LocalEmulator:
    """An in-process emulator with room for ten concurrent jobs of 100 s each."""
    return start_local(quota=10)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[tuple[Path, RpcLog]]:
    """An RPC log file, its path and the open log (closed after the test)."""
    path = tmp_path / "rpc.jsonl"
    log = RpcLog(path)
    yield path, log
    log.close()
