"""Base models: today's Gemini 2.x models with their adapter sizes, and retired models with --refuse-retired-models."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import JobState, TuningJob

from tests.emulator.builders import PARENT, AdapterSize, hyper_parameters, tuning_job
from tests.emulator.conftest import LocalEmulator, StartLocal
from tests.emulator.rest.http import HttpClient
from tests.support.emulator_process import EmulatorProcess

# The models Google documents for tuning today and their adapter sizes, written out here
# rather than read from emulator/base_models.py, so that a wrong table there fails.
CURRENT_MODELS = {
    "gemini-2.5-pro": {1, 2, 4, 8},
    "gemini-2.5-flash": {1, 2, 4, 8, 16},
    "gemini-2.5-flash-lite": {1, 2, 4, 8, 16},
    "gemini-2.0-flash-001": {1, 2, 4, 8},
    "gemini-2.0-flash-lite-001": {1, 2, 4, 8},
}
RETIRED_MODELS = ["gemini-1.5-pro-002", "gemini-1.5-flash-002", "gemini-1.0-pro-002"]
ADAPTER_SIZES = {1: AdapterSize.ADAPTER_SIZE_ONE, 2: AdapterSize.ADAPTER_SIZE_TWO, 4: AdapterSize.ADAPTER_SIZE_FOUR,
                 8: AdapterSize.ADAPTER_SIZE_EIGHT, 16: AdapterSize.ADAPTER_SIZE_SIXTEEN,
                 32: AdapterSize.ADAPTER_SIZE_THIRTY_TWO}
RETIRED_MESSAGE = (
    "Base model '{model}' has been retired and is not available to this project. Tune one of: "
    "gemini-2.0-flash-001, gemini-2.0-flash-lite-001, gemini-2.5-flash, gemini-2.5-flash-lite, gemini-2.5-pro."
)


def job_for(base_model: str, adapter_size: AdapterSize = AdapterSize.ADAPTER_SIZE_UNSPECIFIED) -> TuningJob:
    return tuning_job(base_model=base_model, supervised_tuning_spec=hyper_parameters(adapter_size=adapter_size))


@pytest.mark.parametrize(
    ("base_model", "size"),
    [(model, size) for model in CURRENT_MODELS for size in ADAPTER_SIZES],
)
def test_todays_models_accept_exactly_their_documented_adapter_sizes(
    local: LocalEmulator, base_model: str, size: int
) -> None:
    job = job_for(base_model, ADAPTER_SIZES[size])

    if size in CURRENT_MODELS[base_model]:
        created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)
        assert created.supervised_tuning_spec.hyper_parameters.adapter_size == ADAPTER_SIZES[size]
        assert created.state == JobState.JOB_STATE_PENDING
    else:
        with pytest.raises(exceptions.InvalidArgument, match="The adapter size is not supported for this base model."):
            local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)


@pytest.mark.parametrize(
    "base_model",
    ["gemini-2.5-flash", "publishers/google/models/gemini-2.5-flash",
     f"{PARENT}/publishers/google/models/gemini-2.5-flash"],
)
def test_a_current_model_is_accepted_by_id_or_publisher_model_name_without_an_adapter_size(
    start_local: StartLocal, base_model: str
) -> None:
    local = start_local(refuse_retired_models=True)

    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model))

    assert created.base_model == base_model


@pytest.mark.parametrize("base_model", [*RETIRED_MODELS, "publishers/google/models/gemini-1.5-flash-002"])
def test_retired_models_are_refused_naming_the_model_and_todays_models(start_local: StartLocal, base_model: str) -> None:
    local = start_local(refuse_retired_models=True)

    with pytest.raises(exceptions.NotFound) as raised:
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model))

    assert raised.value.message == RETIRED_MESSAGE.format(model=base_model)
    assert list(local.tuning.list_tuning_jobs(parent=PARENT)) == []


@pytest.mark.parametrize("base_model", RETIRED_MODELS)
def test_retired_models_are_accepted_by_default(local: LocalEmulator, base_model: str) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model))

    assert created.state == JobState.JOB_STATE_PENDING


def test_the_command_line_flag_refuses_retired_models_over_grpc_and_rest(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", refuse_retired_models=True, rest_port=0, quota=2) as emulator:
        tuning = emulator.tuning_client()
        http = HttpClient(emulator.rest_url)

        with pytest.raises(exceptions.NotFound, match="'gemini-1.5-flash-002' has been retired"):
            tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-1.5-flash-002"))
        refused_over_rest = http.post(f"v1/{PARENT}/tuningJobs", {
            "baseModel": "gemini-1.5-flash-002", "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}})
        created = tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-flash"))

    assert (refused_over_rest.status, refused_over_rest.json["error"]["status"]) == (404, "NOT_FOUND")
    assert refused_over_rest.json["error"]["message"] == RETIRED_MESSAGE.format(model="gemini-1.5-flash-002")
    assert created.base_model == "gemini-2.5-flash"
