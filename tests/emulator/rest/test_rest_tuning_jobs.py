"""Tuning jobs over REST, with requests shaped like Google's documentation, against the same state as gRPC."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from google.cloud.aiplatform_v1 import JobState

from tests.emulator.builders import NUMBERED_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS
from tests.emulator.rest.conftest import RestEmulator
from tests.emulator.test_cancel import CANCEL_SECONDS

# The request body of "Create a tuning job" in Vertex AI's documentation (REST tab).
DOCUMENTED_BODY = {
    "baseModel": "gemini-3.5-flash",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://demo-bucket/train.jsonl",
        "validationDatasetUri": "gs://demo-bucket/validation.jsonl",
        "hyperParameters": {"epochCount": 2, "adapterSize": "ADAPTER_SIZE_FOUR", "learningRateMultiplier": 1.0},
    },
    "tunedModelDisplayName": "support-classifier",
    "labels": {"team": "support"},
}


def test_a_job_created_with_the_documented_request_is_answered_in_vertexs_json(rest: RestEmulator) -> None:
    reply = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY, headers={"Authorization": "Bearer ya29.x"})

    assert reply.status == 200
    job = reply.json
    assert job["name"].startswith(f"{NUMBERED_PARENT}/tuningJobs/"), "named by project number, as Vertex AI does"
    assert job["state"] == "JOB_STATE_PENDING"
    assert job["baseModel"] == "gemini-3.5-flash"
    assert job["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "2",  # int64 travels as a string
        "adapterSize": "ADAPTER_SIZE_FOUR",
        "learningRateMultiplier": 1.0,
    }
    assert job["createTime"].endswith("Z")
    assert datetime.fromisoformat(job["createTime"]) == rest.local.clock.now()
    assert not [key for key in job if "_" in key], "field names are lowerCamelCase"
    seen_over_grpc = rest.local.tuning.get_tuning_job(name=job["name"])
    assert seen_over_grpc.tuned_model_display_name == "support-classifier"
    assert seen_over_grpc.supervised_tuning_spec.validation_dataset_uri == "gs://demo-bucket/validation.jsonl"


def test_a_rest_job_succeeds_on_the_emulator_clock_with_a_model_and_an_endpoint(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    rest.local.advance(JOB_SECONDS)
    job = rest.http.get(f"v1/{name}").json

    assert job["state"] == "JOB_STATE_SUCCEEDED"
    model, version = job["tunedModel"]["model"].split("@")
    assert rest.http.get(f"v1/{model}").json["versionId"] == version
    endpoint = rest.http.get(f"v1/{job['tunedModel']['endpoint']}").json
    assert [deployed["model"] for deployed in endpoint["deployedModels"]] == [model]
    stats = job["tuningDataStats"]["supervisedTuningDataStats"]
    assert int(stats["tuningDatasetExampleCount"]) > 0


def test_jobs_created_over_either_surface_are_seen_over_the_other(rest: RestEmulator) -> None:
    over_rest = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]
    over_grpc = rest.local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job()).name

    listed_over_grpc = [job.name for job in rest.local.tuning.list_tuning_jobs(parent=PARENT)]
    listed_over_rest = [job["name"] for job in rest.http.get(f"v1/{PARENT}/tuningJobs").json["tuningJobs"]]

    assert listed_over_grpc == listed_over_rest == [over_rest, over_grpc]


def test_list_takes_filter_page_size_and_page_token_as_query_parameters(rest: RestEmulator) -> None:
    nlp = [
        rest.local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels={"team": "nlp"})).name
        for _ in range(3)
    ]
    rest.local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels={"team": "vision"}))
    query = "filter=labels.team%3D%22nlp%22&pageSize=2"

    first = rest.http.get(f"v1/{PARENT}/tuningJobs?{query}").json
    second = rest.http.get(f"v1/{PARENT}/tuningJobs?{query}&pageToken={first['nextPageToken']}").json
    by_proto_names = rest.http.get(f"v1/{PARENT}/tuningJobs?filter=labels.team%3Dnlp&page_size=3").json

    assert [job["name"] for job in first["tuningJobs"] + second["tuningJobs"]] == nlp
    assert "nextPageToken" not in second
    assert [job["name"] for job in by_proto_names["tuningJobs"]] == nlp


def test_an_empty_list_is_an_empty_object(rest: RestEmulator) -> None:
    reply = rest.http.get(f"v1/{PARENT}/tuningJobs")

    assert (reply.status, reply.json) == (200, {})


def test_cancel_passes_through_cancelling_and_ends_the_job_as_cancelled(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    reply = rest.http.post(f"v1/{name}:cancel")

    assert (reply.status, reply.json) == (200, {})
    cancelling = rest.http.get(f"v1/{name}").json
    assert cancelling["state"] == "JOB_STATE_CANCELLING"
    assert "endTime" not in cancelling and "error" not in cancelling
    rest.local.advance(CANCEL_SECONDS)
    cancelled = rest.http.get(f"v1/{name}").json
    assert cancelled["state"] == "JOB_STATE_CANCELLED"
    assert cancelled["error"] == {"code": 1, "message": "CANCELED"}
    assert rest.local.tuning.get_tuning_job(name=name).state == JobState.JOB_STATE_CANCELLED


def test_v1beta1_serves_the_same_jobs_in_the_same_json(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    assert rest.http.get(f"v1beta1/{name}").json == rest.http.get(f"v1/{name}").json


def test_v1beta1_only_fields_are_dropped_and_the_drop_is_logged(
    rest: RestEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        **DOCUMENTED_BODY,
        "outputUri": "gs://demo-bucket/out",
        "supervisedTuningSpec": {
            **DOCUMENTED_BODY["supervisedTuningSpec"],  # type: ignore[dict-item]
            "tuningMode": "TUNING_MODE_PEFT_ADAPTER",
        },
    }

    with caplog.at_level(logging.WARNING, logger="emulator.rest"):
        reply = rest.http.post(f"v1beta1/{PARENT}/tuningJobs", body)

    assert reply.status == 200
    assert "outputUri" not in reply.json and "tuningMode" not in reply.json["supervisedTuningSpec"]
    assert "dropped tuning_job.output_uri, tuning_job.supervised_tuning_spec.tuning_mode," in caplog.text
    assert rest.http.post(f"v1/{PARENT}/tuningJobs", body).json["error"]["message"] == (
        "Invalid JSON payload received. Unknown name \"tuningMode\" at 'tuning_job.supervised_tuning_spec': "
        "Cannot find field."
    )


def test_enums_as_numbers_and_compact_json_when_the_system_parameters_ask(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    reply = rest.http.get(f"v1/{name}?$alt=json;enum-encoding=int&prettyPrint=false")

    assert reply.json["state"] == JobState.JOB_STATE_PENDING.value
    assert "\n" not in reply.text and ", " not in reply.text
