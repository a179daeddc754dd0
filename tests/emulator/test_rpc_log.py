"""The RPC log: one JSON line per call, with the status the client saw, readable while the emulator runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import RebaseTunedModelRequest

from emulator.faults import Fault
from emulator.rpc_log import RpcLog
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import StartLocal
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

TUNING = "google.cloud.aiplatform.v1.GenAiTuningService"


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_each_call_is_one_line_with_the_status_the_client_saw(
    start_local: StartLocal, log_file: tuple[Path, RpcLog]
) -> None:
    path, log = log_file
    local = start_local(rpc_log=log, faults=[Fault.parse("unavailable:GetTuningJob:1")])

    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(1.5)
    with pytest.raises(exceptions.ServiceUnavailable):
        local.tuning.get_tuning_job(name=job.name, retry=None)
    local.tuning.get_tuning_job(name=job.name)
    with pytest.raises(exceptions.NotFound):
        local.models.get_model(name=f"{PARENT}/models/404")
    with pytest.raises(exceptions.MethodNotImplemented):
        local.tuning.rebase_tuned_model(request=RebaseTunedModelRequest(parent=PARENT))

    # Times are the emulator's clock (a ManualClock from 2025-01-01) when each call ended.
    assert lines_of(path) == [
        {"method": "CreateTuningJob", "service": TUNING, "status": "OK", "time": "2025-01-01T00:00:00.000000Z"},
        {"method": "GetTuningJob", "service": TUNING, "status": "UNAVAILABLE", "time": "2025-01-01T00:00:01.500000Z"},
        {"method": "GetTuningJob", "service": TUNING, "status": "OK", "time": "2025-01-01T00:00:01.500000Z"},
        {"method": "GetModel", "service": "google.cloud.aiplatform.v1.ModelService", "status": "NOT_FOUND",
         "time": "2025-01-01T00:00:01.500000Z"},
        {"method": "RebaseTunedModel", "service": TUNING, "status": "UNIMPLEMENTED",
         "time": "2025-01-01T00:00:01.500000Z"},
    ]


def test_a_call_that_went_through_but_answered_a_fault_is_logged_with_the_fault(
    start_local: StartLocal, log_file: tuple[Path, RpcLog]
) -> None:
    path, log = log_file
    local = start_local(rpc_log=log, faults=[Fault.parse("resource_exhausted:CreateTuningJob:1:after")])

    with pytest.raises(exceptions.ResourceExhausted):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    assert [line["status"] for line in lines_of(path)] == ["RESOURCE_EXHAUSTED"]
    assert len(list(local.tuning.list_tuning_jobs(parent=PARENT))) == 1


def test_a_client_that_gave_up_is_logged_as_its_deadline_passing(
    start_local: StartLocal, log_file: tuple[Path, RpcLog]
) -> None:
    path, log = log_file
    local = start_local(rpc_log=log, faults=[Fault.parse("unavailable:CreateTuningJob:1:hang")])

    with pytest.raises(exceptions.DeadlineExceeded):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(), timeout=0.5)

    [line] = wait_for(lambda: lines_of(path))
    assert (line["method"], line["status"]) == ("CreateTuningJob", "DEADLINE_EXCEEDED")


def test_the_command_line_log_can_be_followed_while_the_emulator_runs(tmp_path: Path) -> None:
    path = tmp_path / "rpc.jsonl"
    with EmulatorProcess(tmp_path / "state.json", rpc_log=path, faults=["unavailable:ListTuningJobs:1"]) as emulator:
        tuning = emulator.tuning_client()
        tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        [created] = wait_for(lambda: lines_of(path))
        with pytest.raises(exceptions.ServiceUnavailable):
            tuning.list_tuning_jobs(parent=PARENT, retry=None)
        [_, listed] = wait_for(lambda: lines_of(path), lambda lines: len(lines) == 2)

    assert (created["method"], created["service"], created["status"]) == ("CreateTuningJob", TUNING, "OK")
    assert (listed["method"], listed["status"]) == ("ListTuningJobs", "UNAVAILABLE")
    logged_at = datetime.strptime(created["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - logged_at).total_seconds()) < 60


def test_the_same_seed_fails_the_same_calls_in_every_run(tmp_path: Path) -> None:
    def statuses(run: int, seed: int) -> list[str]:
        path = tmp_path / f"rpc-{run}.jsonl"
        with EmulatorProcess(tmp_path / f"state-{run}.json", rpc_log=path, fault_seed=seed,
                             faults=["unavailable:ListTuningJobs:50%"]) as emulator:
            tuning = emulator.tuning_client()
            for _ in range(30):
                try:
                    list(tuning.list_tuning_jobs(parent=PARENT, retry=None))
                except exceptions.ServiceUnavailable:
                    pass
        return [line["status"] for line in lines_of(path)]

    first, again, other = statuses(1, seed=11), statuses(2, seed=11), statuses(3, seed=12)

    assert first == again != other
    assert {"OK", "UNAVAILABLE"} == set(first)
