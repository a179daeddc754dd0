"""Fault injection: chosen calls fail, so clients' retry paths can be tested."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.api_core import exceptions

from emulator.faults import FOREVER, Fault
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import StartLocal
from tests.support.emulator_process import EmulatorProcess


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("unavailable:CreateTuningJob", Fault(grpc.StatusCode.UNAVAILABLE, "CreateTuningJob")),
        ("UNAVAILABLE:CreateTuningJob:2", Fault(grpc.StatusCode.UNAVAILABLE, "CreateTuningJob", count=2)),
        ("internal:GetTuningJob:*", Fault(grpc.StatusCode.INTERNAL, "GetTuningJob", count=FOREVER)),
        ("deadline_exceeded:CreateTuningJob:1:after",
         Fault(grpc.StatusCode.DEADLINE_EXCEEDED, "CreateTuningJob", count=1, after=True)),
        ("unavailable:CreateTuningJob:1:hang",
         Fault(grpc.StatusCode.UNAVAILABLE, "CreateTuningJob", count=1, after=True, hang=True)),
        ("aborted:google.longrunning.Operations/GetOperation:3:before",
         Fault(grpc.StatusCode.ABORTED, "google.longrunning.Operations/GetOperation", count=3)),
    ],
)
def test_fault_specs_parse(spec: str, fault: Fault) -> None:
    assert Fault.parse(spec) == fault


@pytest.mark.parametrize(
    "spec",
    ["", "unavailable", "unavailable:", "ok:GetTuningJob", "teapot:GetTuningJob", "unavailable:GetTuningJob:-1",
     "unavailable:GetTuningJob:two", "unavailable:GetTuningJob:1:during", "unavailable:GetTuningJob:1:after:x"],
)
def test_malformed_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        Fault.parse(spec)


@pytest.mark.parametrize(
    ("method", "full_method", "matches"),
    [
        ("CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob", True),
        ("google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob",
         "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob", True),
        ("CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/GetTuningJob", False),
        ("GenAiTuningService/CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob", False),
    ],
)
def test_a_fault_matches_its_method_by_short_or_full_name(method: str, full_method: str, matches: bool) -> None:
    assert Fault(grpc.StatusCode.UNAVAILABLE, method).matches(full_method) is matches


def test_the_next_calls_fail_then_the_method_recovers(start_local: StartLocal) -> None:
    local = start_local(quota=5, faults=[Fault.parse("unavailable:CreateTuningJob:2")])

    for _ in range(2):
        with pytest.raises(exceptions.ServiceUnavailable, match="Injected fault"):
            local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert list(local.tuning.list_tuning_jobs(parent=PARENT)) == [], "a fault before handling must change nothing"

    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert [job.name for job in local.tuning.list_tuning_jobs(parent=PARENT)] == [created.name]


def test_a_fault_after_handling_applies_the_request_but_answers_the_error(start_local: StartLocal) -> None:
    local = start_local(quota=5, faults=[Fault.parse("deadline_exceeded:CreateTuningJob:1:after")])

    with pytest.raises(exceptions.DeadlineExceeded):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels={"attempt": "1"}))

    [job] = local.tuning.list_tuning_jobs(parent=PARENT)
    assert job.labels["attempt"] == "1"


def test_a_hanging_fault_applies_the_request_and_holds_the_answer_until_the_client_gives_up(
    start_local: StartLocal,
) -> None:
    local = start_local(quota=5, faults=[Fault.parse("unavailable:CreateTuningJob:1:hang")])

    with pytest.raises(exceptions.DeadlineExceeded):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels={"attempt": "1"}),
                                       timeout=0.5)

    [job] = local.tuning.list_tuning_jobs(parent=PARENT)
    assert job.labels["attempt"] == "1"


def test_a_forever_fault_never_runs_out_and_leaves_other_methods_alone(start_local: StartLocal) -> None:
    local = start_local(quota=5, faults=[Fault.parse("internal:GetTuningJob:*")])
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    for _ in range(3):
        with pytest.raises(exceptions.InternalServerError):
            local.tuning.get_tuning_job(name=job.name)
    assert [listed.name for listed in local.tuning.list_tuning_jobs(parent=PARENT)] == [job.name]


def test_unserved_methods_stay_unimplemented_under_a_fault(start_local: StartLocal) -> None:
    local = start_local(faults=[Fault.parse("unavailable:CreateTuningJob:*")])

    with pytest.raises(exceptions.MethodNotImplemented):
        local.tuning.rebase_tuned_model(request={"parent": PARENT})


def test_the_command_line_injects_faults(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", faults=["unavailable:CreateTuningJob:2"]) as emulator:
        tuning = emulator.tuning_client()

        for _ in range(2):
            with pytest.raises(exceptions.ServiceUnavailable):
                tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        created = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

        assert created.name.startswith(PARENT)
