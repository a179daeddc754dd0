"""REST errors: Google's JSON error body with the HTTP status of its gRPC code."""

from __future__ import annotations

import http.client
import json
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator
from urllib.parse import urlsplit

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from emulator.faults import Fault
from emulator.rest import build_rest_server
from emulator.rest.errors import http_status
from emulator.rest.transcoding import MAX_NESTING
from emulator.tuning_service import SERVICE_NAME as TUNING_SERVICE
from emulator.validation import ADAPTER_SIZE_NOT_SUPPORTED
from tests.emulator.builders import NUMBERED_PARENT, PARENT, PROJECT, PROJECT_NUMBERS
from tests.emulator.rest.conftest import RestEmulator, StartRest
from tests.emulator.rest.http import HttpClient
from tests.emulator.rest.test_rest_tuning_jobs import DOCUMENTED_BODY
from tests.emulator.test_cancel import CANCEL_SECONDS


def job_body(**hyper_parameters: Any) -> dict[str, Any]:
    return {
        "baseModel": "gemini-3.5-flash",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": hyper_parameters},
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "http", "status", "message"),
    [
        ("POST", f"v1/{PARENT}/tuningJobs", job_body(adapterSize="ADAPTER_SIZE_THIRTY_TWO"),
         400, "INVALID_ARGUMENT", ADAPTER_SIZE_NOT_SUPPORTED),
        ("POST", f"v1/{PARENT}/tuningJobs", {**job_body(), "baseModel": "gemini-9-ultra"},
         400, "INVALID_ARGUMENT", "Base model 'gemini-9-ultra' is not supported"),
        ("POST", "v1/projects/p/locations/mars-central1/tuningJobs", job_body(),
         400, "INVALID_ARGUMENT", "Location 'mars-central1' does not support tuning"),
        # Asked for by project id, answered by project number, as Vertex AI does.
        ("GET", f"v1/{PARENT}/tuningJobs/999", None, 404, "NOT_FOUND",
         f"TuningJob {NUMBERED_PARENT}/tuningJobs/999 does not exist"),
        ("GET", f"v1beta1/{PARENT}/models/999", None, 404, "NOT_FOUND",
         f"Model {NUMBERED_PARENT}/models/999 does not exist"),
        ("DELETE", f"v1/{PARENT}/endpoints/999", None, 404, "NOT_FOUND", "does not exist"),
        ("GET", f"v1/{PARENT}/endpoints/9/operations/999", None, 404, "NOT_FOUND", "does not exist"),
        ("GET", "v1/nowhere", None, 404, "NOT_FOUND", "The emulator serves no method at GET /v1/nowhere."),
        ("DELETE", f"v1/{PARENT}/tuningJobs/1", None, 404, "NOT_FOUND", "serves no method at DELETE"),
        ("POST", f"v1/{PARENT}/endpoints/1:mutateDeployedModel", {}, 501, "UNIMPLEMENTED",
         "MutateDeployedModel is not served by the emulator."),
        ("POST", f"v1/{PARENT}/tuningJobs:rebaseTunedModel", {}, 501, "UNIMPLEMENTED", "RebaseTunedModel"),
        ("POST", f"v1/{PARENT}/endpoints/1/operations/2:cancel", None, 501, "UNIMPLEMENTED", "CancelOperation"),
        ("POST", f"v1/{PARENT}/tuningJobs", b'{"baseModel": ', 400, "INVALID_ARGUMENT",
         "Invalid JSON payload received. Expecting value"),
        ("POST", f"v1/{PARENT}/tuningJobs", job_body(adapterSize="ADAPTER_SIZE_NINETY"), 400, "INVALID_ARGUMENT",
         "Invalid JSON payload received. Failed to parse tuningJob field"),
        ("POST", f"v1/{PARENT}/endpoints/1:deployModel", [], 400, "INVALID_ARGUMENT",
         "Invalid JSON payload received. The request body must be a JSON object."),
        ("GET", f"v1/{PARENT}/tuningJobs?colour=red", None, 400, "INVALID_ARGUMENT",
         "Unknown name \"colour\": Cannot bind query parameter. Field 'colour' could not be found in request message."),
        ("GET", f"v1/{PARENT}/tuningJobs?parent=projects/x/locations/y", None, 400, "INVALID_ARGUMENT",
         "Cannot bind query parameter 'parent'"),
        ("GET", f"v1/{PARENT}/tuningJobs?pageSize=1&pageSize=2", None, 400, "INVALID_ARGUMENT",
         "is given 2 times"),
        ("GET", f"v1/{PARENT}/tuningJobs?pageSize=-1", None, 400, "INVALID_ARGUMENT", "page_size must not be negative"),
        ("GET", f"v1/{PARENT}/tuningJobs?fields=tuningJobs.name", None, 400, "INVALID_ARGUMENT",
         "fields is not supported by the emulator"),
        ("GET", f"v1/{PARENT}/tuningJobs?alt=proto", None, 400, "INVALID_ARGUMENT", "alt=proto is not supported"),
    ],
)
def test_errors_carry_the_http_status_of_their_code_and_googles_json(
    rest: RestEmulator, method: str, path: str, body: Any, http: int, status: str, message: str
) -> None:
    reply = rest.http.call(method, path, body)

    assert reply.status == http
    assert set(reply.json) == {"error"}
    assert reply.json["error"]["code"] == http
    assert reply.json["error"]["status"] == status
    assert message in reply.json["error"]["message"]
    assert list(rest.local.tuning.list_tuning_jobs(parent=PARENT)) == []


@pytest.mark.parametrize(
    ("body", "field", "name"),
    [
        ({**job_body(), "colour": "red"}, "tuning_job", "colour"),
        ({**job_body(), "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl", "epochs": 3}},
         "tuning_job.supervised_tuning_spec", "epochs"),
    ],
)
def test_unknown_names_in_the_body_are_rejected_with_a_field_violation(
    rest: RestEmulator, body: dict[str, Any], field: str, name: str
) -> None:
    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", body)

    message = f"Invalid JSON payload received. Unknown name \"{name}\" at '{field}': Cannot find field."
    assert reply.status == 400
    assert reply.json["error"] == {
        "code": 400,
        "message": message,
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ],
    }


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 100_000])
def test_a_body_nested_too_deep_is_refused_with_400_and_nothing_in_the_log(
    rest: RestEmulator, caplog: pytest.LogCaptureFixture, depth: int
) -> None:
    body = ('{"description": ' + '{"a": ' * (depth - 1) + "1" + "}" * depth).encode()

    with caplog.at_level(logging.WARNING, logger="emulator"):
        reply = rest.http.post(f"v1/{PARENT}/tuningJobs", body)

    assert reply.status == 400
    assert reply.json["error"]["status"] == "INVALID_ARGUMENT"
    assert reply.json["error"]["message"] == (
        f"Invalid JSON payload received. Message too deep: the JSON nests objects and arrays more than "
        f"{MAX_NESTING} deep.")
    assert caplog.records == []


def test_brackets_inside_strings_are_not_nesting(rest: RestEmulator) -> None:
    description = "[{" * 200 + '\\"' + "}]" * 200
    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", {**DOCUMENTED_BODY, "description": description})

    assert reply.status == 200, reply.text
    assert reply.json["description"] == description


def quota_details(
    reason: str, metric: str, limit_id: str, title: str, limit: int, region: str = ""
) -> list[dict[str, Any]]:
    """The `details` of a quota error of PARENT's project, in the JSON of Google's REST errors."""
    consumer = PROJECT_NUMBERS[PROJECT]
    metadata = {"service": "aiplatform.googleapis.com", "consumer": f"projects/{consumer}", "quota_metric": metric,
                "quota_limit": limit_id, "quota_limit_value": str(limit)}
    violation: dict[str, Any] = {"subject": f"project_number:{consumer}", "description": f"{title}: limit {limit}.",
                                 "apiService": "aiplatform.googleapis.com", "quotaMetric": metric,
                                 "quotaId": limit_id, "quotaValue": str(limit)}
    if region:
        metadata["quota_location"] = region
        violation["quotaDimensions"] = {"region": region}
    return [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
         "metadata": metadata},
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
    ]


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_a_job_over_the_projects_quota_is_429_with_googles_quota_details(start_rest: StartRest, version: str) -> None:
    rest = start_rest(quota=1)
    first = rest.http.post(f"{version}/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    reply = rest.http.post(f"{version}/{PARENT}/tuningJobs", DOCUMENTED_BODY)

    assert reply.status == 429
    error = reply.json["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'aiplatform.googleapis.com/concurrent_tuning_jobs' and limit "
        f"'Concurrent tuning jobs per project' of service 'aiplatform.googleapis.com' for consumer "
        f"'project_number:{PROJECT_NUMBERS[PROJECT]}'.")
    assert f"1 of 1 concurrent tuning job(s) are active ({first})" in error["message"]
    assert error["details"] == quota_details(
        "RESOURCE_QUOTA_EXCEEDED", "aiplatform.googleapis.com/concurrent_tuning_jobs",
        "ConcurrentTuningJobsPerProject", "Concurrent tuning jobs per project", 1)


def test_a_project_without_tuning_quota_says_so_in_the_details(start_rest: StartRest) -> None:
    rest = start_rest(quota=1, project_quotas={PROJECT_NUMBERS[PROJECT]: 0})

    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY)

    assert reply.status == 429
    assert "The project has no tuning quota" in reply.json["error"]["message"]
    assert reply.json["error"]["details"][0]["metadata"]["quota_limit_value"] == "0"


def test_a_resource_exhausted_fault_over_rest_is_a_rate_limit_with_googles_details(start_rest: StartRest) -> None:
    rest = start_rest(faults=[Fault.parse("resource_exhausted:GetTuningJob:1")])

    reply = rest.http.get(f"v1/{PARENT}/tuningJobs/1")

    assert reply.status == 429
    assert reply.json["error"]["message"].startswith(
        "Quota exceeded for quota metric 'aiplatform.googleapis.com/resource_management_requests_per_minute'")
    assert reply.json["error"]["details"] == quota_details(
        "RATE_LIMIT_EXCEEDED", "aiplatform.googleapis.com/resource_management_requests_per_minute",
        "ResourceManagementRequestsPerMinutePerProjectPerRegion",
        "Resource management (CRUD) requests per minute per region", 600, region="us-central1")


def test_a_cancelling_job_may_be_cancelled_again_a_cancelled_one_not(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]
    rest.local.tuning.cancel_tuning_job(name=name)

    again_while_cancelling = rest.http.post(f"v1/{name}:cancel")
    rest.local.advance(CANCEL_SECONDS)
    again_once_cancelled = rest.http.post(f"v1/{name}:cancel")

    assert (again_while_cancelling.status, again_while_cancelling.json) == (200, {})
    assert rest.http.get(f"v1/{name}").json["state"] == "JOB_STATE_CANCELLED"
    assert (again_once_cancelled.status, again_once_cancelled.json["error"]["status"]) == (400, "FAILED_PRECONDITION")
    assert "is in state JOB_STATE_CANCELLED and can no longer be cancelled" in (
        again_once_cancelled.json["error"]["message"])


def test_an_endpoint_id_being_created_already_is_409(rest: RestEmulator) -> None:
    path = f"v1/{PARENT}/endpoints?endpointId=serving"
    assert rest.http.post(path, {"displayName": "serving"}).status == 200

    reply = rest.http.post(path, {"displayName": "serving"})

    assert (reply.status, reply.json["error"]["status"]) == (409, "ALREADY_EXISTS")


def test_injected_faults_reach_rest_calls_too(start_rest: StartRest) -> None:
    rest = start_rest(quota=5, faults=[Fault.parse("unavailable:CreateTuningJob:1")])

    failed = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY)
    retried = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY)

    assert (failed.status, failed.json["error"]["status"]) == (503, "UNAVAILABLE")
    assert retried.status == 200


def test_x_server_timeout_bounds_a_call_that_hangs(start_rest: StartRest) -> None:
    rest = start_rest(faults=[Fault.parse("unavailable:ListTuningJobs:1:hang")])

    reply = rest.http.get(f"v1/{PARENT}/tuningJobs", headers={"X-Server-Timeout": "0.5"})

    assert (reply.status, reply.json["error"]["status"]) == (504, "DEADLINE_EXCEEDED")


def test_a_chunked_body_is_read_like_any_other(rest: RestEmulator) -> None:
    body = json.dumps(DOCUMENTED_BODY).encode("utf-8")
    connection = http.client.HTTPConnection(urlsplit(rest.url).netloc, timeout=10)
    try:
        connection.request("POST", f"/v1/{PARENT}/tuningJobs", body=iter([body[:40], body[40:]]), encode_chunked=True)
        response = connection.getresponse()
        job = json.loads(response.read())
    finally:
        connection.close()

    assert (response.status, job["baseModel"]) == (200, "gemini-3.5-flash")


def test_a_malformed_chunked_body_is_refused_and_the_connection_closed(rest: RestEmulator) -> None:
    with socket.create_connection(("127.0.0.1", urlsplit(rest.url).port), timeout=10) as raw:
        raw.sendall(f"POST /v1/{PARENT}/tuningJobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\n".encode("ascii"))
        answer = b"".join(iter(lambda: raw.recv(4096), b""))  # ends when the server closes

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["error"]["message"] == "The chunked request body is malformed."


@pytest.fixture
def rich_error_grpc_server() -> Iterator[str]:
    """A gRPC server whose CreateTuningJob answers RESOURCE_EXHAUSTED with an ErrorInfo detail."""
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="RATE_LIMIT_EXCEEDED", domain="aiplatform.googleapis.com"))
    status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="Quota exceeded.", details=[detail])

    def create(request: bytes, context: grpc.ServicerContext) -> bytes:
        context.abort_with_status(rpc_status.to_status(status))
        raise AssertionError("abort_with_status returns only by raising")

    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(TUNING_SERVICE, {"CreateTuningJob": grpc.unary_unary_rpc_method_handler(create)}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None).wait()


def test_error_details_of_the_grpc_status_are_in_the_json(rich_error_grpc_server: str) -> None:
    rest = build_rest_server(rich_error_grpc_server)
    rest.start()
    try:
        reply = HttpClient(rest.url).post(f"v1/{PARENT}/tuningJobs", job_body())
    finally:
        rest.stop()

    assert reply.status == 429
    assert reply.json == {
        "error": {
            "code": 429,
            "message": "Quota exceeded.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "aiplatform.googleapis.com",
                }
            ],
        }
    }


@pytest.mark.parametrize(
    ("code", "http"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.FAILED_PRECONDITION, 400),
        (grpc.StatusCode.OUT_OF_RANGE, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.CANCELLED, 499),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.DATA_LOSS, 500),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
    ],
)
def test_grpc_codes_map_to_the_http_statuses_of_aip_193(code: grpc.StatusCode, http: int) -> None:
    assert http_status(code.value[0]) == http


def test_credentials_are_accepted_and_never_logged(rest: RestEmulator, caplog: pytest.LogCaptureFixture) -> None:
    secrets = {"Authorization": "Bearer ya29.secret-token", "X-Goog-Api-Key": "secret-api-key"}

    with caplog.at_level(logging.DEBUG, logger="emulator"):
        created = rest.http.post(f"v1/{PARENT}/tuningJobs?access_token=secret-query-token", DOCUMENTED_BODY,
                                 headers=secrets)
        missing = rest.http.get(f"v1/{PARENT}/tuningJobs/999?key=secret-query-key", headers=secrets)

    assert (created.status, missing.status) == (200, 404)
    assert f"POST /v1/{PARENT}/tuningJobs -> 200" in caplog.text
    assert "secret" not in caplog.text
