"""Request checks that answer INVALID_ARGUMENT, as Vertex AI does.

Each check raises `InvalidArgument` for the first problem it finds, with a
message that names the field and the values that would be accepted. Where
Vertex AI's own wording is known (data set URIs, adapter sizes), the message is
Vertex's.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

from google.cloud.aiplatform_v1 import DeployModelRequest, Endpoint, TuningJob

from emulator import names, traffic
from emulator.errors import InvalidArgument
from emulator.base_models import BASE_MODELS, TUNING_REGIONS, base_model_id

__all__ = [
    "ADAPTER_SIZE_NOT_SUPPORTED",
    "MAX_LABELS",
    "check_deploy_model",
    "check_endpoint_id",
    "check_labels",
    "check_new_endpoint",
    "check_new_tuning_job",
]

MAX_LABELS = 64
MAX_LABEL_LENGTH = 63
MAX_DISPLAY_NAME_LENGTH = 128
ADAPTER_SIZE_NOT_SUPPORTED = "The adapter size is not supported for this base model."

_JSONL_OBJECT = re.compile(r"gs://[^/]+/.+\.jsonl")
_KMS_KEY = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)/cryptoKeys/(?P<key>[^/]+)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ENDPOINT_ID = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?|[1-9][0-9]{0,8}")
_DEPLOYED_MODEL_ID = re.compile(r"[0-9]{1,10}")


def check_new_tuning_job(location: str, job: TuningJob) -> None:
    """Check a CreateTuningJob request's job for region `location`.

    Whether the project may still tune its base model on the day is
    `emulator.availability`'s (NOT_FOUND).
    """
    if location not in TUNING_REGIONS:
        raise InvalidArgument(
            f"Location {location!r} does not support tuning. "
            f"Supported locations: {', '.join(sorted(TUNING_REGIONS))}."
        )
    raw = TuningJob.pb(job)
    if raw.WhichOneof("source_model") != "base_model":
        raise InvalidArgument(
            "tuning_job.base_model is required (or pre_tuned_model, to continue tuning a tuned model). "
            f"Supported base models: {', '.join(sorted(BASE_MODELS))}."
        )
    rules = BASE_MODELS.get(base_model_id(raw.base_model))
    if rules is None:
        raise InvalidArgument(
            f"Base model {raw.base_model!r} is not supported for tuning. "
            f"Supported base models: {', '.join(sorted(BASE_MODELS))}."
        )
    if rules.tuning_regions is not None and location not in rules.tuning_regions:
        raise InvalidArgument(
            f"Base model {raw.base_model!r} cannot be tuned in location {location!r}. "
            f"Supported locations for it: {', '.join(sorted(rules.tuning_regions))}."
        )
    if raw.WhichOneof("tuning_spec") != "supervised_tuning_spec":
        raise InvalidArgument("tuning_job.supervised_tuning_spec is required.")
    spec = raw.supervised_tuning_spec
    _check_dataset_uris(spec.training_dataset_uri, spec.validation_dataset_uri)
    hyper = spec.hyper_parameters
    if hyper.epoch_count < 0:
        raise InvalidArgument(
            f"supervised_tuning_spec.hyper_parameters.epoch_count must be positive "
            f"(or 0 to let the service choose), got {hyper.epoch_count}."
        )
    if not (math.isfinite(hyper.learning_rate_multiplier) and hyper.learning_rate_multiplier >= 0):
        raise InvalidArgument(
            "supervised_tuning_spec.hyper_parameters.learning_rate_multiplier must be a finite number "
            f">= 0 (0 lets the service choose), got {hyper.learning_rate_multiplier}."
        )
    # Read as a plain int: an enum number this library does not know must be
    # rejected, not turned into a warning by proto-plus.
    if hyper.adapter_size and rules.adapter_sizes is not None and hyper.adapter_size not in rules.adapter_sizes:
        raise InvalidArgument(ADAPTER_SIZE_NOT_SUPPORTED)
    if len(raw.tuned_model_display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidArgument(
            f"tuning_job.tuned_model_display_name may have at most {MAX_DISPLAY_NAME_LENGTH} "
            f"characters, got {len(raw.tuned_model_display_name)}."
        )
    check_labels(raw.labels)
    if raw.HasField("encryption_spec"):
        if rules.cmek is False:
            raise InvalidArgument(
                f"Customer-managed encryption keys (tuning_job.encryption_spec) are not supported for base model "
                f"{raw.base_model!r}."
            )
        _check_kms_key(location, raw.encryption_spec.kms_key_name)
    if raw.service_account and _EMAIL.fullmatch(raw.service_account) is None:
        raise InvalidArgument(
            f"tuning_job.service_account must be the e-mail address of a service account "
            f"(NAME@PROJECT.iam.gserviceaccount.com), got {raw.service_account!r}."
        )


def check_new_endpoint(endpoint: Endpoint) -> None:
    """Check the endpoint of a CreateEndpoint request."""
    if not endpoint.display_name:
        raise InvalidArgument("endpoint.display_name is required.")
    if len(endpoint.display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidArgument(
            f"endpoint.display_name may have at most {MAX_DISPLAY_NAME_LENGTH} characters, "
            f"got {len(endpoint.display_name)}."
        )
    if endpoint.traffic_split:
        raise InvalidArgument(
            "endpoint.traffic_split must be empty: a new endpoint has no deployed models to send traffic to."
        )
    check_labels(endpoint.labels)


def check_endpoint_id(endpoint_id: str) -> None:
    """Check a caller-chosen endpoint id (CreateEndpointRequest.endpoint_id)."""
    if _ENDPOINT_ID.fullmatch(endpoint_id) is None:
        raise InvalidArgument(
            f"endpoint_id {endpoint_id!r} is invalid: it must be up to 63 lowercase letters, digits and "
            "dashes, starting with a letter and not ending with a dash, or a number of up to 9 digits "
            "without leading zeros."
        )


def check_deploy_model(request: DeployModelRequest) -> None:
    """Check what a DeployModel request says on its own, before looking at any resource."""
    deployed = request.deployed_model
    if not deployed.model:
        raise InvalidArgument("deployed_model.model is required: the name of the model to deploy.")
    names.parse_model_name(deployed.model)
    if deployed.id and _DEPLOYED_MODEL_ID.fullmatch(deployed.id) is None:
        raise InvalidArgument(f"deployed_model.id {deployed.id!r} is invalid: it must be 1 to 10 digits.")
    traffic.check_percentages(request.traffic_split)


def check_labels(labels: Mapping[str, str]) -> None:
    """Check labels against Google Cloud's label rules."""
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(f"At most {MAX_LABELS} labels are allowed, got {len(labels)}.")
    for key, value in labels.items():
        if not (key and _is_lowercase_letter(key[0]) and _is_label_text(key)):
            raise InvalidArgument(
                f"Label key {key!r} is invalid: keys must start with a lowercase letter and have "
                f"1 to {MAX_LABEL_LENGTH} lowercase letters, digits, underscores or dashes."
            )
        if not _is_label_text(value):
            raise InvalidArgument(
                f"Label value {value!r} of key {key!r} is invalid: values may have at most "
                f"{MAX_LABEL_LENGTH} lowercase letters, digits, underscores or dashes."
            )


def _check_dataset_uris(training: str, validation: str) -> None:
    # Vertex AI lists every bad field, numbered, in one message, with tabs between the parts.
    bad = [
        field
        for field, uri in (("training_dataset_uri", training), ("validation_dataset_uri", validation))
        if (uri or field == "training_dataset_uri") and _JSONL_OBJECT.fullmatch(uri) is None
    ]
    if bad:
        found = "".join(
            f"{number}.Field: tuning_job.supervised_tuning_spec.{field}; "
            f"Message: {field} should be a GCS object of type JSONL.\t"
            for number, field in enumerate(bad, 1)
        )
        raise InvalidArgument(f"List of found errors:\t{found}")


def _check_kms_key(location: str, key_name: str) -> None:
    match = _KMS_KEY.fullmatch(key_name)
    if match is None:
        raise InvalidArgument(
            "tuning_job.encryption_spec.kms_key_name must look like "
            f"projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY, got {key_name!r}."
        )
    if match["location"] != location:
        raise InvalidArgument(
            f"tuning_job.encryption_spec.kms_key_name {key_name!r} is in location {match['location']!r}; "
            f"a customer-managed encryption key must be in the job's region, {location!r}."
        )


def _is_lowercase_letter(char: str) -> bool:
    # International letters are allowed; letters without case (e.g. CJK) count as lowercase.
    return char.isalpha() and char.lower() == char


def _is_label_text(text: str) -> bool:
    return len(text) <= MAX_LABEL_LENGTH and all(
        char in "_-" or char.isdecimal() or _is_lowercase_letter(char) for char in text
    )
