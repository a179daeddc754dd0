"""The gRPC glue: answers, API errors and emulator bugs become statuses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

import grpc
import pytest
from google.cloud.aiplatform_v1 import GetTuningJobRequest, TuningJob

from emulator import rpc
from emulator.errors import ApiError, FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted

Behaviour = Callable[[GetTuningJobRequest], TuningJob]


@pytest.fixture
def call() -> Iterator[Callable[[Behaviour], TuningJob]]:
    """Serve one behaviour as /test.Service/Get and call it."""
    servers: list[tuple[grpc.Server, grpc.Channel]] = []

    def serve_and_call(behaviour: Behaviour) -> TuningJob:
        server = grpc.server(ThreadPoolExecutor(max_workers=1))
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("test.Service", {
                "Get": rpc.unary_unary(behaviour, GetTuningJobRequest, TuningJob),
            }),)
        )
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        servers.append((server, channel))
        method = channel.unary_unary(
            "/test.Service/Get",
            request_serializer=GetTuningJobRequest.serialize,
            response_deserializer=TuningJob.deserialize,
        )
        return method(GetTuningJobRequest(name="jobs/1"), timeout=10)

    yield serve_and_call
    for server, channel in servers:
        channel.close()
        server.stop(grace=None).wait()


def test_the_answer_is_serialized(call: Callable[[Behaviour], TuningJob]) -> None:
    assert call(lambda request: TuningJob(name=request.name)) == TuningJob(name="jobs/1")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidArgument("bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFound("bad"), grpc.StatusCode.NOT_FOUND),
        (FailedPrecondition("bad"), grpc.StatusCode.FAILED_PRECONDITION),
        (ResourceExhausted("bad"), grpc.StatusCode.RESOURCE_EXHAUSTED),
    ],
)
def test_api_errors_become_their_status(
    call: Callable[[Behaviour], TuningJob], error: ApiError, code: grpc.StatusCode
) -> None:
    def fail(request: GetTuningJobRequest) -> TuningJob:
        raise error

    with pytest.raises(grpc.RpcError) as raised:
        call(fail)

    assert (raised.value.code(), raised.value.details()) == (code, "bad")


def test_a_bug_is_internal_and_logged(call: Callable[[Behaviour], TuningJob], caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: GetTuningJobRequest) -> TuningJob:
        raise KeyError("oops")

    with pytest.raises(grpc.RpcError) as raised:
        call(broken)

    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "oops" not in raised.value.details()
    assert "KeyError: 'oops'" in caplog.text
