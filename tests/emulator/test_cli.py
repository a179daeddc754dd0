"""The command line: its first line, its address, its signals and its argument errors."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from emulator.__main__ import main
from tests.emulator.builders import PARENT, tuning_job
from tests.support.emulator_process import REPO_ROOT, EmulatorProcess, EmulatorStartError


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path_factory.mktemp("cli") / "state.json") as process:
        yield process


def test_it_creates_the_state_file_announces_its_address_and_serves(running: EmulatorProcess) -> None:
    assert json.loads(running.state_file.read_text())["collections"]["tuning_jobs"] == {}
    assert running.host == f"127.0.0.1:{running.port}"
    assert running.port > 0

    job = running.tuning_client().create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    assert json.loads(running.state_file.read_text())["collections"]["tuning_jobs"][job.name]["name"] == job.name


@pytest.mark.parametrize("address", [("127.0.0.2", socket.AF_INET), ("::1", socket.AF_INET6)])
def test_it_listens_on_127_0_0_1_only(running: EmulatorProcess, address: tuple[str, socket.AddressFamily]) -> None:
    # On Linux all of 127.0.0.0/8 reaches this host: a socket bound to every
    # address would accept on 127.0.0.2 too.
    host, family = address
    try:
        probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"no {family.name} support")
    with probe:
        probe.settimeout(5)
        code = probe.connect_ex((host, running.port))
    assert code in (errno.ECONNREFUSED, errno.EADDRNOTAVAIL, errno.ENETUNREACH), errno.errorcode.get(code, code)
    with socket.create_connection(("127.0.0.1", running.port), timeout=5):
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    with EmulatorProcess(tmp_path / "state.json") as process:
        process.tuning_client().create_tuning_job(parent=PARENT, tuning_job=tuning_job())

        os.kill(process.pid, signum)

        assert process.wait(timeout=10) == 0
    assert "Traceback" not in process.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "x"], "--port: must be a port number"),
        (["--port", "70000"], "--port: must be a port number"),
        (["--job-seconds", "0"], "--job-seconds: must be a positive number"),
        (["--job-seconds", "nan"], "--job-seconds: must be a positive number"),
        (["--quota", "-1"], "--quota: must be a whole number"),
        (["--fault", "unavailable"], "must look like CODE:METHOD"),
        (["--fault", "teapot:CreateTuningJob"], "unknown status code 'teapot'"),
        (["--fault", "unavailable:CreateTuningJob:0"], "COUNT must be a positive whole number"),
        (["--fault", "unavailable:CreateTuningJob:1:later"], "WHEN must be before, after or hang"),
        (["--fault", "unavailable:DeleteTuningJob"], "no such method is served"),
        (["--fault", "unavailable:NoSuchService/*"], "no such method is served"),
        (["--fault", "unavailable:*:0%"], "a percentage COUNT must be more than 0%"),
        (["--fault", "unavailable:Get*"], "METHOD must be Method, Service/Method, Service/* or *"),
        (["--fault-seed", "x"], "--fault-seed: invalid int value"),
        (["--cancel-seconds", "-1"], "--cancel-seconds: must be a number of seconds >= 0"),
        (["--cancel-seconds", "inf"], "--cancel-seconds: must be a number of seconds >= 0"),
        (["--cancel-outcome", "maybe"], "--cancel-outcome: invalid choice: 'maybe'"),
        (["--project-number", "demo"], "--project-number: must look like ID=NUMBER"),
        (["--project-number", "123=456"], "'123' is a number, not a project id"),
        (["--project-number", "demo=0123"], "'0123' is not a project number"),
        (["--project-number", "demo=12a"], "'12a' is not a project number"),
        (["--project-number", "a=42", "--project-number", "b=42"], "a and b cannot both have number 42"),
        (["--project-quota", "demo"], "--project-quota: must look like PROJECT=Q"),
        (["--project-quota", "=3"], "--project-quota: must look like PROJECT=Q"),
        (["--project-quota", "demo=-1"], "--project-quota: the quota must be a whole number"),
        (["--rpc-log", "/nonexistent-directory/rpc.jsonl"], "--rpc-log: cannot open"),
        (["--today", "2026-13-01"], "--today: must be a date YYYY-MM-DD, got '2026-13-01'"),
    ],
)
def test_bad_arguments_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    state_file = tmp_path / "state.json"

    with pytest.raises(SystemExit) as exited:
        main(["--state", str(state_file), *arguments])

    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not state_file.exists(), "a refused command must not create the state file"


def test_help_lists_every_flag() -> None:
    flags = ["--port", "--rest-port", "--state", "--job-seconds", "--cancel-seconds", "--cancel-outcome", "--quota",
             "--project-quota", "--project-number", "--operation-polls", "--operation-seconds", "--refuse-tuned-model-deploy",
             "--today", "--refuse-retired-models", "--label-filters-find-nothing", "--evaluation-score",
             "--offer-evaluation", "--fault", "--fault-seed", "--rpc-log"]

    shown = subprocess.run([sys.executable, "-m", "emulator", "--help"], cwd=REPO_ROOT, capture_output=True,
                           text=True, check=True).stdout

    [options] = [block for block in shown.split("\n\n") if block.startswith("options:")]
    assert sorted(re.findall(r"^  (--[a-z-]+)", options, re.MULTILINE)) == sorted(flags)
    sections = ["projects:", "quota:", "fault injection (--fault, repeatable):", "rpc log (--rpc-log FILE):"]
    assert [section for section in sections if f"\n{section}\n" not in shown] == []


def test_a_missing_state_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])

    assert exited.value.code == 2
    assert "--state" in capsys.readouterr().err


def test_a_damaged_state_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("{broken")

    with pytest.raises(SystemExit) as exited:
        main(["--state", str(state_file)])

    assert exited.value.code == 2
    assert "cannot read state file" in capsys.readouterr().err
    assert state_file.read_text() == "{broken"


def test_a_port_in_use_is_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]

        code = main(["--state", str(tmp_path / "state.json"), "--port", str(port)])

    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_a_failed_start_reports_the_emulators_stderr(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("[]")

    with pytest.raises(EmulatorStartError, match="exited with code 2 before listening") as raised:
        EmulatorProcess(state_file).start()

    message = str(raised.value)
    assert "usage: python -m emulator" in message
    assert "not an emulator state file" in message
    assert "Traceback" not in message
