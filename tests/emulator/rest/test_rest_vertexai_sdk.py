"""The Vertex AI SDK's tuning module (`vertexai.tuning.sft`), used as a user would, over REST.

Only the endpoint and the credentials differ from a user's setup: the SDK is pointed at the
emulator's REST surface with anonymous credentials. `job.refresh()` looks up the job's
experiment (MetadataService.GetContext) once the job runs; the emulator serves it.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import vertexai
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform import initializer
from vertexai.tuning import sft

from tests.emulator.builders import NUMBERED_PARENT, PROJECT
from tests.emulator.conftest import JOB_SECONDS
from tests.emulator.rest.conftest import RestEmulator, StartRest

# The SDK warns that vertexai.tuning is deprecated in favour of google-genai; the warning is Google's.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture
def sdk_emulator(start_rest: StartRest) -> Iterator[RestEmulator]:
    """An emulator the SDK's global configuration points at; the configuration is reset afterwards."""
    rest = start_rest(quota=5)
    config = vars(initializer.global_config)
    before = dict(config)
    vertexai.init(project=PROJECT, location="us-central1", api_endpoint=rest.url, api_transport="rest",
                  credentials=AnonymousCredentials())
    yield rest
    config.clear()
    config.update(before)


def test_refresh_of_a_running_job_finds_its_experiment(sdk_emulator: RestEmulator) -> None:
    job = sft.train(source_model="gemini-2.5-flash", train_dataset="gs://demo-bucket/train.jsonl", epochs=2)
    assert job.state.name == "JOB_STATE_PENDING"  # the SDK speaks v1beta1: its own JobState
    assert job.experiment is None

    sdk_emulator.local.advance(JOB_SECONDS / 2)
    job.refresh()

    assert job.state.name == "JOB_STATE_RUNNING"
    assert job.experiment.resource_name.startswith(f"{NUMBERED_PARENT}/metadataStores/default/contexts/")
    assert job.experiment.name == job._gca_resource.experiment.rsplit("/", 1)[1]


def test_refresh_follows_the_job_to_its_tuned_model(sdk_emulator: RestEmulator) -> None:
    job = sft.train(source_model="gemini-2.5-flash", train_dataset="gs://demo-bucket/train.jsonl", epochs=2)

    sdk_emulator.local.advance(JOB_SECONDS)
    job.refresh()

    assert job.has_succeeded
    assert job.tuned_model_name.startswith(f"{NUMBERED_PARENT}/models/")
    assert job.tuned_model_endpoint_name.startswith(f"{NUMBERED_PARENT}/endpoints/")
