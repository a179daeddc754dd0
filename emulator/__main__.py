"""python -m emulator: run the Vertex AI emulator until SIGTERM or SIGINT.

Prints `listening on 127.0.0.1:PORT` as the first line on stdout once it is
serving and, with --rest-port, `rest on http://127.0.0.1:PORT` as the second;
everything else (warnings, errors) goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
from datetime import timedelta
from typing import Sequence

from emulator.clock import SystemClock
from emulator.faults import Fault, UnknownMethodError
from emulator.server import HOST, build_server
from emulator.store import StateFileError, Store
from emulator.world import DEFAULT_OPERATION_POLLS, Settings, World

_SHUTDOWN_GRACE_SECONDS = 2.0
_SIGNAL_CHECK_SECONDS = 0.2

_EPILOG = """\
fault injection (--fault, repeatable):
  CODE:METHOD[:COUNT[:WHEN]]
    CODE    gRPC status name, any case: unavailable, deadline_exceeded, internal, ...
    METHOD  method name (CreateTuningJob) or full name
            (google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob)
    COUNT   how many of the next calls fail (default 1), or * for every call
    WHEN    before (default): fail without handling the request
            after: handle the request, then answer the error anyway
            hang: handle the request, then hold the answer until the client
                  gives up (a client killed meanwhile never learns it went through)
  examples:
    --fault unavailable:CreateTuningJob:2        the next 2 creates answer UNAVAILABLE
    --fault deadline_exceeded:CreateTuningJob:1:after
                                                 the next create happens, but the
                                                 client sees DEADLINE_EXCEEDED
    --fault internal:GetTuningJob:*              every get answers INTERNAL
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="emulator: %(levelname)s %(message)s")

    try:
        store = Store(args.state)
    except StateFileError as error:
        parser.error(f"--state: {error}")
    settings = Settings(
        job_duration=timedelta(seconds=args.job_seconds),
        tuning_job_quota=args.quota,
        operation_polls=args.operation_polls,
    )
    try:
        server = build_server(World(store, SystemClock(), settings), port=args.port, faults=args.fault)
    except UnknownMethodError as error:
        parser.error(f"--fault: {error}")
    except RuntimeError as error:
        print(f"emulator: cannot listen on {HOST}:{args.port}: {error}", file=sys.stderr)
        return 1
    rest = None
    if args.rest_port is not None:
        # Imported only when asked for: it loads the v1beta1 types, which take a second.
        from emulator.rest import build_rest_server

        try:
            rest = build_rest_server(server.address, port=args.rest_port)
        except OSError as error:
            print(f"emulator: cannot listen on {HOST}:{args.rest_port}: {error}", file=sys.stderr)
            server.grpc_server.stop(grace=None)
            return 1
    try:
        store.create_file()
    except OSError as error:
        parser.error(f"--state: cannot create {args.state}: {error}")

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.grpc_server.start()
    if rest is not None:
        rest.start()
    print(f"listening on {server.address}", flush=True)
    if rest is not None:
        print(f"rest on {rest.url}", flush=True)
    # Wait in short steps: a signal that reaches one of gRPC's threads only marks itself
    # pending, and the main thread runs the handler when it next runs Python code.
    while not stop.wait(timeout=_SIGNAL_CHECK_SECONDS):
        pass
    if rest is not None:
        rest.stop()
    server.grpc_server.stop(grace=_SHUTDOWN_GRACE_SECONDS).wait()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A local Vertex AI emulator (GenAiTuningService, ModelService, EndpointService, "
        "Operations) for the google-cloud-aiplatform v1 clients over a plaintext gRPC channel.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port on 127.0.0.1; 0 (default) picks a free one")
    parser.add_argument(
        "--rest-port",
        type=_port,
        metavar="PORT",
        help="also serve Vertex AI's REST API (/v1/ and /v1beta1/) on 127.0.0.1:PORT; 0 picks a free one",
    )
    parser.add_argument(
        "--state", required=True, metavar="FILE", help="JSON file holding all state; created if missing"
    )
    parser.add_argument(
        "--job-seconds",
        type=_positive_seconds,
        default=60.0,
        metavar="S",
        help="how long a tuning job trains before it succeeds (default 60); it is PENDING for the first tenth",
    )
    parser.add_argument(
        "--quota",
        type=_non_negative_int,
        default=1,
        metavar="Q",
        help="concurrent tuning jobs allowed across all projects and locations (default 1)",
    )
    parser.add_argument(
        "--operation-polls",
        type=_non_negative_int,
        default=DEFAULT_OPERATION_POLLS,
        metavar="N",
        help="GetOperation calls after which a long-running operation (CreateEndpoint, DeployModel, "
        f"DeleteModel, ...) is done and its effect visible (default {DEFAULT_OPERATION_POLLS}; "
        "0: done when started)",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="CODE:METHOD[:COUNT[:WHEN]]",
        help="make calls fail; see below",
    )
    return parser


def _port(text: str) -> int:
    if not text.isdecimal() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return int(text)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return seconds


def _non_negative_int(text: str) -> int:
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return int(text)


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
