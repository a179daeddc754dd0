"""A tuning job's life: PENDING -> RUNNING -> SUCCEEDED, and what it leaves behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import EncryptionSpec, JobState, TuningJob

from tests.emulator.builders import NUMBERED_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

PENDING, RUNNING, SUCCEEDED = JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED


def finished_job(local: LocalEmulator, **fields: object) -> TuningJob:
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(**fields))
    local.advance(JOB_SECONDS)
    return local.tuning.get_tuning_job(name=job.name)


@pytest.mark.parametrize(
    ("share_of_duration", "state"),
    [(0, PENDING), (0.099, PENDING), (0.1, RUNNING), (0.5, RUNNING), (0.999, RUNNING), (1, SUCCEEDED), (5, SUCCEEDED)],
)
def test_state_follows_the_clock(local: LocalEmulator, share_of_duration: float, state: JobState) -> None:
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())

    local.advance(JOB_SECONDS * share_of_duration)

    assert local.tuning.get_tuning_job(name=job.name).state == state


def test_transitions_are_dated_when_they_were_due(local: LocalEmulator) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(JOB_SECONDS * 3)  # nobody looks until long after the job ended

    job = local.tuning.get_tuning_job(name=created.name)

    duration = timedelta(seconds=JOB_SECONDS)
    assert job.create_time == created.create_time
    assert job.start_time == created.create_time + duration / 10
    assert job.end_time == job.update_time == created.create_time + duration


def test_a_running_job_reports_data_stats_and_experiment(local: LocalEmulator) -> None:
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert "tuning_data_stats" not in job

    local.advance(JOB_SECONDS / 2)
    running = local.tuning.get_tuning_job(name=job.name)

    stats = running.tuning_data_stats.supervised_tuning_data_stats
    assert stats.tuning_dataset_example_count > 0
    assert stats.total_billable_token_count > stats.tuning_dataset_example_count
    assert stats.tuning_step_count > 0
    assert running.experiment.startswith(f"{NUMBERED_PARENT}/metadataStores/default/contexts/")
    assert "tuned_model" not in running


def test_a_succeeded_job_names_its_model_and_endpoint(local: LocalEmulator) -> None:
    job = finished_job(local, labels={"team": "nlp", "env": "prod"}, tuned_model_display_name="classifier-v2")

    assert job.state == SUCCEEDED
    assert job.tuned_model.model.startswith(f"{NUMBERED_PARENT}/models/") and job.tuned_model.model.endswith("@1")
    assert job.tuned_model.endpoint.startswith(f"{NUMBERED_PARENT}/endpoints/")


@pytest.mark.parametrize("suffix", ["@1", "", "@default"])
def test_the_tuned_model_exists_with_the_jobs_labels(local: LocalEmulator, suffix: str) -> None:
    job = finished_job(local, labels={"team": "nlp"}, tuned_model_display_name="classifier-v2")
    model_name = job.tuned_model.model.removesuffix("@1")

    model = local.models.get_model(name=model_name + suffix)

    assert model.name == model_name
    assert model.version_id == "1"
    assert model.display_name == "classifier-v2"
    assert dict(model.labels) == {"team": "nlp"}
    assert model.create_time == job.end_time


def test_the_endpoint_serves_the_tuned_model(local: LocalEmulator) -> None:
    job = finished_job(local, labels={"team": "nlp"})

    endpoint = local.endpoints.get_endpoint(name=job.tuned_model.endpoint)

    assert endpoint.name == job.tuned_model.endpoint
    assert dict(endpoint.labels) == {"team": "nlp"}
    [deployed] = endpoint.deployed_models
    assert deployed.model == job.tuned_model.model.removesuffix("@1")
    assert deployed.model_version_id == "1"
    assert dict(endpoint.traffic_split) == {deployed.id: 100}


def test_the_job_its_model_and_its_endpoint_keep_the_customer_managed_key(local: LocalEmulator) -> None:
    key = "projects/kms-project/locations/us-central1/keyRings/tuning/cryptoKeys/jobs"
    account = "tuner@demo-project.iam.gserviceaccount.com"

    # Gemini 3.5 Flash takes no customer-managed key; Google says nothing of -lite's.
    job = finished_job(local, base_model="gemini-3.5-flash-lite", encryption_spec=EncryptionSpec(kms_key_name=key),
                       service_account=account)

    assert (job.encryption_spec.kms_key_name, job.service_account) == (key, account)
    assert local.models.get_model(name=job.tuned_model.model).encryption_spec.kms_key_name == key
    assert local.endpoints.get_endpoint(name=job.tuned_model.endpoint).encryption_spec.kms_key_name == key


def test_without_a_key_nothing_claims_one(local: LocalEmulator) -> None:
    job = finished_job(local)

    assert "encryption_spec" not in job and job.service_account == ""
    assert "encryption_spec" not in local.models.get_model(name=job.tuned_model.model)
    assert "encryption_spec" not in local.endpoints.get_endpoint(name=job.tuned_model.endpoint)


def test_models_of_different_jobs_are_distinct(local: LocalEmulator) -> None:
    jobs = [local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()) for _ in range(2)]
    local.advance(JOB_SECONDS)

    finished = [local.tuning.get_tuning_job(name=job.name) for job in jobs]

    names = {job.tuned_model.model for job in finished} | {job.tuned_model.endpoint for job in finished}
    assert len(names) == 4


def test_an_unknown_model_version_is_not_found(local: LocalEmulator) -> None:
    job = finished_job(local)

    with pytest.raises(exceptions.NotFound, match="version '2'"):
        local.models.get_model(name=job.tuned_model.model.replace("@1", "@2"))


def test_the_model_appears_without_anyone_looking_at_the_job(local: LocalEmulator) -> None:
    local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    local.advance(JOB_SECONDS)

    # Only ListTuningJobs and GetModel are called: the state advances on any request.
    [job] = local.tuning.list_tuning_jobs(parent=PARENT)
    assert job.state == SUCCEEDED
    assert local.models.get_model(name=job.tuned_model.model).version_id == "1"


def test_a_real_job_runs_through_every_state(emulator: EmulatorProcess) -> None:
    tuning, models, endpoints = emulator.tuning_client(), emulator.model_client(), emulator.endpoint_client()

    job = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    assert job.state == PENDING

    def current() -> TuningJob:
        return tuning.get_tuning_job(name=job.name)

    running = wait_for(current, lambda job: job.state != PENDING, timeout=10)
    assert running.state == RUNNING
    done = wait_for(current, lambda job: job.state == SUCCEEDED, timeout=15)
    assert done.create_time < done.start_time < done.end_time
    assert models.get_model(name=done.tuned_model.model).display_name == "support-classifier"
    assert endpoints.get_endpoint(name=done.tuned_model.endpoint).deployed_models[0].model in done.tuned_model.model
