"""`python -m emulator --rest-port`: the announced URL, one state for both surfaces, clean shutdown, errors."""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from emulator.__main__ import main
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.rest.http import HttpClient
from tests.emulator.rest.test_rest_tuning_jobs import DOCUMENTED_BODY
from tests.support.emulator_process import EmulatorProcess


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path_factory.mktemp("rest-cli") / "state.json", quota=5, rest_port=0) as process:
        yield process


def test_the_second_line_announces_the_rest_url_which_shares_the_grpc_state(running: EmulatorProcess) -> None:
    rest_url = urlsplit(running.rest_url)
    assert (rest_url.scheme, rest_url.hostname) == ("http", "127.0.0.1")
    assert rest_url.port not in (None, running.port)
    http = HttpClient(running.rest_url)

    over_rest = http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]
    over_grpc = running.tuning_client().create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name

    assert running.tuning_client().get_tuning_job(name=over_rest).base_model == "gemini-3.5-flash"
    assert http.get(f"v1/{over_grpc}").json["baseModel"] == "gemini-3.5-flash"
    assert set(json.loads(running.state_file.read_text())["collections"]["tuning_jobs"]) == {over_rest, over_grpc}


def test_rest_listens_on_127_0_0_1_only(running: EmulatorProcess) -> None:
    port = urlsplit(running.rest_url).port
    with socket.socket() as probe:
        probe.settimeout(5)
        code = probe.connect_ex(("127.0.0.2", port))
    assert code in (errno.ECONNREFUSED, errno.EADDRNOTAVAIL, errno.ENETUNREACH), errno.errorcode.get(code, code)


def test_sigterm_stops_both_servers_cleanly(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", rest_port=0) as process:
        http = HttpClient(process.rest_url)
        assert http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).status == 200

        assert process.stop() == 0

    assert "Traceback" not in process.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", urlsplit(process.rest_url).port)) == errno.ECONNREFUSED


def test_a_rest_port_in_use_is_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_file = tmp_path / "state.json"
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]

        code = main(["--state", str(state_file), "--rest-port", str(port)])

    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert not state_file.exists()


def test_a_bad_rest_port_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--state", str(tmp_path / "state.json"), "--rest-port", "http"])

    assert exited.value.code == 2
    assert "--rest-port: must be a port number" in capsys.readouterr().err
