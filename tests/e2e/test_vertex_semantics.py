"""End to end: today's models, Vertex's own refusals and cancellations, enterprise fields."""

from __future__ import annotations

import json

import pytest
from google.api_core import exceptions

from providers.jobfile import retirement
from providers.jobfile.catalogue import tool_catalogue
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of, vertex_jobs, wait_until_ended
from tests.support.polling import wait_for

CURRENT_MODELS = sorted(name for name, rules in tool_catalogue().models.items()
                        if not retirement.is_retired(rules, retirement.today()))
KEY = "projects/e2e-project/locations/{region}/keyRings/tuning/cryptoKeys/jobs"


def test_a_job_on_each_current_model_submits(start_emulator, make_project):
    emulator = start_emulator(quota=len(CURRENT_MODELS))
    project = make_project(emulator)
    for model in CURRENT_MODELS:
        project.write_job(model.replace(".", "-"), **flash_job(baseModel=model,
                                                                hyperParameters={"adapterSize": 2}))

    project.up()

    assert sorted(j.base_model for j in vertex_jobs(emulator)) == CURRENT_MODELS
    assert {j.supervised_tuning_spec.hyper_parameters.adapter_size.name for j in vertex_jobs(emulator)} == {
        "ADAPTER_SIZE_TWO"}


def example(text: str) -> str:
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": text}]},
                                    {"role": "model", "parts": [{"text": "ok"}]}]}) + "\n"


@pytest.mark.parametrize(("fields", "files", "message"), [
    ({"hyperParameters": {"adapterSize": 32}}, {},
     "jobs/triage.yaml: hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16"),
    ({"baseModel": "gemini-4-argon"}, {},
     "jobs/triage.yaml: baseModel: 'gemini-4-argon' is not a base model this tool knows."),
    ({"regions": ["asia-east1"]}, {},
     "jobs/triage.yaml: regions.0: 'asia-east1' is not a supported tuning region of gemini-3.5-flash."),
    ({"encryptionSpec": {"kmsKeyName": KEY}}, {},
     "jobs/triage.yaml: encryptionSpec: gemini-3.5-flash does not support customer-managed encryption keys"),
    ({"trainingDataset": "gs://acme/train.csv"}, {},
     "jobs/triage.yaml: trainingDataset: 'gs://acme/train.csv': training_dataset_uri should be a GCS object of type JSONL"),
    ({"trainingDataset": "data/train.jsonl"}, {"data/train.jsonl": example("x" * (4 * 131_072 + 8))},
     "data/train.jsonl: line 1: about 131,07"),
    ({"trainingDataset": "data/train.jsonl", "validationDataset": "data/validation.jsonl"},
     {"data/train.jsonl": example("a"), "data/validation.jsonl": example("b") * 5_001},
     "data/validation.jsonl: 5,001 examples; a validation set for gemini-3.5-flash may have at most 5,000"),
], ids=["adapter-size", "unknown-model", "3x-region", "3x-cmek", "csv-uri", "tokens-per-example", "validation-examples"])
def test_each_models_limits_are_enforced_before_anything_is_submitted(
    start_emulator, make_project, storage_emulator, fields, files, message
):
    emulator = start_emulator()
    project = make_project(emulator)
    project.use_storage(storage_emulator.url, storage_emulator.bucket)
    for path, text in files.items():
        project.write_file(path, text)
    project.write_job("triage", **flash_job(**fields))

    result = project.up(check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output, output
    assert "Traceback" not in output
    assert vertex_jobs(emulator) == [] and storage_emulator.objects() == {}


def test_in_the_month_before_retirement_vertex_decides_and_its_refusal_reaches_the_user(start_emulator, make_project):
    # gemini-2.5-flash retires on 2026-10-20; from 2026-09-20 Google blocks new access for
    # tuning. Whether this project had access is Vertex's to know: the tool warns and submits.
    emulator = start_emulator(today="2026-09-25")
    project = make_project(emulator)
    project.env["GEMINI_TUNING_TODAY"] = "2026-09-25"
    project.write_job("triage", **flash_job(baseModel="gemini-2.5-flash"))

    preview = project.run("preview")
    up = project.up(check=False)

    assert ("warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retires on 2026-10-20 (in 25 days): since "
            "2026-09-20 Google blocks new access to it for tuning") in preview.stdout
    output = up.stdout + up.stderr
    assert up.returncode != 0
    assert ("jobs/triage.yaml: us-central1: submitting the tuning job: NOT_FOUND: Publisher Model "
            "`projects/") in output
    assert "was not found or your project does not have access to it" in output
    assert "move the job to a current model" in output
    assert "Traceback" not in output
    assert project.job_output("triage")["state"] == "NOT_SUBMITTED"
    assert vertex_jobs(emulator) == []


def test_a_project_with_no_tuning_quota_fails_with_vertexs_message(start_emulator, make_project):
    emulator = start_emulator(project_quotas={"e2e-project": 0})
    project = make_project(emulator)
    project.write_job("triage", **flash_job())

    result = project.up(check=False)

    output = project.job_output("triage")
    assert result.returncode != 0
    assert output["state"] == "NOT_SUBMITTED"
    assert output["statusMessage"].startswith(
        "jobs/triage.yaml: us-central1: submitting the tuning job: RESOURCE_EXHAUSTED: Quota exceeded")
    assert output["statusMessage"] in result.stdout + result.stderr
    assert vertex_jobs(emulator) == []


def test_a_job_that_succeeds_despite_its_cancel_shows_up_and_follows_the_deletion_policy(
    start_emulator, make_project
):
    emulator = start_emulator(job_seconds=20, quota=2, cancel_seconds=2, cancel_outcome="succeeded")
    project = make_project(emulator)
    project.write_job("triage", **flash_job(deletionPolicy="delete"))
    project.up()
    [old] = jobs_named(emulator, "triage")

    project.write_job("triage", **flash_job(deletionPolicy="delete", hyperParameters={"epochCount": 5}))
    project.up()
    old = wait_for(lambda: jobs_named(emulator, "triage")[0], lambda j: state_of(j) == "SUCCEEDED", timeout=30)
    project.run("refresh", "--yes", "--skip-preview", "--run-program")

    [earlier] = project.job_output("triage")["earlierVersions"]
    assert (earlier["name"], earlier["state"]) == (old.name, "SUCCEEDED")
    assert earlier["tunedModelEndpoint"] == old.tuned_model.endpoint
    # Its endpoint stays until the replacement has succeeded; then the policy retires it.
    assert emulator.endpoint_client().get_endpoint(name=old.tuned_model.endpoint)
    wait_until_ended(emulator, timeout=60)
    project.up()
    with pytest.raises(exceptions.NotFound):
        emulator.endpoint_client().get_endpoint(name=old.tuned_model.endpoint)


def test_the_old_tuned_model_endpoint_answers_until_its_replacement_succeeded(start_emulator, make_project):
    emulator = start_emulator(job_seconds=12, quota=2, cancel_seconds=1)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(deletionPolicy="delete"))
    project.up()
    [old] = wait_until_ended(emulator)
    project.up()

    project.write_job("triage", **flash_job(deletionPolicy="delete", hyperParameters={"epochCount": 5}))
    project.up()
    # Trains: the old endpoint still serves the old tuned model.
    assert emulator.endpoint_client().get_endpoint(name=old.tuned_model.endpoint).deployed_models
    assert state_of(jobs_named(emulator, "triage")[-1]) in ("PENDING", "RUNNING")

    new = wait_until_ended(emulator)[-1]
    project.up()
    with pytest.raises(exceptions.NotFound):
        emulator.endpoint_client().get_endpoint(name=old.tuned_model.endpoint)
    assert emulator.endpoint_client().get_endpoint(name=new.tuned_model.endpoint).deployed_models
    # The old version's checkpoints each had an endpoint: all are deleted, its default one among them.
    assert (f"deleted {old.tuned_model.endpoint}, the tuned-model endpoint of an earlier version"
            in project.job_output("triage")["history"])


@pytest.mark.parametrize(("said", "kept"), [({}, True), ({"deletionPolicy": "delete"}, False)])
def test_removing_a_serving_block_keeps_the_endpoint_unless_the_file_said_delete(
    start_emulator, make_project, said, kept
):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **flash_job(serving={"displayName": "triage", **said}))
    project.up()
    endpoint = project.job_output("triage")["servingEndpoint"]

    project.write_job("triage", **flash_job())
    project.up()

    if kept:
        assert emulator.endpoint_client().get_endpoint(name=endpoint).name == endpoint
    else:
        with pytest.raises(exceptions.NotFound):
            emulator.endpoint_client().get_endpoint(name=endpoint)
    assert "servingEndpoint" not in project.job_output("triage")


def test_encryption_key_and_service_account_reach_vertex_and_changing_either_replaces_the_job(
    start_emulator, make_project
):
    emulator = start_emulator(quota=5, cancel_seconds=0)
    project = make_project(emulator)
    # gemini-3.5-flash takes no customer-managed key; Google publishes nothing on -lite's.
    fields = {"baseModel": "gemini-3.5-flash-lite", "regions": ["us-central1", "europe-west4"],
              "encryptionSpec": {"kmsKeyName": KEY}, "serviceAccount": "tuner@e2e-project.iam.gserviceaccount.com"}
    project.write_job("triage", **flash_job(**fields))

    preview = project.run("preview", "--diff").stdout
    project.up()

    assert "tuner@e2e-project.iam.gserviceaccount.com" in preview
    assert sorted((j.name.split("/")[3], j.encryption_spec.kms_key_name, j.service_account)
                  for j in vertex_jobs(emulator)) == [
        ("europe-west4", KEY.format(region="europe-west4"), "tuner@e2e-project.iam.gserviceaccount.com"),
        ("us-central1", KEY.format(region="us-central1"), "tuner@e2e-project.iam.gserviceaccount.com"),
    ]

    project.write_job("triage", **flash_job(**{**fields, "serviceAccount": "other@e2e-project.iam.gserviceaccount.com"}))
    project.up()
    project.write_job("triage", **flash_job(**{**fields, "serviceAccount": "other@e2e-project.iam.gserviceaccount.com",
                                                "encryptionSpec": {"kmsKeyName": KEY.replace("jobs", "jobs-2")}}))
    project.up()

    jobs = jobs_named(emulator, "triage")
    assert len(jobs) == 6
    assert [state_of(j) for j in jobs if state_of(j) != "CANCELLED"] == ["PENDING", "PENDING"]
    assert {j.encryption_spec.kms_key_name.split("/")[-1] for j in jobs if state_of(j) == "PENDING"} == {"jobs-2"}
