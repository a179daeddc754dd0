"""Run the emulator as a separate process, exactly as the command line does.

    with EmulatorProcess(tmp_path / "state.json", job_seconds=2, quota=1) as emulator:
        client = emulator.tuning_client()
        ...

The process listens on a free port of 127.0.0.1; `host` is its address.
With `rest_port` (0: a free port) it also serves REST, at `rest_url`.
`stop()` ends it with SIGTERM (a clean shutdown), `kill()` with SIGKILL (a
crash). Channels handed out by the client factories are closed when it ends.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Iterable, Mapping

import grpc
from google.api_core.operations_v1 import OperationsClient
from google.cloud.aiplatform_v1 import EndpointServiceClient, GenAiTuningServiceClient, ModelServiceClient

from tests.support import vertex_clients

__all__ = ["REPO_ROOT", "EmulatorProcess", "EmulatorStartError"]

REPO_ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on (127\.0\.0\.1:(\d+))")
_REST = re.compile(r"rest on (http://127\.0\.0\.1:\d+)")


class EmulatorStartError(RuntimeError):
    """The emulator did not start; the message includes its stderr."""


class EmulatorProcess:
    """`python -m emulator` as a subprocess, with GAPIC client factories for it."""

    def __init__(
        self,
        state_file: str | os.PathLike[str],
        *,
        job_seconds: float = 60.0,
        quota: int = 1,
        faults: Iterable[str] = (),
        operation_polls: int | None = None,
        operation_seconds: float | None = None,
        environment: dict[str, str] | None = None,
        port: int = 0,
        rest_port: int | None = None,
        start_timeout: float = 30.0,
        cancel_seconds: float | None = None,
        cancel_outcome: str | None = None,
        project_numbers: Mapping[str, str] | None = None,
        project_quotas: Mapping[str, int] | None = None,
        fault_seed: int | None = None,
        rpc_log: str | os.PathLike[str] | None = None,
        refuse_tuned_model_deploy: bool = False,
        refuse_retired_models: bool = False,
        label_filters_find_nothing: bool = False,
        today: str | None = None,
        evaluation_scores: Iterable[str] = (),
        offer_evaluation: Iterable[str] = (),
    ) -> None:
        """Options left at None (or False) are not passed: the emulator's own defaults apply."""
        self.state_file = Path(state_file)
        self.job_seconds = job_seconds
        self.quota = quota
        self.faults = tuple(faults)
        self.operation_polls = operation_polls
        self.operation_seconds = operation_seconds
        self.cancel_seconds = cancel_seconds
        self.cancel_outcome = cancel_outcome
        self.project_numbers = dict(project_numbers or {})
        self.project_quotas = dict(project_quotas or {})
        self.fault_seed = fault_seed
        self.rpc_log = rpc_log
        self.refuse_tuned_model_deploy = refuse_tuned_model_deploy
        self.refuse_retired_models = refuse_retired_models
        self.label_filters_find_nothing = label_filters_find_nothing
        self.today = today
        self.evaluation_scores = tuple(evaluation_scores)
        self.offer_evaluation = tuple(offer_evaluation)
        self.environment = environment
        self._requested_port = port
        self._requested_rest_port = rest_port
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._stderr_text: str | None = None
        self._channels: list[grpc.Channel] = []
        self.host = ""
        self.port = 0
        self.rest_url = ""
        self._unread = b""

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "emulator",
            f"--port={self._requested_port}",
            f"--state={self.state_file}",
            f"--job-seconds={self.job_seconds}",
            f"--quota={self.quota}",
            *(f"--fault={fault}" for fault in self.faults),
            *([] if self.operation_polls is None else [f"--operation-polls={self.operation_polls}"]),
            *([] if self.operation_seconds is None else [f"--operation-seconds={self.operation_seconds}"]),
            *([] if self._requested_rest_port is None else [f"--rest-port={self._requested_rest_port}"]),
            *([] if self.cancel_seconds is None else [f"--cancel-seconds={self.cancel_seconds}"]),
            *([] if self.cancel_outcome is None else [f"--cancel-outcome={self.cancel_outcome}"]),
            *(f"--project-number={project}={number}" for project, number in self.project_numbers.items()),
            *(f"--project-quota={project}={quota}" for project, quota in self.project_quotas.items()),
            *([] if self.fault_seed is None else [f"--fault-seed={self.fault_seed}"]),
            *([] if self.rpc_log is None else [f"--rpc-log={self.rpc_log}"]),
            *(["--refuse-tuned-model-deploy"] if self.refuse_tuned_model_deploy else []),
            *(["--refuse-retired-models"] if self.refuse_retired_models else []),
            *(["--label-filters-find-nothing"] if self.label_filters_find_nothing else []),
            *([f"--today={self.today}"] if self.today else []),
            *(f"--evaluation-score={score}" for score in self.evaluation_scores),
            *(f"--offer-evaluation={model}" for model in self.offer_evaluation),
        ]

    def start(self) -> EmulatorProcess:
        """Start the process and wait for its `listening on` line (and `rest on` line, if asked to serve REST)."""
        if self._process is not None:
            raise RuntimeError("this EmulatorProcess was already started")
        # A file, not a pipe: nobody reads stderr while the emulator runs, and a full pipe would block it.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env={**os.environ, **(self.environment or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        match = self._expect_line(_LISTENING, "first")
        self.host, self.port = match[1], int(match[2])
        if self._requested_rest_port is not None:
            self.rest_url = self._expect_line(_REST, "second")[1]
        return self

    @property
    def pid(self) -> int:
        return self._running().pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def stderr(self) -> str:
        """Everything the process wrote to stderr so far."""
        if self._stderr_text is not None:
            return self._stderr_text
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait for the exit; returns the exit code. Safe to call twice."""
        process = self._running()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: end the process the way a crash would."""
        process = self._running()
        if process.poll() is None:
            process.kill()
        self.wait()

    def wait(self, timeout: float = 10.0) -> int:
        """Wait for the process to exit and return its exit code.

        If it is still running after `timeout` seconds it is killed and
        subprocess.TimeoutExpired raised.
        """
        process = self._running()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            self._close()
        return process.returncode

    def channel(self) -> grpc.Channel:
        """A new plaintext channel to the emulator, closed when the process ends."""
        channel = grpc.insecure_channel(self.host)
        self._channels.append(channel)
        return channel

    def tuning_client(self) -> GenAiTuningServiceClient:
        return vertex_clients.tuning_client(self.channel())

    def model_client(self) -> ModelServiceClient:
        return vertex_clients.model_client(self.channel())

    def endpoint_client(self) -> EndpointServiceClient:
        return vertex_clients.endpoint_client(self.channel())

    def operations_client(self) -> OperationsClient:
        return vertex_clients.operations_client(self.channel())

    def pending_operations(self) -> int:
        """How many long-running operations are not done, as its state file says (each
        request first finishes those due by --operation-seconds)."""
        return len(json.loads(self.state_file.read_text())["collections"]["pending_operations"])

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self.stop()

    def _running(self) -> subprocess.Popen[str]:
        if self._process is None:
            raise RuntimeError("the EmulatorProcess was not started")
        return self._process

    def _expect_line(self, pattern: re.Pattern[str], which: str) -> re.Match[str]:
        line = self._next_line()
        match = pattern.fullmatch(line)
        if match is None:
            self.kill()
            raise EmulatorStartError(f"unexpected {which} line {line!r}; stderr:\n{self.stderr}")
        return match

    def _next_line(self) -> str:
        # Read the pipe's descriptor, not the buffered stream: a buffered read may take
        # both announced lines at once, and a select() would then wait for a third.
        process = self._running()
        assert process.stdout is not None
        deadline = time.monotonic() + self._start_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in self._unread:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    self.kill()
                    raise EmulatorStartError(
                        f"no line announcing the emulator within {self._start_timeout} s; stderr:\n{self.stderr}"
                    )
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    code = process.wait()
                    self._close()
                    raise EmulatorStartError(
                        f"the emulator exited with code {code} before listening; stderr:\n{self.stderr}"
                    )
                self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        return line.decode("utf-8")

    def _close(self) -> None:
        """Release everything held for the ended process; keeps its stderr text."""
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        process = self._running()
        if process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None and self._stderr_text is None:
            self._stderr_text = self.stderr
            self._stderr.close()
