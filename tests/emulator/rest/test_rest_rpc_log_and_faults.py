"""REST calls are gRPC calls inside the emulator: the RPC log records them and seeded faults draw for them."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any, Callable

import pytest
from google.api_core import exceptions

from emulator.faults import Fault
from emulator.rpc_log import RpcLog
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.rest.conftest import RestEmulator, StartRest
from tests.emulator.rest.http import HttpClient
from tests.emulator.rest.test_rest_tuning_jobs import DOCUMENTED_BODY
from tests.emulator.test_rpc_log import lines_of
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

HTTP_STATUS_OF = {"OK": 200, "UNAVAILABLE": 503}


def test_rest_calls_are_logged_as_the_same_calls_over_grpc_are(start_rest: StartRest, tmp_path: Path) -> None:
    def logged(over_rest: bool) -> list[dict[str, Any]]:
        surface = "rest" if over_rest else "grpc"
        path = tmp_path / f"rpc-{surface}.jsonl"
        with closing(RpcLog(path)) as log:
            emulator = start_rest(rpc_log=log, faults=[Fault.parse("unavailable:GetTuningJob:1")],
                                  state_file=tmp_path / f"state-{surface}.json")
            (call_over_rest if over_rest else call_over_grpc)(emulator)
        return lines_of(path)

    def call_over_rest(rest: RestEmulator) -> None:
        name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]
        rest.local.advance(1.5)
        statuses = [
            rest.http.get(f"v1/{name}").status,
            rest.http.get(f"v1beta1/{name}").status,
            rest.http.get(f"v1/{PARENT}/models/404").status,
            rest.http.get(f"v1/{PARENT}/endpoints/1/operations/2").status,
            rest.http.post(f"v1/{PARENT}/endpoints/1:mutateDeployedModel", {}).status,
        ]
        assert statuses == [503, 200, 404, 404, 501]

    def call_over_grpc(rest: RestEmulator) -> None:
        local = rest.local
        name = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name
        local.advance(1.5)
        with pytest.raises(exceptions.ServiceUnavailable):
            local.tuning.get_tuning_job(name=name, retry=None)
        local.tuning.get_tuning_job(name=name)
        with pytest.raises(exceptions.NotFound):
            local.models.get_model(name=f"{PARENT}/models/404")
        with pytest.raises(exceptions.NotFound):
            local.operations.get_operation(name=f"{PARENT}/endpoints/1/operations/2")
        with pytest.raises(exceptions.MethodNotImplemented):
            local.endpoints.mutate_deployed_model(endpoint=f"{PARENT}/endpoints/1")

    over_rest = logged(over_rest=True)

    assert over_rest == logged(over_rest=False)
    assert [(line["method"], line["status"]) for line in over_rest] == [
        ("CreateTuningJob", "OK"), ("GetTuningJob", "UNAVAILABLE"), ("GetTuningJob", "OK"),
        ("GetModel", "NOT_FOUND"), ("GetOperation", "NOT_FOUND"), ("MutateDeployedModel", "UNIMPLEMENTED")]


def test_a_rest_client_whose_server_timeout_passed_is_logged_as_deadline_exceeded(
    start_rest: StartRest, log_file: tuple[Path, RpcLog]
) -> None:
    path, log = log_file
    rest = start_rest(rpc_log=log, faults=[Fault.parse("unavailable:CreateTuningJob:1:hang")])

    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY, headers={"X-Server-Timeout": "0.5"})

    assert reply.status == 504
    [line] = wait_for(lambda: lines_of(path))
    assert (line["method"], line["status"]) == ("CreateTuningJob", "DEADLINE_EXCEEDED")
    assert len(list(rest.local.tuning.list_tuning_jobs(parent=PARENT))) == 1, "a hanging fault lets the call happen"


def listed_over_rest(emulator: RestEmulator) -> bool:
    return emulator.http.get(f"v1/{PARENT}/tuningJobs").status == 200


def listed_over_grpc(emulator: RestEmulator) -> bool:
    try:
        list(emulator.local.tuning.list_tuning_jobs(parent=PARENT, retry=None))
    except exceptions.ServiceUnavailable:
        return False
    return True


def test_a_wildcard_percentage_fault_fails_the_same_rest_calls_as_grpc_calls_for_the_same_seed(
    start_rest: StartRest, tmp_path: Path
) -> None:
    def went_through(run: int, seed: int, call: Callable[[RestEmulator], bool]) -> list[bool]:
        emulator = start_rest(faults=[Fault.parse("unavailable:*:50%")], fault_seed=seed,
                              state_file=tmp_path / f"state-{run}.json")
        return [call(emulator) for _ in range(30)]

    over_rest, over_grpc = went_through(1, 7, listed_over_rest), went_through(2, 7, listed_over_grpc)
    other_seed = went_through(3, 8, listed_over_rest)

    assert over_rest == over_grpc != other_seed
    assert 5 < over_rest.count(False) < 25, "about half the calls fail"


def test_the_command_line_logs_rest_calls_and_fails_them_at_random(tmp_path: Path) -> None:
    path = tmp_path / "rpc.jsonl"
    with EmulatorProcess(tmp_path / "state.json", rest_port=0, rpc_log=path, fault_seed=3,
                         faults=["unavailable:GenAiTuningService/*:50%"]) as emulator:
        http = HttpClient(emulator.rest_url)
        statuses = [http.get(f"v1/{PARENT}/tuningJobs").status for _ in range(20)]
        logged = wait_for(lambda: lines_of(path), lambda lines: len(lines) == len(statuses))

    assert {200, 503} == set(statuses)
    assert [(line["method"], HTTP_STATUS_OF[line["status"]]) for line in logged] == [
        ("ListTuningJobs", status) for status in statuses]
