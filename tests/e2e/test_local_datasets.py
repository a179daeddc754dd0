"""End to end: a job's local data set is checked, uploaded once, and its content is the job's."""

from __future__ import annotations

import json

from tests.e2e.test_tuning_jobs import jobs_named, state_of, vertex_jobs
from tests.support.polling import wait_for


def example(question: str, answer: str) -> str:
    return json.dumps({"contents": [
        {"role": "user", "parts": [{"text": question}]},
        {"role": "model", "parts": [{"text": answer}]},
    ]}) + "\n"


def local_job(project, data: str) -> None:
    project.write_file("data/train.jsonl", data)
    project.write_job("triage", baseModel="gemini-3.5-flash", trainingDataset="data/train.jsonl")


def test_a_local_data_set_is_uploaded_once_and_changed_data_replaces_the_job(
    start_emulator, make_project, storage_emulator
):
    emulator = start_emulator(quota=5)
    project = make_project(emulator)
    project.use_storage(storage_emulator.url, storage_emulator.bucket)
    data = example("My invoice is wrong", "billing")
    local_job(project, data)

    project.up()
    [job] = jobs_named(emulator, "triage")
    [(name, blob)] = storage_emulator.objects().items()
    uploaded_generation = blob.generation
    assert job.supervised_tuning_spec.training_dataset_uri == f"gs://e2e-datasets/{name}"
    assert name.startswith("datasets/") and name.endswith("/train.jsonl")
    assert blob.download_as_text() == data

    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert {n: b.generation for n, b in storage_emulator.objects().items()} == {name: uploaded_generation}
    assert len(vertex_jobs(emulator)) == 1

    local_job(project, data + example("The app crashes", "bugs"))
    project.up()

    old, new = jobs_named(emulator, "triage")
    assert state_of(old) in ("CANCELLING", "CANCELLED")
    assert new.supervised_tuning_spec.training_dataset_uri != old.supervised_tuning_spec.training_dataset_uri
    assert len(storage_emulator.objects()) == 2


def test_a_broken_local_data_set_stops_preview_and_nothing_is_uploaded_or_submitted(
    start_emulator, make_project, storage_emulator
):
    emulator = start_emulator()
    project = make_project(emulator)
    project.use_storage(storage_emulator.url, storage_emulator.bucket)
    local_job(project, example("a", "b") + '{"contents": [{"role": "user", "parts": [{"text": "x"}]}]}\n')

    result = project.run("preview", check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "jobs/triage.yaml: trainingDataset: data/train.jsonl: line 2:" in output
    assert "Traceback" not in output
    assert vertex_jobs(emulator) == [] and storage_emulator.objects() == {}


def test_a_data_set_path_outside_the_repository_is_refused(start_emulator, make_project):
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", baseModel="gemini-3.5-flash",
                      trainingDataset="../../../../etc/passwd.jsonl")

    result = project.run("preview", check=False)

    assert result.returncode != 0
    assert ("jobs/triage.yaml: trainingDataset: '../../../../etc/passwd.jsonl' is outside the repository"
            in result.stdout + result.stderr)
    assert vertex_jobs(emulator) == []


def test_vertex_fails_a_job_whose_cloud_storage_data_set_is_bad(
    start_emulator, make_project, storage_emulator
):
    emulator = start_emulator(job_seconds=30, quota=5, storage_url=storage_emulator.url)
    project = make_project(emulator)
    bucket = storage_emulator.client().bucket(storage_emulator.bucket)
    bucket.blob("good.jsonl").upload_from_string(example("a", "b"))
    bucket.blob("bad.jsonl").upload_from_string(example("a", "b") + '{"contents": []}\n')
    for name, data in (("good", "good.jsonl"), ("bad", "bad.jsonl"), ("missing", "missing.jsonl")):
        project.write_job(name, baseModel="gemini-3.5-flash",
                          trainingDataset=f"gs://e2e-datasets/{data}")

    project.up()
    # As Vertex does, the emulator fails a job with a bad data set once it starts, not at create.
    assert {state_of(j) for j in vertex_jobs(emulator)} == {"PENDING"}
    wait_for(lambda: {j.labels["gt-job"]: state_of(j) for j in vertex_jobs(emulator)},
             lambda states: states["bad"] == states["missing"] == "FAILED", timeout=30)
    project.run("refresh", "--yes", "--skip-preview", "--run-program")

    outputs = project.outputs()["jobs"]
    assert outputs["good"]["us-central1"]["state"] in ("PENDING", "RUNNING")
    assert outputs["bad"]["us-central1"]["state"] == "FAILED"
    assert outputs["bad"]["us-central1"]["error"] == (
        "INVALID_ARGUMENT: Dataset validation failed for gs://e2e-datasets/bad.jsonl: "
        "line 2: an example needs a non-empty 'contents' list.")
    assert outputs["bad"]["us-central1"]["statusMessage"] == (
        "the tuning job failed: " + outputs["bad"]["us-central1"]["error"])
    assert outputs["missing"]["us-central1"]["state"] == "FAILED"
    assert "does not exist" in outputs["missing"]["us-central1"]["error"]
    # A failed job is not submitted again by the next run.
    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert len(vertex_jobs(emulator)) == 3
