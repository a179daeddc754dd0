"""Continuous tuning: a job that continues from a tuned model (`pre_tuned_model`) and what Vertex refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    EncryptionSpec,
    JobState,
    PreTunedModel,
    SupervisedHyperParameters,
    SupervisedTuningSpec,
    TuningJob,
)

from emulator.clock import ManualClock
from tests.emulator.builders import NUMBERED_PARENT, OTHER_REGION_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator, StartLocal
from tests.emulator.scenarios import finish, undeploy

AdapterSize = SupervisedHyperParameters.AdapterSize
AFTER_CUTOFF = datetime(2026, 3, 1, tzinfo=UTC)
"""Continuous tuning takes models tuned on or after 2025-07-11."""
KEY = "projects/kms-project/locations/us-central1/keyRings/tuning/cryptoKeys/jobs"


@pytest.fixture
def local(start_local: StartLocal) -> LocalEmulator:
    return start_local(quota=10, clock=ManualClock(AFTER_CUTOFF))


def first_job(**fields: object) -> TuningJob:
    """A job on a model that offers continuous tuning; 2 epochs, so 2 checkpoints."""
    fields.setdefault("base_model", "gemini-2.5-flash")
    fields.setdefault("tuned_model_display_name", "support-triage")
    fields.setdefault("supervised_tuning_spec", SupervisedTuningSpec(
        training_dataset_uri="gs://demo-bucket/train.jsonl",
        hyper_parameters=SupervisedHyperParameters(epoch_count=2)))
    return tuning_job(**fields)


def continuing(model: str, checkpoint_id: str = "", **fields: object) -> TuningJob:
    """A job continuing from `model`: no base model, the tuned model display name left to Vertex."""
    fields.setdefault("tuned_model_display_name", "")
    job = first_job(**fields)
    job.pre_tuned_model = PreTunedModel(tuned_model_name=model, checkpoint_id=checkpoint_id)
    return job


def run(local: LocalEmulator, job: TuningJob, parent: str = PARENT) -> TuningJob:
    """Create `job` and let it train to its end."""
    created = local.tuning.create_tuning_job(parent=parent, tuning_job=job)
    local.advance(JOB_SECONDS)
    return local.tuning.get_tuning_job(name=created.name)


def test_a_continued_job_reports_the_base_model_of_its_source(local: LocalEmulator) -> None:
    source = run(local, first_job())

    created = local.tuning.create_tuning_job(
        parent=PARENT, tuning_job=continuing(source.tuned_model.model, checkpoint_id="1"))

    assert created.base_model == ""
    assert created.pre_tuned_model.tuned_model_name == source.tuned_model.model
    assert created.pre_tuned_model.checkpoint_id == "1"
    assert created.pre_tuned_model.base_model == "gemini-2.5-flash"
    assert local.tuning.get_tuning_job(name=created.name) == created


def test_a_continued_job_gives_the_next_version_of_the_same_model(local: LocalEmulator) -> None:
    source = run(local, first_job())
    model = source.tuned_model.model.removesuffix("@1")

    continued = run(local, continuing(source.tuned_model.model))

    assert continued.state == JobState.JOB_STATE_SUCCEEDED
    assert continued.tuned_model.model == f"{model}@2"
    assert continued.tuned_model.endpoint != source.tuned_model.endpoint
    second = local.models.get_model(name=f"{model}@2")
    assert (second.version_id, second.display_name) == ("2", "support-triage")
    assert local.models.get_model(name=model).version_id == "2", "the newest version is the default"
    assert local.models.get_model(name=f"{model}@default").version_id == "2"
    assert local.models.get_model(name=f"{model}@1").version_aliases == []
    assert [m.version_id for m in local.models.list_model_versions(name=model)] == ["1", "2"]
    assert [m.version_id for m in local.models.list_models(parent=PARENT) if m.name == model] == ["2"]


def test_continuing_the_newest_version_by_the_model_name_counts_on(local: LocalEmulator) -> None:
    source = run(local, first_job())
    model = source.tuned_model.model.removesuffix("@1")
    run(local, continuing(f"{model}@1"))

    third = run(local, continuing(model))  # no version: the default one, @2

    assert third.tuned_model.model == f"{model}@3"
    assert third.pre_tuned_model.base_model == "gemini-2.5-flash", "the base model of the first job in the chain"


def test_a_new_display_name_gives_a_new_model_at_version_1(local: LocalEmulator) -> None:
    source = run(local, first_job())

    continued = run(local, continuing(source.tuned_model.model, tuned_model_display_name="support-triage-v2"))

    assert continued.tuned_model.model.endswith("@1")
    assert continued.tuned_model.model != source.tuned_model.model
    assert local.models.get_model(name=continued.tuned_model.model).display_name == "support-triage-v2"
    assert [m.version_id for m in local.models.list_model_versions(
        name=source.tuned_model.model.removesuffix("@1"))] == ["1"]


def test_the_same_display_name_given_explicitly_stays_on_the_same_model(local: LocalEmulator) -> None:
    source = run(local, first_job())

    continued = run(local, continuing(source.tuned_model.model, tuned_model_display_name="support-triage"))

    assert continued.tuned_model.model == source.tuned_model.model.replace("@1", "@2")


def test_a_continued_job_follows_the_rules_of_its_sources_base_model(local: LocalEmulator) -> None:
    source = run(local, first_job(base_model="gemini-2.5-pro"))
    job = continuing(source.tuned_model.model)
    job.supervised_tuning_spec.hyper_parameters.adapter_size = AdapterSize.ADAPTER_SIZE_SIXTEEN

    with pytest.raises(exceptions.InvalidArgument, match="adapter size is not supported"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)


def test_the_customer_managed_key_of_the_source_is_accepted(local: LocalEmulator) -> None:
    source = run(local, first_job(encryption_spec=EncryptionSpec(kms_key_name=KEY)))

    continued = run(local, continuing(source.tuned_model.model, encryption_spec=EncryptionSpec(kms_key_name=KEY)))

    assert local.models.get_model(name=continued.tuned_model.model).encryption_spec.kms_key_name == KEY


@pytest.mark.parametrize(
    ("source_key", "job_key"),
    [(KEY, ""), ("", KEY), (KEY, KEY.replace("cryptoKeys/jobs", "cryptoKeys/other"))],
)
def test_a_different_customer_managed_key_than_the_sources_is_refused(
    local: LocalEmulator, source_key: str, job_key: str
) -> None:
    keyed = {"encryption_spec": EncryptionSpec(kms_key_name=source_key)} if source_key else {}
    source = run(local, first_job(**keyed))
    job = continuing(source.tuned_model.model)
    if job_key:
        job.encryption_spec = EncryptionSpec(kms_key_name=job_key)

    with pytest.raises(exceptions.InvalidArgument, match="must be the customer-managed key of the pre-tuned model"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)


@pytest.mark.parametrize(
    ("reference", "checkpoint_id", "error", "message"),
    [
        ("{model}@7", "", exceptions.NotFound, "has no version '7'"),
        ("{parent}/models/404", "", exceptions.NotFound, "does not exist"),
        ("{model}@1", "9", exceptions.NotFound, r"has no checkpoint '9'; its checkpoints are 1, 2"),
        ("{model}@1/x", "", exceptions.InvalidArgument, "must look like"),
    ],
)
def test_an_unknown_source_is_refused(
    local: LocalEmulator, reference: str, checkpoint_id: str, error: type[Exception], message: str
) -> None:
    model = run(local, first_job()).tuned_model.model.removesuffix("@1")

    with pytest.raises(error, match=message):
        local.tuning.create_tuning_job(
            parent=PARENT, tuning_job=continuing(reference.format(model=model, parent=PARENT), checkpoint_id))

    assert len(list(local.tuning.list_tuning_jobs(parent=PARENT))) == 1


def test_a_source_that_has_not_succeeded_yet_has_no_model_to_continue(local: LocalEmulator) -> None:
    source = run(local, first_job())
    pending = local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(source.tuned_model.model))
    model = source.tuned_model.model.removesuffix("@1")

    with pytest.raises(exceptions.NotFound, match="has no version '2'"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(f"{model}@2"))

    assert local.tuning.get_tuning_job(name=pending.name).state == JobState.JOB_STATE_PENDING


def test_a_source_in_another_region_is_refused(local: LocalEmulator) -> None:
    source = run(local, first_job(), parent=OTHER_REGION_PARENT)

    with pytest.raises(exceptions.InvalidArgument, match="not in the job's project and region"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(source.tuned_model.model))


def test_a_source_named_by_project_id_is_the_same_model(local: LocalEmulator) -> None:
    source = run(local, first_job())
    by_id = source.tuned_model.model.replace(NUMBERED_PARENT, PARENT)

    continued = local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(by_id))

    assert continued.pre_tuned_model.tuned_model_name == source.tuned_model.model


def test_a_source_tuned_from_a_model_without_continuous_tuning_is_refused(local: LocalEmulator) -> None:
    source = run(local, first_job(base_model="gemini-2.0-flash-001"))

    with pytest.raises(exceptions.InvalidArgument, match="was tuned from gemini-2.0-flash-001, which does not support"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(source.tuned_model.model))


def test_a_model_tuned_before_2025_07_11_cannot_be_continued(start_local: StartLocal) -> None:
    local = start_local(quota=10, clock=ManualClock(datetime(2025, 7, 10, 12, tzinfo=UTC)))
    source = run(local, first_job())

    with pytest.raises(exceptions.InvalidArgument, match="only models tuned on or after 2025-07-11"):
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=continuing(source.tuned_model.model))


def test_deleting_a_model_takes_every_version_once_none_is_served(local: LocalEmulator) -> None:
    one_endpoint = SupervisedTuningSpec(training_dataset_uri="gs://demo-bucket/train.jsonl",
                                        export_last_checkpoint_only=True)
    source = run(local, first_job(supervised_tuning_spec=one_endpoint))
    continued = run(local, continuing(source.tuned_model.model, supervised_tuning_spec=one_endpoint))
    model = source.tuned_model.model.removesuffix("@1")

    with pytest.raises(exceptions.FailedPrecondition, match="is deployed or being deployed"):
        finish(local.models.delete_model(name=model))
    for job in (source, continued):
        [deployed] = local.endpoints.get_endpoint(name=job.tuned_model.endpoint).deployed_models
        undeploy(local, job.tuned_model.endpoint, deployed.id)
    finish(local.models.delete_model(name=model))

    for version in ("1", "2"):
        with pytest.raises(exceptions.NotFound, match="does not exist"):
            local.models.get_model(name=f"{model}@{version}")
    with pytest.raises(exceptions.NotFound):
        list(local.models.list_model_versions(name=model))
