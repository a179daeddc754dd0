"""The tuning-job provider's verbs against the emulator, without the Pulumi engine.

These pin down the paid-job guarantees at the provider boundary: adopt instead of
resubmitting, queue instead of failing on quota, cancel on delete, observe on read.
"""

from __future__ import annotations

import json

import pytest

from providers.gcp import errors
from providers.resources.tuning_job import QUEUED, TuningJobProvider
from tests.support.emulator_process import EmulatorProcess

SPEC = {"name": "triage", "baseModel": "gemini-1.5-flash-002", "trainingDataset": "gs://b/t.jsonl"}


def inputs(region: str = "us-central1", **changes) -> dict:
    news = {
        "job_file": "jobs/triage.yaml", "spec_json": json.dumps({**SPEC, **changes}),
        "job_name": SPEC["name"], "project": "p", "region": region,
        "deletion_policy": changes.get("deletionPolicy", "retain"),
        "pulumi_project": "gemini-tuning", "stack": "dev",
    }
    result = TuningJobProvider().check({}, news)
    assert result.failures == []
    return result.inputs


@pytest.fixture
def start(tmp_path, monkeypatch):
    started = []

    def start_emulator(**kwargs) -> EmulatorProcess:
        emulator = EmulatorProcess(tmp_path / f"state-{len(started)}.json", **kwargs).start()
        started.append(emulator)
        monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", emulator.host)
        return emulator

    yield start_emulator
    for emulator in started:
        emulator.stop()


def all_jobs(emulator, region="us-central1"):
    return list(emulator.tuning_client().list_tuning_jobs(parent=f"projects/p/locations/{region}"))


def test_create_submits_with_labels_carrying_the_stable_key(start):
    emulator = start(job_seconds=600)
    props = inputs(labels={"team": "support"})

    result = TuningJobProvider().create(props)

    [job] = all_jobs(emulator)
    assert result.id == f"dev/triage/us-central1/{props['spec_hash']}"
    assert result.outs["vertex_job_name"] == job.name
    assert dict(job.labels) == {"team": "support", "gt-managed-by": "gemini-tuning",
                                "gt-stack": "dev", "gt-job": "triage", "gt-spec": props["spec_hash"]}
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size.name == "ADAPTER_SIZE_EIGHT"


def test_create_adopts_a_job_submitted_by_an_earlier_run(start):
    emulator = start(job_seconds=600)
    first = TuningJobProvider().create(inputs())

    second = TuningJobProvider().create(inputs())

    assert len(all_jobs(emulator)) == 1
    assert second.outs["vertex_job_name"] == first.outs["vertex_job_name"]


def test_create_whose_answer_was_lost_adopts_the_job_it_submitted(start):
    emulator = start(job_seconds=600, faults=["deadline_exceeded:CreateTuningJob:1:after"])

    result = TuningJobProvider().create(inputs())

    [job] = all_jobs(emulator)
    assert result.outs["vertex_job_name"] == job.name


def test_create_that_did_not_go_through_fails_without_submitting(start):
    emulator = start(faults=["unavailable:CreateTuningJob:1"])

    with pytest.raises(errors.TransientError):
        TuningJobProvider().create(inputs())

    assert all_jobs(emulator) == []


def test_create_past_the_quota_queues_and_a_later_update_submits(start):
    emulator = start(job_seconds=600, quota=1)
    running = TuningJobProvider().create(inputs(region="europe-west4"))

    queued = TuningJobProvider().create(inputs())
    assert queued.outs["state"] == QUEUED and queued.outs["vertex_job_name"] == ""
    assert all_jobs(emulator) == []

    TuningJobProvider().delete("id", running.outs)  # frees the slot
    updated = TuningJobProvider().update(queued.id, queued.outs, queued.outs)
    [job] = all_jobs(emulator)
    assert updated.outs["vertex_job_name"] == job.name
    assert updated.outs["state"] in ("PENDING", "RUNNING")


def test_vertex_rejection_fails_create_naming_the_job_file(start):
    start()
    props = inputs()
    props["adapter_size"] = 32  # past check: only Vertex can still say no

    with pytest.raises(errors.InvalidRequestError, match=r"^jobs/triage.yaml: Vertex AI rejected the tuning job for us-central1: .*adapter size"):
        TuningJobProvider().create(props)


def test_read_observes_and_delete_cancels_a_running_job(start):
    emulator = start(job_seconds=600)
    created = TuningJobProvider().create(inputs())

    TuningJobProvider().delete(created.id, created.outs)
    read = TuningJobProvider().read(created.id, created.outs)

    assert read.outs["state"] == "CANCELLED"
    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLED"]


def test_delete_of_a_finished_or_queued_job_changes_nothing(start):
    emulator = start(job_seconds=600)
    created = TuningJobProvider().create(inputs())
    emulator.tuning_client().cancel_tuning_job(name=created.outs["vertex_job_name"])

    TuningJobProvider().delete(created.id, created.outs)
    TuningJobProvider().delete("queued", {**inputs(region="europe-west4"), "state": QUEUED,
                                          "vertex_job_name": ""})

    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLED"]
    assert all_jobs(emulator, "europe-west4") == []


def test_read_of_a_job_vertex_does_not_know_drops_the_resource(start):
    start()
    props = {**inputs(), "state": "RUNNING",
             "vertex_job_name": "projects/p/locations/us-central1/tuningJobs/999"}

    assert TuningJobProvider().read("id", props).id is None


@pytest.mark.parametrize(("policy", "kept"), [("delete", False), ("retain", True)])
def test_deleting_a_succeeded_job_handles_its_tuned_model_endpoint_per_policy(start, policy, kept):
    from google.api_core import exceptions as core_exceptions
    from tests.support.polling import wait_for

    emulator = start(job_seconds=0.5)
    created = TuningJobProvider().create(inputs(deletionPolicy=policy))
    assert created.outs["deletion_policy"] == policy
    read = wait_for(lambda: TuningJobProvider().read(created.id, created.outs),
                    lambda r: r.outs["state"] == "SUCCEEDED", timeout=30)
    endpoint = read.outs["tuned_model_endpoint"]

    TuningJobProvider().delete(created.id, read.outs)

    endpoints = emulator.endpoint_client()
    if kept:
        assert endpoints.get_endpoint(name=endpoint).deployed_models
    else:
        with pytest.raises(core_exceptions.NotFound):
            endpoints.get_endpoint(name=endpoint)
    # The tuned model itself is never deleted: a serving endpoint may still route to it.
    assert emulator.model_client().get_model(name=read.outs["tuned_model"].split("@")[0])
