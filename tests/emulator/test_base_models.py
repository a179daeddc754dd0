"""Base models: today's Gemini 3.x models with their rules, and retirement judged by a day (--today)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import EncryptionSpec, JobState, TuningJob

from tests.emulator.builders import OTHER_REGION_PARENT, PARENT, PROJECT_NUMBERS, PROJECT, AdapterSize, hyper_parameters, tuning_job
from tests.emulator.conftest import LocalEmulator, StartLocal
from tests.emulator.rest.http import HttpClient
from tests.support.emulator_process import EmulatorProcess

# The models Google documents for tuning and their adapter sizes (None: not published),
# written out here rather than read from emulator/base_models.py, so that a wrong table there fails.
MODELS = {
    "gemini-3.5-flash": {1, 2, 4, 8, 16},
    "gemini-3.5-flash-lite": None,
    "gemini-3.1-flash-lite": {1, 2, 4, 8, 16},
    "gemini-2.5-pro": {1, 2, 4, 8},
    "gemini-2.5-flash": {1, 2, 4, 8, 16},
    "gemini-2.5-flash-lite": {1, 2, 4, 8, 16},
    "gemini-2.0-flash-001": {1, 2, 4, 8},
    "gemini-2.0-flash-lite-001": {1, 2, 4, 8},
    "gemini-1.5-pro-002": {1, 4},
    "gemini-1.5-flash-002": {1, 4, 8, 16},
    "gemini-1.0-pro-002": set(),
}
# The last day each is available (Google's model-versions page); None: retired, date not found.
RETIRES = {
    "gemini-3.5-flash": date(2027, 5, 19), "gemini-3.5-flash-lite": date(2027, 7, 21),
    "gemini-3.1-flash-lite": date(2027, 5, 7), "gemini-2.5-pro": date(2026, 10, 20),
    "gemini-2.5-flash": date(2026, 10, 20), "gemini-2.5-flash-lite": date(2026, 10, 20),
    "gemini-2.0-flash-001": date(2026, 2, 5), "gemini-2.0-flash-lite-001": date(2026, 2, 25),
    "gemini-1.5-pro-002": date(2025, 9, 24), "gemini-1.5-flash-002": date(2025, 9, 24), "gemini-1.0-pro-002": None,
}
GEMINI_3_ONLY_IN = ("us-central1", "europe-west4")
ADAPTER_SIZES = {1: AdapterSize.ADAPTER_SIZE_ONE, 2: AdapterSize.ADAPTER_SIZE_TWO, 4: AdapterSize.ADAPTER_SIZE_FOUR,
                 8: AdapterSize.ADAPTER_SIZE_EIGHT, 16: AdapterSize.ADAPTER_SIZE_SIXTEEN,
                 32: AdapterSize.ADAPTER_SIZE_THIRTY_TWO}
NOT_FOUND = ("Publisher Model `projects/{number}/locations/us-central1/publishers/google/models/{model}` was not "
             "found or your project does not have access to it. Please ensure you are using a valid model version. "
             "For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions")
KEY = "projects/demo-project/locations/{region}/keyRings/r/cryptoKeys/k"


def job_for(base_model: str, adapter_size: AdapterSize = AdapterSize.ADAPTER_SIZE_UNSPECIFIED, **fields) -> TuningJob:
    return tuning_job(base_model=base_model, supervised_tuning_spec=hyper_parameters(adapter_size=adapter_size),
                      **fields)


def not_found(model: str) -> str:
    return NOT_FOUND.format(number=PROJECT_NUMBERS[PROJECT], model=model)


@pytest.mark.parametrize(("base_model", "size"), [(model, size) for model in MODELS for size in ADAPTER_SIZES])
def test_each_model_accepts_exactly_its_documented_adapter_sizes(local: LocalEmulator, base_model: str, size: int) -> None:
    job = job_for(base_model, ADAPTER_SIZES[size])

    if MODELS[base_model] is None or size in MODELS[base_model]:
        created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)
        assert created.supervised_tuning_spec.hyper_parameters.adapter_size == ADAPTER_SIZES[size]
        assert created.state == JobState.JOB_STATE_PENDING
    else:
        with pytest.raises(exceptions.InvalidArgument, match="The adapter size is not supported for this base model."):
            local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)


@pytest.mark.parametrize("base_model", ["gemini-3.5-flash", "gemini-3.1-flash-lite"])
def test_gemini_3_tunes_only_in_us_central1_and_europe_west4(local: LocalEmulator, base_model: str) -> None:
    with pytest.raises(exceptions.InvalidArgument) as raised:
        local.tuning.create_tuning_job(parent="projects/demo-project/locations/asia-east1", tuning_job=job_for(base_model))
    assert raised.value.message == (f"Base model '{base_model}' cannot be tuned in location 'asia-east1'. "
                                    "Supported locations for it: europe-west4, us-central1.")
    for parent in (PARENT, OTHER_REGION_PARENT):
        assert local.tuning.create_tuning_job(parent=parent, tuning_job=job_for(base_model)).state == JobState.JOB_STATE_PENDING
    # Where Google publishes no regions (gemini-3.5-flash-lite), every tuning region is accepted.
    lite = local.tuning.create_tuning_job(parent="projects/demo-project/locations/asia-east1",
                                          tuning_job=job_for("gemini-3.5-flash-lite"))
    assert lite.state == JobState.JOB_STATE_PENDING


@pytest.mark.parametrize("base_model", ["gemini-3.5-flash", "gemini-3.1-flash-lite"])
def test_gemini_3_takes_no_customer_managed_key(local: LocalEmulator, base_model: str) -> None:
    keyed = job_for(base_model, encryption_spec=EncryptionSpec(kms_key_name=KEY.format(region="us-central1")))

    with pytest.raises(exceptions.InvalidArgument) as raised:
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=keyed)

    assert raised.value.message == (f"Customer-managed encryption keys (tuning_job.encryption_spec) are not "
                                    f"supported for base model '{base_model}'.")
    for control in ("gemini-3.5-flash-lite", "gemini-2.5-flash"):
        keyed.base_model = control
        assert local.tuning.create_tuning_job(parent=PARENT, tuning_job=keyed).encryption_spec.kms_key_name


@pytest.mark.parametrize(
    "base_model",
    ["gemini-3.5-flash", "publishers/google/models/gemini-3.5-flash",
     f"{PARENT}/publishers/google/models/gemini-3.5-flash"],
)
def test_a_current_model_is_accepted_by_id_or_publisher_model_name_without_an_adapter_size(
    start_local: StartLocal, base_model: str
) -> None:
    local = start_local(today=date(2026, 12, 4))

    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model))

    assert created.base_model == base_model


@pytest.mark.parametrize("base_model", [m for m in MODELS if RETIRES[m] is None or RETIRES[m] < date(2026, 12, 4)])
def test_from_today_on_retired_models_are_refused_as_vertex_refuses_them(start_local: StartLocal, base_model: str) -> None:
    local = start_local(today=date(2026, 12, 4))

    with pytest.raises(exceptions.NotFound) as raised:
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model))

    assert raised.value.message == not_found(base_model)
    assert list(local.tuning.list_tuning_jobs(parent=PARENT)) == []


def test_a_model_is_available_on_its_retirement_date_and_refused_the_day_after(start_local: StartLocal, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    start_local(today=date(2026, 9, 1), state_file=state, quota=5).tuning.create_tuning_job(
        parent=PARENT, tuning_job=job_for("gemini-2.5-flash"))
    last_day = start_local(today=date(2026, 10, 20), state_file=state, quota=5)
    assert last_day.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-flash")).name
    day_after = start_local(today=date(2026, 10, 21), state_file=state, quota=5)
    with pytest.raises(exceptions.NotFound):
        day_after.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-flash"))


def test_in_the_month_before_retirement_only_a_project_that_tuned_the_model_before_may_tune_it(
    start_local: StartLocal, tmp_path: Path
) -> None:
    # gemini-2.5-flash retires on 2026-10-20: new access for tuning is blocked from 2026-09-20.
    before = start_local(today=date(2026, 9, 19), quota=5, state_file=tmp_path / "state.json")
    before.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-flash"))
    blocked = start_local(today=date(2026, 9, 20), quota=5, state_file=tmp_path / "state.json")

    again = blocked.tuning.create_tuning_job(parent=OTHER_REGION_PARENT, tuning_job=job_for("gemini-2.5-flash"))
    with pytest.raises(exceptions.NotFound) as raised:
        blocked.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-pro"))

    assert again.state == JobState.JOB_STATE_PENDING
    assert raised.value.message == not_found("gemini-2.5-pro")


def test_without_a_day_every_model_is_accepted(start_local: StartLocal) -> None:
    # As for a project that has tuned them all: old job files still run on the emulator.
    local = start_local(quota=len(MODELS))
    for base_model in MODELS:
        assert local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for(base_model)).state == JobState.JOB_STATE_PENDING


def test_refuse_retired_models_judges_by_the_clocks_date(start_local: StartLocal) -> None:
    from emulator.clock import ManualClock

    local = start_local(refuse_retired_models=True, clock=ManualClock(datetime(2026, 12, 4, tzinfo=UTC)), quota=2)

    with pytest.raises(exceptions.NotFound):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-1.5-flash-002"))
    assert local.tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-3.5-flash")).base_model


def test_the_today_flag_refuses_retired_models_over_grpc_and_rest(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.json", today="2026-12-04", rest_port=0, quota=2,
                         project_numbers=PROJECT_NUMBERS) as emulator:
        tuning = emulator.tuning_client()
        http = HttpClient(emulator.rest_url)

        with pytest.raises(exceptions.NotFound) as raised:
            tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-2.5-flash"))
        refused_over_rest = http.post(f"v1/{PARENT}/tuningJobs", {
            "baseModel": "gemini-2.5-flash", "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}})
        created = tuning.create_tuning_job(parent=PARENT, tuning_job=job_for("gemini-3.5-flash"))

    assert raised.value.message == not_found("gemini-2.5-flash")
    assert (refused_over_rest.status, refused_over_rest.json["error"]["status"]) == (404, "NOT_FOUND")
    assert refused_over_rest.json["error"]["message"] == not_found("gemini-2.5-flash")
    assert created.base_model == "gemini-3.5-flash"
