"""Builds the emulator's gRPC server: every service, bound to 127.0.0.1 only.

Each service module exposes `SERVICE_NAME` and `method_handlers(world)`;
serving another service (or another method of one) needs no change here
beyond listing its module in `SERVICE_MODULES`. Methods nobody registered
answer UNIMPLEMENTED.

Interceptors, outermost first: the RPC log (if any) records what every call
answered, then fault injection answers armed faults instead of the services.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

import grpc

from emulator import endpoint_service, metadata_service, model_service, operations_service, tuning_service
from emulator.faults import DEFAULT_FAULT_SEED, Fault, FaultInjector
from emulator.rpc_log import RpcLog, RpcLogInterceptor
from emulator.world import World

__all__ = ["HOST", "SERVICE_MODULES", "EmulatorServer", "build_server"]

HOST = "127.0.0.1"
SERVICE_MODULES = (tuning_service, model_service, endpoint_service, operations_service, metadata_service)


@dataclass(frozen=True)
class EmulatorServer:
    """A built, not yet started server and the port it is bound to."""

    grpc_server: grpc.Server
    port: int

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


def build_server(
    world: World,
    *,
    port: int = 0,
    faults: Iterable[Fault] = (),
    fault_seed: int = DEFAULT_FAULT_SEED,
    rpc_log: RpcLog | None = None,
    max_workers: int = 8,
) -> EmulatorServer:
    """A server for `world` on 127.0.0.1:`port` (0: a free port).

    Percentage faults draw from a generator seeded with `fault_seed`; every
    call is logged to `rpc_log` if given. Raises `faults.UnknownMethodError` if
    a fault names a method that is not served, and RuntimeError if the port
    cannot be bound.
    """
    services = {module.SERVICE_NAME: module.method_handlers(world) for module in SERVICE_MODULES}
    injector = FaultInjector(faults, seed=fault_seed, projects=world.settings.projects)
    injector.check_methods(f"/{service}/{method}" for service, methods in services.items() for method in methods)
    interceptors: list[grpc.ServerInterceptor] = [injector]
    if rpc_log is not None:
        interceptors.insert(0, RpcLogInterceptor(rpc_log, world.clock))
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="emulator-rpc"),
        interceptors=interceptors,
        # Without this, Linux lets a second emulator share a fixed port and steal half the calls.
        options=[("grpc.so_reuseport", 0)],
    )
    server.add_generic_rpc_handlers(
        tuple(grpc.method_handlers_generic_handler(service, methods) for service, methods in services.items())
    )
    bound_port = server.add_insecure_port(f"{HOST}:{port}")
    return EmulatorServer(grpc_server=server, port=bound_port)
