"""The tuning lifecycle over REST: continuous tuning, checkpoints, evaluation runs, model versions, experiments.

Plain HTTP with the bodies Vertex AI's documentation shows, and google-genai as a user
would call it; answers in protobuf's JSON mapping of the GAPIC types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from emulator.clock import ManualClock
from emulator.evaluation import EvaluationScores, ScoreRule
from tests.emulator.builders import NUMBERED_PARENT, PARENT, PROJECT
from tests.emulator.conftest import JOB_SECONDS
from tests.emulator.rest.conftest import RestEmulator, StartRest

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")

FIRST_JOB = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://demo-bucket/train.jsonl",
        "validationDatasetUri": "gs://demo-bucket/validation.jsonl",
        "hyperParameters": {"epochCount": 2},
        "evaluationConfig": {
            "metrics": [{"rougeSpec": {"rougeType": "rouge1"}, "aggregationMetrics": ["AVERAGE"]},
                        {"bleuSpec": {}}],
            "outputConfig": {"gcsDestination": {"outputUriPrefix": "gs://demo-bucket/evaluations"}},
        },
    },
    "tunedModelDisplayName": "support-triage",
}


@pytest.fixture
def rest(start_rest: StartRest) -> RestEmulator:
    """After 2025-07-11, so tuned models can be tuned further; checkpoint 2 of support-triage scores best."""
    rules = ("support-triage:rouge_1=0.6", "support-triage@2:rouge_1=0.8", "*:bleu=0.25")
    return start_rest(quota=5, clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC)),
                      evaluation_scores=EvaluationScores(tuple(ScoreRule.parse(rule) for rule in rules)))


def finished(rest: RestEmulator, body: dict[str, Any], version: str = "v1") -> dict[str, Any]:
    created = rest.http.post(f"{version}/{PARENT}/tuningJobs", body)
    assert created.status == 200, created.text
    rest.local.advance(JOB_SECONDS)
    return rest.http.get(f"{version}/{created.json['name']}").json


def test_checkpoints_and_evaluation_runs_in_vertexs_json(rest: RestEmulator) -> None:
    job = finished(rest, FIRST_JOB)

    assert [(c["checkpointId"], c["epoch"]) for c in job["tunedModel"]["checkpoints"]] == [("1", "1"), ("2", "2")]
    assert job["tunedModel"]["checkpoints"][-1]["endpoint"] == job["tunedModel"]["endpoint"]
    runs = job["evaluateDatasetRuns"]
    assert [run["checkpointId"] for run in runs] == ["1", "2"]
    assert runs[1]["evaluateDatasetResponse"]["aggregationOutput"]["aggregationResults"] == [
        {"rougeMetricValue": {"score": 0.8}, "aggregationMetric": "AVERAGE"},
        {"bleuMetricValue": {"score": 0.25}, "aggregationMetric": "AVERAGE"},
    ]
    assert runs[0]["evaluationRun"].startswith(f"{NUMBERED_PARENT}/evaluationRuns/")
    model = rest.http.get(f"v1/{job['tunedModel']['model']}").json
    assert (model["defaultCheckpointId"], [c["checkpointId"] for c in model["checkpoints"]]) == ("2", ["1", "2"])


def test_a_continued_job_over_rest_gives_the_next_version(rest: RestEmulator) -> None:
    source = finished(rest, FIRST_JOB)
    model = source["tunedModel"]["model"].removesuffix("@1")

    continued = finished(rest, {
        "preTunedModel": {"tunedModelName": source["tunedModel"]["model"], "checkpointId": "2"},
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://demo-bucket/more.jsonl",
                                 "exportLastCheckpointOnly": True},
    })

    assert "baseModel" not in continued
    assert continued["preTunedModel"] == {"tunedModelName": source["tunedModel"]["model"], "checkpointId": "2",
                                          "baseModel": "gemini-2.5-flash"}
    assert continued["tunedModel"]["model"] == f"{model}@2"
    assert "checkpoints" not in continued["tunedModel"]
    versions = rest.http.get(f"v1/{model}:listVersions").json["models"]
    assert [(v["versionId"], v.get("versionAliases", [])) for v in versions] == [("1", []), ("2", ["default"])]


def test_a_refused_source_answers_in_googles_error_json(rest: RestEmulator) -> None:
    source = finished(rest, FIRST_JOB)

    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", {
        "preTunedModel": {"tunedModelName": source["tunedModel"]["model"], "checkpointId": "7"},
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://demo-bucket/more.jsonl"},
    })

    assert reply.status == 404
    assert reply.json["error"]["status"] == "NOT_FOUND"
    assert "has no checkpoint '7'" in reply.json["error"]["message"]


def test_the_experiment_context_is_served_over_rest(rest: RestEmulator) -> None:
    created = rest.http.post(f"v1/{PARENT}/tuningJobs", FIRST_JOB).json
    rest.local.advance(JOB_SECONDS / 2)
    experiment = rest.http.get(f"v1/{created['name']}").json["experiment"]

    context = rest.http.get(f"v1/{experiment}").json

    assert (context["name"], context["schemaTitle"]) == (experiment, "system.Experiment")
    assert context["metadata"] == {"experiment_deleted": False}


def test_google_genai_continues_tuning_from_a_checkpoint(rest: RestEmulator) -> None:
    client = genai.Client(vertexai=True, project=PROJECT, location="us-central1",
                          credentials=Credentials(token="emulator"),
                          http_options=types.HttpOptions(base_url=rest.url))
    source = finished(rest, FIRST_JOB)

    job = client.tunings.tune(
        base_model=source["tunedModel"]["model"],
        training_dataset=types.TuningDataset(gcs_uri="gs://demo-bucket/more.jsonl"),
        config=types.CreateTuningJobConfig(epoch_count=1, pre_tuned_model_checkpoint_id="1"),
    )
    rest.local.advance(JOB_SECONDS)
    done = client.tunings.get(name=job.name)

    assert done.pre_tuned_model.checkpoint_id == "1"
    assert done.pre_tuned_model.base_model == "gemini-2.5-flash"
    assert done.tuned_model.model == source["tunedModel"]["model"].replace("@1", "@2")
    assert [c.checkpoint_id for c in done.tuned_model.checkpoints] == ["1"]
