"""google-genai, used exactly as a user would, against `python -m emulator --rest-port`.

Only the base URL and the credentials differ from a client for Vertex AI:
a static token (the emulator ignores it) instead of a Google sign-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from tests.emulator.builders import NUMBERED_PARENT, PROJECT, PROJECT_NUMBERS
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

# tunings.tune warns once that the SDK's tuning support is experimental; the warning is Google's, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")

LOCATION = "us-central1"
TRAINING = types.TuningDataset(gcs_uri="gs://demo-bucket/train.jsonl")


def genai_client(emulator: EmulatorProcess) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=Credentials(token="emulator"),
        http_options=types.HttpOptions(base_url=emulator.rest_url),
    )


def tuning_config(**fields: object) -> types.CreateTuningJobConfig:
    return types.CreateTuningJobConfig(
        validation_dataset=types.TuningValidationDataset(gcs_uri="gs://demo-bucket/validation.jsonl"),
        epoch_count=2,
        tuned_model_display_name="support-classifier",
        **fields,
    )


@pytest.fixture(scope="module")
def quick_jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """Jobs train for 2 s."""
    state = tmp_path_factory.mktemp("genai-quick") / "state.json"
    with EmulatorProcess(state, job_seconds=2.0, quota=1, rest_port=0, project_numbers=PROJECT_NUMBERS) as process:
        yield process


@pytest.fixture(scope="module")
def slow_jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """Jobs train for an hour, so they are still running when cancelled; three may run at once."""
    state = tmp_path_factory.mktemp("genai-slow") / "state.json"
    with EmulatorProcess(state, job_seconds=3600.0, quota=3, rest_port=0) as process:
        yield process


def test_a_tuned_job_is_got_listed_and_succeeds_with_a_model_and_endpoint(quick_jobs: EmulatorProcess) -> None:
    client = genai_client(quick_jobs)

    job = client.tunings.tune(
        base_model="gemini-3.5-flash",
        training_dataset=TRAINING,
        config=tuning_config(adapter_size=types.AdapterSize.ADAPTER_SIZE_FOUR),
    )

    assert job.name and job.name.startswith(f"{NUMBERED_PARENT}/tuningJobs/"), "named by project number"
    assert job.state == types.JobState.JOB_STATE_PENDING
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size == types.AdapterSize.ADAPTER_SIZE_FOUR
    assert client.tunings.get(name=job.name).tuned_model_display_name == "support-classifier"
    assert job.name in [listed.name for listed in client.tunings.list()]
    done = wait_for(lambda: client.tunings.get(name=job.name), lambda polled: polled.has_ended, timeout=30)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.tuned_model.model.startswith(f"{NUMBERED_PARENT}/models/")
    assert done.tuned_model.endpoint.startswith(f"{NUMBERED_PARENT}/endpoints/")
    served = quick_jobs.endpoint_client().get_endpoint(name=done.tuned_model.endpoint)
    assert [deployed.model for deployed in served.deployed_models] == [done.tuned_model.model.split("@")[0]]


def test_cancel_ends_a_running_job_as_cancelled(slow_jobs: EmulatorProcess) -> None:
    client = genai_client(slow_jobs)
    job = client.tunings.tune(base_model="gemini-3.1-flash-lite", training_dataset=TRAINING, config=tuning_config())

    client.tunings.cancel(name=job.name)

    # The emulator's default --cancel-seconds (3) keeps the job CANCELLING for a while, as on Vertex AI.
    assert client.tunings.get(name=job.name).state == types.JobState.JOB_STATE_CANCELLING
    cancelled = wait_for(lambda: client.tunings.get(name=job.name), lambda polled: polled.has_ended)
    assert cancelled.state == types.JobState.JOB_STATE_CANCELLED


def test_an_unsupported_adapter_size_raises_genais_client_error_with_vertexs_message(
    slow_jobs: EmulatorProcess,
) -> None:
    client = genai_client(slow_jobs)

    with pytest.raises(errors.ClientError) as raised:
        client.tunings.tune(
            base_model="gemini-3.5-flash",
            training_dataset=TRAINING,
            config=tuning_config(adapter_size=types.AdapterSize.ADAPTER_SIZE_THIRTY_TWO),
        )

    assert raised.value.code == 400
    assert raised.value.status == "INVALID_ARGUMENT"
    assert raised.value.message == "The adapter size is not supported for this base model."


def test_a_publisher_model_name_is_accepted_as_the_base_model(slow_jobs: EmulatorProcess) -> None:
    # google-genai sends base_model as given; Vertex takes the model id or its publisher model name.
    client = genai_client(slow_jobs)

    job = client.tunings.tune(
        base_model="publishers/google/models/gemini-3.1-flash-lite", training_dataset=TRAINING, config=tuning_config()
    )

    seen_over_grpc = slow_jobs.tuning_client().get_tuning_job(name=job.name)
    assert seen_over_grpc.base_model == "publishers/google/models/gemini-3.1-flash-lite"
