"""Valid requests to start from; each test changes only what it is about."""

from __future__ import annotations

from typing import Any

from google.cloud.aiplatform_v1 import SupervisedHyperParameters, SupervisedTuningSpec, TuningJob

PARENT = "projects/demo-project/locations/us-central1"
OTHER_PARENT = "projects/other-project/locations/europe-west4"
AdapterSize = SupervisedHyperParameters.AdapterSize


def tuning_job(**fields: Any) -> TuningJob:
    """A valid job for gemini-1.5-flash-002; keyword arguments replace its fields."""
    job = TuningJob(
        base_model="gemini-1.5-flash-002",
        tuned_model_display_name="support-classifier",
        supervised_tuning_spec=SupervisedTuningSpec(
            training_dataset_uri="gs://demo-bucket/train.jsonl",
            validation_dataset_uri="gs://demo-bucket/validation.jsonl",
            hyper_parameters=SupervisedHyperParameters(epoch_count=3, learning_rate_multiplier=1.0),
        ),
        labels={"team": "support"},
    )
    for field, value in fields.items():
        setattr(job, field, value)
    return job


def hyper_parameters(**fields: Any) -> SupervisedTuningSpec:
    """A valid supervised tuning spec whose hyper-parameters are `fields`."""
    return SupervisedTuningSpec(
        training_dataset_uri="gs://demo-bucket/train.jsonl",
        hyper_parameters=SupervisedHyperParameters(**fields),
    )
