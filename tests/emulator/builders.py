"""Valid requests to start from; each test changes only what it is about."""

from __future__ import annotations

from typing import Any

from google.cloud.aiplatform_v1 import SupervisedHyperParameters, SupervisedTuningSpec, TuningJob

PROJECT, OTHER_PROJECT = "demo-project", "other-project"
PROJECT_NUMBERS = {PROJECT: "123456789012", OTHER_PROJECT: "210987654321"}
"""The numbers the tests' emulators give the projects, as --project-number would."""

PARENT = f"projects/{PROJECT}/locations/us-central1"
OTHER_PARENT = f"projects/{OTHER_PROJECT}/locations/europe-west4"
OTHER_REGION_PARENT = f"projects/{PROJECT}/locations/europe-west4"
NUMBERED_PARENT = f"projects/{PROJECT_NUMBERS[PROJECT]}/locations/us-central1"
NUMBERED_OTHER_PARENT = f"projects/{PROJECT_NUMBERS[OTHER_PROJECT]}/locations/europe-west4"
"""The parents as the emulator names them, with project numbers, as Vertex AI does."""
AdapterSize = SupervisedHyperParameters.AdapterSize


def tuning_job(**fields: Any) -> TuningJob:
    """A valid job for gemini-3.5-flash; keyword arguments replace its fields.

    It keeps its last checkpoint only, so that it ends with one tuned-model endpoint, as the
    tests of endpoints, models and operations expect; the checkpoint tests ask for more.
    """
    job = TuningJob(
        base_model="gemini-3.5-flash",
        tuned_model_display_name="support-classifier",
        supervised_tuning_spec=SupervisedTuningSpec(
            training_dataset_uri="gs://demo-bucket/train.jsonl",
            validation_dataset_uri="gs://demo-bucket/validation.jsonl",
            hyper_parameters=SupervisedHyperParameters(epoch_count=3, learning_rate_multiplier=1.0),
            export_last_checkpoint_only=True,
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
