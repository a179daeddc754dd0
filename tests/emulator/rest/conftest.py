"""An in-process emulator serving REST as well, on a manual clock.

The REST server is the one `python -m emulator --rest-port` runs, in front of
the same in-process gRPC server the other emulator tests use, so a test can
call both surfaces and move the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import pytest

from emulator.rest import RestServer, build_rest_server
from tests.emulator.conftest import LocalEmulator, StartLocal
from tests.emulator.rest.http import HttpClient


@dataclass
class RestEmulator:
    """A running in-process emulator: its gRPC clients and clock (`local`) and a REST client (`http`)."""

    local: LocalEmulator
    url: str
    http: HttpClient


StartRest = Callable[..., RestEmulator]


@pytest.fixture
def start_rest(start_local: StartLocal) -> Iterator[StartRest]:
    """Start in-process emulators with REST; keyword arguments are those of `start_local`."""
    servers: list[RestServer] = []

    def start(**settings: object) -> RestEmulator:
        local = start_local(**settings)
        server = build_rest_server(local.address)
        server.start()
        servers.append(server)
        return RestEmulator(local=local, url=server.url, http=HttpClient(server.url))

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def rest(start_rest: StartRest) -> RestEmulator:
    """An emulator with room for ten concurrent jobs of 100 s each, serving REST too."""
    return start_rest(quota=10)
