"""Every error code the emulator answers with, as the GAPIC client raises it."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    DeployedModel,
    EncryptionSpec,
    Endpoint,
    MutateDeployedModelRequest,
    PreTunedModel,
    RebaseTunedModelRequest,
    SupervisedTuningSpec,
    TuningJob,
)

from emulator.validation import ADAPTER_SIZE_NOT_SUPPORTED
from tests.emulator.builders import NUMBERED_PARENT, PARENT, AdapterSize, hyper_parameters, tuning_job
from tests.emulator.conftest import LocalEmulator

too_many_labels = {f"key-{index}": "value" for index in range(65)}
TRAINING_URI_ERROR = (
    "1.Field: tuning_job.supervised_tuning_spec.training_dataset_uri; "
    "Message: training_dataset_uri should be a GCS object of type JSONL."
)

KEYED_MODEL = "gemini-3.5-flash-lite"
"""Gemini 3.5 and 3.1 take no customer-managed key; Google says nothing of -lite's, so it is accepted."""


@pytest.mark.parametrize(
    ("parent", "job", "message"),
    [
        (PARENT, tuning_job(base_model="gemini-9-ultra"), "Base model 'gemini-9-ultra' is not supported"),
        (PARENT, TuningJob(supervised_tuning_spec=hyper_parameters()), "base_model is required"),
        (PARENT, tuning_job(pre_tuned_model=PreTunedModel()), "pre_tuned_model.tuned_model_name is required"),
        (PARENT, tuning_job(base_model="gemini-1.5-pro-002",
                            supervised_tuning_spec=hyper_parameters(adapter_size=AdapterSize.ADAPTER_SIZE_EIGHT)),
         ADAPTER_SIZE_NOT_SUPPORTED),
        (PARENT, tuning_job(base_model="gemini-1.5-pro-002",
                            supervised_tuning_spec=hyper_parameters(adapter_size=AdapterSize.ADAPTER_SIZE_SIXTEEN)),
         ADAPTER_SIZE_NOT_SUPPORTED),
        (PARENT, tuning_job(base_model="gemini-1.0-pro-002",
                            supervised_tuning_spec=hyper_parameters(adapter_size=AdapterSize.ADAPTER_SIZE_ONE)),
         ADAPTER_SIZE_NOT_SUPPORTED),
        (PARENT, tuning_job(supervised_tuning_spec=hyper_parameters(adapter_size=AdapterSize.ADAPTER_SIZE_THIRTY_TWO)),
         ADAPTER_SIZE_NOT_SUPPORTED),
        (PARENT, tuning_job(supervised_tuning_spec=None), "supervised_tuning_spec is required"),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="https://x/t.jsonl")),
         TRAINING_URI_ERROR),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://bucket-only")),
         TRAINING_URI_ERROR),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.csv")),
         TRAINING_URI_ERROR),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/.jsonl/x")),
         TRAINING_URI_ERROR),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec()), TRAINING_URI_ERROR),
        (PARENT, tuning_job(supervised_tuning_spec=SupervisedTuningSpec(
            training_dataset_uri="gs://b/t.jsonl", validation_dataset_uri="/tmp/v.jsonl")),
         "1.Field: tuning_job.supervised_tuning_spec.validation_dataset_uri; "
         "Message: validation_dataset_uri should be a GCS object of type JSONL."),
        (PARENT, tuning_job(supervised_tuning_spec=hyper_parameters(epoch_count=-1)), "epoch_count"),
        (PARENT, tuning_job(supervised_tuning_spec=hyper_parameters(learning_rate_multiplier=-0.5)),
         "learning_rate_multiplier"),
        (PARENT, tuning_job(supervised_tuning_spec=hyper_parameters(learning_rate_multiplier=float("nan"))),
         "learning_rate_multiplier"),
        (PARENT, tuning_job(labels={"Team": "nlp"}), "Label key 'Team' is invalid"),
        (PARENT, tuning_job(labels={"1team": "nlp"}), "Label key '1team' is invalid"),
        (PARENT, tuning_job(labels={"k" * 64: "v"}), "is invalid"),
        (PARENT, tuning_job(labels={"team": "v" * 64}), "Label value"),
        (PARENT, tuning_job(labels={"team": "a b"}), "Label value 'a b'"),
        (PARENT, tuning_job(labels={"team": "NLP"}), "Label value 'NLP'"),
        (PARENT, tuning_job(labels=too_many_labels), "At most 64 labels"),
        (PARENT, tuning_job(tuned_model_display_name="x" * 129), "at most 128 characters"),
        (PARENT, tuning_job(base_model=KEYED_MODEL, encryption_spec=EncryptionSpec(kms_key_name="my-key")),
         "tuning_job.encryption_spec.kms_key_name must look like projects/PROJECT/locations/LOCATION/keyRings/"),
        (PARENT, tuning_job(base_model=KEYED_MODEL, encryption_spec=EncryptionSpec()), "tuning_job.encryption_spec.kms_key_name must look"),
        (PARENT, tuning_job(base_model=KEYED_MODEL, encryption_spec=EncryptionSpec(
            kms_key_name="projects/kms/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")),
         "tuning_job.encryption_spec.kms_key_name must look like"),
        (PARENT, tuning_job(base_model=KEYED_MODEL, encryption_spec=EncryptionSpec(
            kms_key_name="projects/kms/locations/europe-west4/keyRings/r/cryptoKeys/k")),
         "is in location 'europe-west4'; a customer-managed encryption key must be in the job's region, "
         "'us-central1'"),
        (PARENT, tuning_job(base_model=KEYED_MODEL, encryption_spec=EncryptionSpec(
            kms_key_name="projects/kms/locations/global/keyRings/r/cryptoKeys/k")), "is in location 'global'"),
        (PARENT, tuning_job(service_account="tuner"), "tuning_job.service_account must be the e-mail address"),
        (PARENT, tuning_job(service_account="tuner@"), "tuning_job.service_account must be the e-mail address"),
        (PARENT, tuning_job(service_account="tu ner@demo.iam.gserviceaccount.com"), "tuning_job.service_account"),
        (PARENT, tuning_job(service_account="projects/p/serviceAccounts/t@p.iam.gserviceaccount.com"),
         "tuning_job.service_account"),
        ("projects/demo-project/locations/mars-central1", tuning_job(), "Location 'mars-central1' does not support"),
        ("projects/demo-project", tuning_job(), "parent must look like projects/PROJECT/locations/LOCATION"),
        ("locations/us-central1", tuning_job(), "parent must look like"),
        (f"{PARENT}/tuningJobs", tuning_job(), "parent must look like"),
    ],
)
def test_invalid_jobs_are_rejected_and_not_created(
    local: LocalEmulator, parent: str, job: TuningJob, message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as raised:
        local.tuning.create_tuning_job(parent=parent, tuning_job=job)

    assert message in raised.value.message
    assert list(local.tuning.list_tuning_jobs(parent=PARENT)) == []


@pytest.mark.parametrize(
    ("training", "validation", "message"),
    [
        ("gs://b/t.json", "",
         "List of found errors:\t1.Field: tuning_job.supervised_tuning_spec.training_dataset_uri; "
         "Message: training_dataset_uri should be a GCS object of type JSONL.\t"),
        ("gs://b/t.jsonl", "gs://b/v.txt",
         "List of found errors:\t1.Field: tuning_job.supervised_tuning_spec.validation_dataset_uri; "
         "Message: validation_dataset_uri should be a GCS object of type JSONL.\t"),
        ("t.jsonl", "v.jsonl",
         "List of found errors:\t1.Field: tuning_job.supervised_tuning_spec.training_dataset_uri; "
         "Message: training_dataset_uri should be a GCS object of type JSONL.\t"
         "2.Field: tuning_job.supervised_tuning_spec.validation_dataset_uri; "
         "Message: validation_dataset_uri should be a GCS object of type JSONL.\t"),
    ],
    ids=["training", "validation", "both"],
)
def test_data_set_uri_errors_are_vertexs_exact_text(
    local: LocalEmulator, training: str, validation: str, message: str
) -> None:
    spec = SupervisedTuningSpec(training_dataset_uri=training, validation_dataset_uri=validation)

    with pytest.raises(exceptions.InvalidArgument) as raised:
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(supervised_tuning_spec=spec))

    assert raised.value.message == message


def test_the_adapter_size_error_is_vertexs_exact_text(local: LocalEmulator) -> None:
    job = tuning_job(
        base_model="gemini-1.5-pro-002",
        supervised_tuning_spec=hyper_parameters(adapter_size=AdapterSize.ADAPTER_SIZE_EIGHT),
    )

    with pytest.raises(exceptions.InvalidArgument) as raised:
        local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)

    assert raised.value.message == "The adapter size is not supported for this base model."


@pytest.mark.parametrize(
    ("base_model", "adapter_size"),
    [
        ("gemini-1.5-pro-002", AdapterSize.ADAPTER_SIZE_ONE),
        ("gemini-1.5-pro-002", AdapterSize.ADAPTER_SIZE_FOUR),
        ("gemini-1.5-flash-002", AdapterSize.ADAPTER_SIZE_EIGHT),
        ("gemini-1.5-flash-002", AdapterSize.ADAPTER_SIZE_SIXTEEN),
        ("gemini-1.0-pro-002", AdapterSize.ADAPTER_SIZE_UNSPECIFIED),
        ("publishers/google/models/gemini-1.5-pro-002", AdapterSize.ADAPTER_SIZE_UNSPECIFIED),
    ],
)
def test_supported_adapter_sizes_are_accepted(local: LocalEmulator, base_model: str, adapter_size: AdapterSize) -> None:
    job = tuning_job(base_model=base_model, supervised_tuning_spec=hyper_parameters(adapter_size=adapter_size))

    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)

    assert created.supervised_tuning_spec.hyper_parameters.adapter_size == adapter_size


def test_international_lowercase_labels_are_accepted(local: LocalEmulator) -> None:
    labels = {"équipe": "données", "team": "", "k-1_x": "v-1_x"}

    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels=labels))

    assert dict(created.labels) == labels


MISSING_JOB = f"{PARENT}/tuningJobs/999"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda local, name: local.tuning.get_tuning_job(name=name), MISSING_JOB),
        (lambda local, name: local.tuning.cancel_tuning_job(name=name), MISSING_JOB),
        (lambda local, name: local.models.get_model(name=name), f"{PARENT}/models/999"),
        (lambda local, name: local.models.get_model(name=name), f"{PARENT}/models/999@1"),
        (lambda local, name: local.models.delete_model(name=name), f"{PARENT}/models/999"),
        (lambda local, name: local.endpoints.get_endpoint(name=name), f"{PARENT}/endpoints/999"),
        (lambda local, name: local.endpoints.delete_endpoint(name=name), f"{PARENT}/endpoints/999"),
        (lambda local, name: local.endpoints.deploy_model(
            endpoint=name, deployed_model=DeployedModel(model=f"{PARENT}/models/1")), f"{PARENT}/endpoints/999"),
        (lambda local, name: local.endpoints.undeploy_model(endpoint=name, deployed_model_id="1"),
         f"{PARENT}/endpoints/999"),
        (lambda local, name: local.operations.get_operation(name=name), f"{PARENT}/endpoints/9/operations/999"),
        (lambda local, name: local.operations.get_operation(name=name), f"{PARENT}/models/9/operations/999"),
    ],
    ids=["get-job", "cancel-job", "get-model", "get-model-version", "delete-model", "get-endpoint",
         "delete-endpoint", "deploy-model", "undeploy-model", "get-endpoint-operation", "get-model-operation"],
)
def test_unknown_resources_are_not_found(
    local: LocalEmulator, call: Callable[[LocalEmulator, str], Any], name: str
) -> None:
    with pytest.raises(exceptions.NotFound) as raised:
        call(local, name)

    # Named as Vertex AI names it, with the project's number.
    assert name.split("@")[0].replace(PARENT, NUMBERED_PARENT) in raised.value.message


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda local, name: local.tuning.get_tuning_job(name=name), "tuningJobs/1"),
        (lambda local, name: local.tuning.get_tuning_job(name=name), f"{PARENT}/models/1"),
        (lambda local, name: local.tuning.cancel_tuning_job(name=name), f"{PARENT}/tuningJobs/1/extra"),
        (lambda local, name: local.models.get_model(name=name), f"{PARENT}/models/"),
        (lambda local, name: local.endpoints.get_endpoint(name=name), "endpoints/1"),
        (lambda local, name: local.endpoints.delete_endpoint(name=name), f"{PARENT}/models/1"),
        (lambda local, name: local.models.delete_model(name=name), f"{PARENT}/endpoints/1"),
        (lambda local, name: local.endpoints.list_endpoints(parent=name), f"{PARENT}/endpoints"),
        (lambda local, name: local.models.list_models(parent=name), "projects/demo-project"),
        (lambda local, name: local.operations.get_operation(name=name), "operations/1"),
    ],
    ids=["job-no-parent", "job-wrong-collection", "job-extra-segment", "model-no-id", "endpoint",
         "delete-endpoint", "delete-model", "list-endpoints", "list-models", "operation"],
)
def test_malformed_names_are_invalid(
    local: LocalEmulator, call: Callable[[LocalEmulator, str], Any], name: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="must look like"):
        call(local, name)


@pytest.mark.parametrize(
    "call",
    [
        lambda local: local.tuning.rebase_tuned_model(request=RebaseTunedModelRequest(parent=PARENT)),
        lambda local: local.endpoints.mutate_deployed_model(
            request=MutateDeployedModelRequest(endpoint=f"{PARENT}/endpoints/1")),
        lambda local: list(local.operations.list_operations(name=PARENT, filter_="")),
        lambda local: local.operations.cancel_operation(name=f"{PARENT}/endpoints/1/operations/2"),
        lambda local: local.operations.delete_operation(name=f"{PARENT}/endpoints/1/operations/2"),
    ],
    ids=["rebase-tuned-model", "mutate-deployed-model", "list-operations", "cancel-operation",
         "delete-operation"],
)
def test_unserved_methods_are_unimplemented(local: LocalEmulator, call: Callable[[LocalEmulator], Any]) -> None:
    with pytest.raises(exceptions.MethodNotImplemented):
        call(local)
