"""Fault injection: chosen calls fail, so clients' retry paths can be tested."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import grpc
import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import DeployedModel, Endpoint, UpdateEndpointRequest
from google.rpc import error_details_pb2

from emulator.faults import FOREVER, Fault
from emulator.projects import default_project_number
from tests.emulator.builders import PARENT, PROJECT, PROJECT_NUMBERS, tuning_job
from tests.emulator.conftest import LocalEmulator, StartLocal
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
        ("unavailable:*:30%", Fault(grpc.StatusCode.UNAVAILABLE, "*", count=FOREVER, percent=30.0)),
        ("internal:GenAiTuningService/*:2.5%:after",
         Fault(grpc.StatusCode.INTERNAL, "GenAiTuningService/*", count=FOREVER, after=True, percent=2.5)),
        ("unavailable:Operations/GetOperation:100%",
         Fault(grpc.StatusCode.UNAVAILABLE, "Operations/GetOperation", count=FOREVER, percent=100.0)),
    ],
)
def test_fault_specs_parse(spec: str, fault: Fault) -> None:
    assert Fault.parse(spec) == fault


@pytest.mark.parametrize(
    "spec",
    ["", "unavailable", "unavailable:", "ok:GetTuningJob", "teapot:GetTuningJob", "unavailable:GetTuningJob:-1",
     "unavailable:GetTuningJob:two", "unavailable:GetTuningJob:1:during", "unavailable:GetTuningJob:1:after:x",
     "unavailable:GetTuningJob:0%", "unavailable:GetTuningJob:101%", "unavailable:GetTuningJob:%",
     "unavailable:GetTuningJob:x%", "unavailable:GetTuningJob:nan%", "unavailable:Get*", "unavailable:*/GetTuningJob",
     "unavailable:/GetTuningJob"],
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
        ("GenAiTuningService/CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob", True),
        ("EndpointService/CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob", False),
        ("v1.GenAiTuningService/CreateTuningJob", "/google.cloud.aiplatform.v1.GenAiTuningService/CreateTuningJob",
         False),
        ("*", "/google.longrunning.Operations/GetOperation", True),
        ("GenAiTuningService/*", "/google.cloud.aiplatform.v1.GenAiTuningService/ListTuningJobs", True),
        ("google.cloud.aiplatform.v1.GenAiTuningService/*",
         "/google.cloud.aiplatform.v1.GenAiTuningService/ListTuningJobs", True),
        ("GenAiTuningService/*", "/google.cloud.aiplatform.v1.ModelService/ListModels", False),
        ("Operations/GetOperation", "/google.longrunning.Operations/GetOperation", True),
    ],
)
def test_a_fault_matches_its_methods_by_name_service_or_wildcard(method: str, full_method: str, matches: bool) -> None:
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

        assert created.name.startswith(f"projects/{default_project_number('demo-project')}/")



def gets_that_went_through(local: LocalEmulator, calls: int = 40) -> list[bool]:
    """Whether each of `calls` gets of a new job went through."""
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name
    results = []
    for _ in range(calls):
        try:
            local.tuning.get_tuning_job(name=job, retry=None)
            results.append(True)
        except exceptions.ServiceUnavailable:
            results.append(False)
    return results


def test_a_percentage_fault_fails_calls_at_random_the_same_way_for_the_same_seed(
    start_local: StartLocal, tmp_path: Path
) -> None:
    def run(run_number: int, seed: int) -> list[bool]:
        local = start_local(quota=5, faults=[Fault.parse("unavailable:GetTuningJob:50%")], fault_seed=seed,
                            state_file=tmp_path / f"run-{run_number}.json")
        return gets_that_went_through(local)

    first, again, other_seed = run(1, seed=1), run(2, seed=1), run(3, seed=2)

    assert first == again
    assert first != other_seed
    assert 5 < first.count(False) < 35, "about half the calls fail"


def test_a_100_percent_fault_fails_every_matching_call(start_local: StartLocal) -> None:
    local = start_local(quota=5, faults=[Fault.parse("unavailable:GetTuningJob:100%")])

    assert gets_that_went_through(local, calls=10) == [False] * 10


def test_a_wildcard_fault_covers_every_method_polling_and_listing_included(start_local: StartLocal) -> None:
    local = start_local(faults=[Fault.parse("internal:*:*")])

    for call in (
        lambda: local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()),
        lambda: local.tuning.list_tuning_jobs(parent=PARENT),
        lambda: local.models.list_models(parent=PARENT),
        lambda: local.endpoints.get_endpoint(name=f"{PARENT}/endpoints/1"),
        lambda: local.operations.get_operation(name=f"{PARENT}/endpoints/1/operations/2"),
    ):
        with pytest.raises(exceptions.InternalServerError, match="Injected fault"):
            call()


def test_a_service_wildcard_fault_covers_that_service_only(start_local: StartLocal) -> None:
    local = start_local(faults=[Fault.parse("internal:GenAiTuningService/*:*")])

    with pytest.raises(exceptions.InternalServerError):
        local.tuning.list_tuning_jobs(parent=PARENT)
    with pytest.raises(exceptions.InternalServerError):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert list(local.models.list_models(parent=PARENT)) == []


def test_faults_are_tried_in_order_and_the_first_that_fires_answers(start_local: StartLocal) -> None:
    local = start_local(faults=[Fault.parse("unavailable:ListTuningJobs:1"), Fault.parse("internal:*:*")])

    with pytest.raises(exceptions.ServiceUnavailable):
        local.tuning.list_tuning_jobs(parent=PARENT, retry=None)
    with pytest.raises(exceptions.InternalServerError):
        local.tuning.list_tuning_jobs(parent=PARENT, retry=None)


LIMIT_IDS = {
    "aiplatform.googleapis.com/job_submission_requests_per_minute": "JobSubmissionRequestsPerMinutePerProjectPerRegion",
    "aiplatform.googleapis.com/resource_management_requests_per_minute":
        "ResourceManagementRequestsPerMinutePerProjectPerRegion",
}


@pytest.mark.parametrize(
    ("fault", "call", "metric", "per_minute"),
    [
        ("CreateTuningJob", lambda local: local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()),
         "aiplatform.googleapis.com/job_submission_requests_per_minute", "60"),
        ("DeployModel", lambda local: local.endpoints.deploy_model(
            endpoint=f"{PARENT}/endpoints/1", deployed_model=DeployedModel(model=f"{PARENT}/models/2")),
         "aiplatform.googleapis.com/job_submission_requests_per_minute", "60"),
        ("GetTuningJob", lambda local: local.tuning.get_tuning_job(name=f"{PARENT}/tuningJobs/1", retry=None),
         "aiplatform.googleapis.com/resource_management_requests_per_minute", "600"),
        ("UpdateEndpoint", lambda local: local.endpoints.update_endpoint(request=UpdateEndpointRequest(
            endpoint=Endpoint(name=f"{PARENT}/endpoints/1"))),
         "aiplatform.googleapis.com/resource_management_requests_per_minute", "600"),
        ("GetOperation", lambda local: local.operations.get_operation(
            name=f"{PARENT}/endpoints/1/operations/2", retry=None),
         "aiplatform.googleapis.com/resource_management_requests_per_minute", "600"),
    ],
    ids=["create-job", "deploy", "get-job", "update-endpoint", "get-operation"],
)
def test_a_resource_exhausted_fault_is_a_rate_limit_with_googles_error_details(
    start_local: StartLocal, fault: str, call: Callable[[LocalEmulator], object], metric: str, per_minute: str
) -> None:
    local = start_local(faults=[Fault.parse(f"resource_exhausted:{fault}")])

    with pytest.raises(exceptions.ResourceExhausted) as raised:
        call(local)

    error = raised.value
    assert (error.reason, error.domain) == ("RATE_LIMIT_EXCEEDED", "googleapis.com")
    assert error.metadata == {
        "service": "aiplatform.googleapis.com",
        "consumer": f"projects/{PROJECT_NUMBERS[PROJECT]}",
        "quota_metric": metric,
        "quota_limit": LIMIT_IDS[metric],
        "quota_limit_value": per_minute,
        "quota_location": "us-central1",
    }
    [failure] = [detail for detail in error.details if isinstance(detail, error_details_pb2.QuotaFailure)]
    assert dict(failure.violations[0].quota_dimensions) == {"region": "us-central1"}
    assert error.message.startswith(f"Quota exceeded for quota metric '{metric}'")
    assert "Injected fault" in error.message
