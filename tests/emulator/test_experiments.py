"""The experiment a running tuning job names, served by MetadataService.GetContext."""

from __future__ import annotations

from typing import Iterator

import grpc
import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import MetadataServiceClient
from google.cloud.aiplatform_v1.services.metadata_service.transports import MetadataServiceGrpcTransport

from tests.emulator.builders import NUMBERED_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator


@pytest.fixture
def metadata(local: LocalEmulator) -> Iterator[MetadataServiceClient]:
    channel = grpc.insecure_channel(local.address)
    yield MetadataServiceClient(transport=MetadataServiceGrpcTransport(channel=channel))
    channel.close()


def test_a_running_jobs_experiment_is_an_experiment_context(
    local: LocalEmulator, metadata: MetadataServiceClient
) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert created.experiment == ""
    local.advance(JOB_SECONDS / 2)
    job = local.tuning.get_tuning_job(name=created.name)

    context = metadata.get_context(name=job.experiment)

    assert context.name == job.experiment
    assert context.name.startswith(f"{NUMBERED_PARENT}/metadataStores/default/contexts/")
    assert (context.schema_title, context.schema_version) == ("system.Experiment", "0.0.1")
    assert dict(context.metadata) == {"experiment_deleted": False}
    assert context.create_time == job.start_time


def test_the_experiment_outlives_the_job_and_is_found_by_project_id(
    local: LocalEmulator, metadata: MetadataServiceClient
) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(JOB_SECONDS)
    experiment = local.tuning.get_tuning_job(name=created.name).experiment

    context = metadata.get_context(name=experiment.replace(NUMBERED_PARENT, PARENT))

    assert context.name == experiment


@pytest.mark.parametrize(
    ("name", "error"),
    [
        (f"{PARENT}/metadataStores/default/contexts/tuning-experiment-1", exceptions.NotFound),
        (f"{PARENT}/metadataStores/default/artifacts/a", exceptions.InvalidArgument),
    ],
)
def test_other_contexts_are_not_found(metadata: MetadataServiceClient, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        metadata.get_context(name=name)
