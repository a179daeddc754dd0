"""The earlier versions of a job, against the emulator: nothing runs unseen, nothing goes offline early."""

from __future__ import annotations

import json

import pytest
from google.api_core import exceptions as core_exceptions

from providers.gcp.budget import Budget
from providers.gcp.vertex import VertexClient
from providers.resources.endpoints import empty_and_delete_endpoint
from providers.resources.tuning_history import TuningHistoryProvider
from providers.resources.tuning_job import TuningJobProvider
from tests.support.polling import wait_for

STACK_ID = "0123456789ab"
SPEC = {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://b/t.jsonl"}


def job_inputs(stack_id: str = STACK_ID, **changes) -> dict:
    return TuningJobProvider().check({}, {
        "job_file": "jobs/triage.yaml", "job_name": "triage", "project": "p", "region": "us-central1",
        "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": stack_id,
        "spec_json": json.dumps({**SPEC, **changes})}).inputs


def history(current: dict, policy: str = "delete", **changes) -> dict:
    return {"job_file": "jobs/triage.yaml", "job_name": "triage", "deletion_policy": policy,
            "current_job": current.get("vertex_job_name") or "", "current_state": current.get("state") or "",
            "current_spec": current["spec_hash"], "current_endpoint": current.get("tuned_model_endpoint") or "",
            "project": "p", "region": "us-central1",
            "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": STACK_ID, **changes}


def succeeded(emulator, outs: dict) -> dict:
    job = wait_for(lambda: emulator.tuning_client().get_tuning_job(name=outs["vertex_job_name"]),
                   lambda j: j.state.name == "JOB_STATE_SUCCEEDED", timeout=30)
    # With intermediate checkpoints, Vertex deploys each checkpoint to an endpoint of its own.
    endpoints = sorted({job.tuned_model.endpoint, *(c.endpoint for c in job.tuned_model.checkpoints)})
    return {**outs, "state": "SUCCEEDED", "tuned_model": job.tuned_model.model,
            "tuned_model_endpoint": job.tuned_model.endpoint, "all_endpoints": endpoints}


def endpoint_exists(emulator, name: str) -> bool:
    try:
        emulator.endpoint_client().get_endpoint(name=name)
    except core_exceptions.NotFound:
        return False
    return True


@pytest.mark.parametrize(("policy", "kept"), [("delete", False), ("retain", True)])
def test_the_old_tuned_model_endpoint_stays_until_its_replacement_succeeded(start, policy, kept):
    emulator = start(job_seconds=2, quota=2)
    old = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    new_created = TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs

    training = TuningHistoryProvider().create(history(new_created, policy))
    assert endpoint_exists(emulator, old["tuned_model_endpoint"])
    assert training.outs["earlier_jobs"] == [{
        "name": old["vertex_job_name"], "spec": old["spec_hash"], "state": "SUCCEEDED",
        "tunedModelEndpoint": old["tuned_model_endpoint"],
        "checkpointEndpoints": [e for e in old["all_endpoints"] if e != old["tuned_model_endpoint"]]}]

    new = succeeded(emulator, new_created)
    diff = TuningHistoryProvider().diff(training.id, training.outs, history(new, policy))
    updated = TuningHistoryProvider().update(training.id, training.outs, history(new, policy))

    assert diff.changes is (not kept)  # with `retain` there is nothing to do
    assert len(old["all_endpoints"]) > 1  # one per checkpoint: every one of them goes
    assert [endpoint_exists(emulator, e) for e in old["all_endpoints"]] == [kept] * len(old["all_endpoints"])
    assert all(endpoint_exists(emulator, e) for e in new["all_endpoints"])
    assert sorted(updated.outs["retired_endpoints"]) == ([] if kept else old["all_endpoints"])


def test_an_earlier_version_still_running_is_cancelled_and_the_run_says_so(start):
    # A run submitted this job and died before recording it; the spec was edited since.
    emulator = start(job_seconds=600, quota=2, cancel_seconds=0)
    stale = TuningJobProvider().create(job_inputs()).outs
    current = TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs

    result = TuningHistoryProvider().create(history(current))

    states = {j.name: j.state.name for j in emulator.tuning_client().list_tuning_jobs(
        parent="projects/p/locations/us-central1")}
    assert states == {stale["vertex_job_name"]: "JOB_STATE_CANCELLED",
                      current["vertex_job_name"]: "JOB_STATE_PENDING"}
    assert f"cancelled {stale['vertex_job_name']}" in result.outs["status_message"]


def test_another_stacks_jobs_with_the_same_names_are_never_touched(start):
    emulator = start(job_seconds=600, quota=2)
    theirs = TuningJobProvider().create(job_inputs(stack_id="another-stack-id")).outs
    mine = TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs

    result = TuningHistoryProvider().create(history(mine))
    TuningHistoryProvider().delete(result.id, result.outs)

    job = emulator.tuning_client().get_tuning_job(name=theirs["vertex_job_name"])
    assert job.state.name == "JOB_STATE_PENDING"
    assert result.outs["earlier_jobs"] == []


@pytest.mark.parametrize(("policy", "kept"), [("delete", False), ("retain", True)])
def test_removing_the_job_applies_the_policy_to_every_versions_endpoint(start, policy, kept):
    emulator = start(job_seconds=1, quota=2)
    first = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    second = succeeded(emulator, TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs)
    created = TuningHistoryProvider().create(history(second, "retain"))

    TuningHistoryProvider().delete(created.id, {**created.outs, "deletion_policy": policy})

    assert endpoint_exists(emulator, first["tuned_model_endpoint"]) is kept
    assert endpoint_exists(emulator, second["tuned_model_endpoint"]) is kept
    # Tuned models stay in the registry either way: a serving endpoint may route to them.
    assert emulator.model_client().get_model(name=second["tuned_model"].split("@")[0])


def test_a_read_sees_a_job_that_succeeded_despite_its_cancel(start):
    emulator = start(job_seconds=600, quota=2, cancel_seconds=1, cancel_outcome="succeeded")
    old = TuningJobProvider().create(job_inputs()).outs
    TuningJobProvider().delete("old", old)
    new = TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs
    created = TuningHistoryProvider().create(history(new))

    wait_for(lambda: emulator.tuning_client().get_tuning_job(name=old["vertex_job_name"]).state.name,
             lambda state: state == "JOB_STATE_SUCCEEDED", timeout=30)
    read = TuningHistoryProvider().read(created.id, created.outs)

    [earlier] = read.outs["earlier_jobs"]
    assert earlier["state"] == "SUCCEEDED" and earlier["tunedModelEndpoint"]
    # Once the new version succeeds, the policy (delete) retires that endpoint too.
    assert TuningHistoryProvider().diff(created.id, read.outs, history({**new, "state": "SUCCEEDED"})).changes


def test_earlier_endpoints_stay_while_the_current_versions_own_endpoint_does_not_serve(start):
    # A spec edit undone: the create adopts the old SUCCEEDED job, whose endpoint an earlier
    # run retired. The endpoint that serves now must not go.
    emulator = start(job_seconds=1, quota=2)
    first = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    second = succeeded(emulator, TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs)
    assert empty_and_delete_endpoint(VertexClient("p", "us-central1", Budget()), first["tuned_model_endpoint"])

    TuningHistoryProvider().create(history(first))

    assert endpoint_exists(emulator, second["tuned_model_endpoint"])


def test_a_twin_of_the_current_job_left_by_a_lost_answer_is_cancelled(start):
    emulator = start(job_seconds=600, quota=2, cancel_seconds=0)
    twin = TuningJobProvider().create(job_inputs()).outs
    # A retried submission whose first answer was lost: same labels, a second job.
    job = emulator.tuning_client().get_tuning_job(name=twin["vertex_job_name"])
    job.name = ""
    current = emulator.tuning_client().create_tuning_job(parent="projects/p/locations/us-central1", tuning_job=job)

    result = TuningHistoryProvider().create(history({**twin, "vertex_job_name": current.name}))

    states = {j.name: j.state.name for j in emulator.tuning_client().list_tuning_jobs(
        parent="projects/p/locations/us-central1")}
    assert states == {twin["vertex_job_name"]: "JOB_STATE_CANCELLED", current.name: "JOB_STATE_PENDING"}
    assert f"cancelled {twin['vertex_job_name']}" in result.outs["status_message"]


def settled(result, props: dict) -> bool:
    """Whether the next run's refresh and diff find nothing left to do (`--expect-no-changes`)."""
    read = TuningHistoryProvider().read(result.id, result.outs)
    return not TuningHistoryProvider().diff(result.id, read.outs, props).changes


def test_with_policy_delete_a_twins_endpoint_is_retired_and_the_history_settles(start):
    # `pulumi up --replace` of a SUCCEEDED job: the old job has the new one's spec.
    emulator = start(job_seconds=1, quota=2)
    old = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    job = emulator.tuning_client().get_tuning_job(name=old["vertex_job_name"])
    job.name = ""
    twin = emulator.tuning_client().create_tuning_job(parent="projects/p/locations/us-central1", tuning_job=job)
    current = succeeded(emulator, {**old, "vertex_job_name": twin.name})

    result = TuningHistoryProvider().create(history(current))

    # Its own endpoint and one per checkpoint, as the current version's: only the twin's go.
    assert len(old["all_endpoints"]) > 1
    assert [endpoint_exists(emulator, e) for e in old["all_endpoints"]] == [False] * len(old["all_endpoints"])
    assert all(endpoint_exists(emulator, e) for e in current["all_endpoints"])
    assert settled(result, history(current))


def test_with_policy_delete_a_history_whose_current_endpoint_does_not_serve_settles(start):
    # A spec edit undone: the create adopts the old SUCCEEDED job, whose endpoint an earlier
    # run retired; nothing can be retired until it serves, and nothing is to do meanwhile.
    emulator = start(job_seconds=1, quota=2)
    first = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    second = succeeded(emulator, TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs)
    assert empty_and_delete_endpoint(VertexClient("p", "us-central1", Budget()), first["tuned_model_endpoint"])

    result = TuningHistoryProvider().create(history(first))

    assert endpoint_exists(emulator, second["tuned_model_endpoint"])
    assert settled(result, history(first))
    # A new current version that serves is work again.
    assert TuningHistoryProvider().diff(result.id, result.outs, history(second)).changes


def test_an_earlier_versions_checkpoint_endpoints_left_behind_are_still_work(start):
    # A call's time ran out after an earlier version's default endpoint went, before its
    # checkpoints' endpoints: the next diff still sees them, and the update finishes.
    emulator = start(job_seconds=2, quota=2)
    old = succeeded(emulator, TuningJobProvider().create(job_inputs()).outs)
    new = succeeded(emulator, TuningJobProvider().create(job_inputs(hyperParameters={"epochCount": 5})).outs)
    assert empty_and_delete_endpoint(VertexClient("p", "us-central1", Budget()), old["tuned_model_endpoint"])
    left = [e for e in old["all_endpoints"] if e != old["tuned_model_endpoint"]]
    assert left

    read = TuningHistoryProvider().read("id", {**history(new), "earlier_jobs": [], "current_serves": True})
    assert TuningHistoryProvider().diff("id", read.outs, history(new)).changes
    updated = TuningHistoryProvider().update("id", read.outs, history(new))
    assert sorted(updated.outs["retired_endpoints"]) == left
    assert not any(endpoint_exists(emulator, e) for e in left)
    assert not TuningHistoryProvider().diff("id", updated.outs, history(new)).changes
