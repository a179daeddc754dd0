"""Serving endpoints when Vertex AI's answers are lost: retried safely, never made or deployed twice.

Each call that starts an operation (CreateEndpoint, DeployModel, UndeployModel,
DeleteEndpoint) is retried on a transient answer with the same ids of ours, so an attempt
that went through is found, not repeated. With `--operation-polls 0` an operation is done
when it starts, so an `after` fault is an operation that went through and whose answer
was lost; with the default an `after` fault leaves one Vertex would still be running.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import CreateResult

from providers.resources.serving_endpoint import SERVING, UPDATING, ServingEndpointProvider
from providers.resources.traffic import Undeploy, next_step
from tests.emulator.builders import tuning_job
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for

STACK_ID = "0123456789ab"
PARENT = "projects/p/locations/us-central1"


def props(**changes) -> dict:
    return {"job_file": "jobs/triage.yaml", "job_name": "triage", "display_name": "triage",
            "canary_percent": 0, "deletion_policy": "delete", "tuned_model": "", "labels": {},
            "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning",
            "stack": "dev", "stack_id": STACK_ID, **changes}


def endpoints(emulator) -> list:
    """The serving endpoints (Vertex makes one more per tuned model, of its own)."""
    listed = emulator.endpoint_client().list_endpoints(parent=PARENT)
    return [endpoint for endpoint in listed if endpoint.labels.get("gt-role") == "serving"]


def tuned_model(emulator) -> str:
    """The model of a tuning job that succeeded (submitted directly: not what is tested here)."""
    job = emulator.tuning_client().create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    return wait_for(lambda: emulator.tuning_client().get_tuning_job(name=job.name),
                    lambda j: j.state.name == "JOB_STATE_SUCCEEDED", timeout=30).tuned_model.model


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_create_endpoint_answer_lost_or_refused_is_retried_into_one_endpoint(start, when):
    emulator = start(operation_polls=0, faults=[f"unavailable:CreateEndpoint:2:{when}"])

    created = ServingEndpointProvider().create(props())

    [endpoint] = endpoints(emulator)
    assert created.outs["endpoint_name"] == endpoint.name and created.outs["failure"] == ""


def test_a_create_vertex_is_still_running_after_its_answer_was_lost_is_finished_by_a_later_run(start):
    # Vertex finishes the operation on its own (nobody knows its name to poll it).
    emulator = start(operation_seconds=1, faults=["unavailable:CreateEndpoint:1:after"])

    created = ServingEndpointProvider().create(props())

    # The retry with the same id is refused (it is being created): not a second endpoint.
    assert created.outs["status"] == UPDATING and created.outs["failure"] == ""
    assert created.outs["creating_endpoint"]
    assert ServingEndpointProvider().diff(created.id, created.outs, props()).changes is True
    outs = created.outs

    def next_run() -> dict:
        nonlocal outs
        outs = ServingEndpointProvider().update(created.id, outs, props()).outs
        return outs

    wait_for(next_run, lambda o: o["status"] != UPDATING, timeout=30)
    assert outs["endpoint_name"].rsplit("/", 1)[1] == created.outs["creating_endpoint"].rsplit("/", 1)[1]
    assert [e.name for e in endpoints(emulator)] == [outs["endpoint_name"]]
    assert outs["creating_endpoint"] == "" and outs["failure"] == ""


@pytest.mark.parametrize(("when", "polls"), [("before", None), ("after", None), ("after", 0)])
def test_a_deploy_answer_lost_or_refused_is_retried_and_the_model_deployed_once(start, tmp_path, when, polls):
    # Vertex finishes an operation on its own (nobody knows its name if its answer was lost).
    log = tmp_path / "rpc.jsonl"
    emulator = start(job_seconds=0.5, operation_polls=polls, operation_seconds=1, rpc_log=log,
                     faults=[f"unavailable:DeployModel:2:{when}"])
    model = tuned_model(emulator)

    created = ServingEndpointProvider().create(props(tuned_model=model))
    outs = created.outs

    def next_run() -> dict:
        nonlocal outs
        outs = ServingEndpointProvider().update(created.id, outs, props(tuned_model=model)).outs
        return outs

    if outs["status"] != SERVING:  # the deploy of a lost answer is still running
        wait_for(next_run, lambda o: o["status"] == SERVING, timeout=30)
    # Every deploy the runs started has finished (one started twice would show now).
    wait_for(lambda: (endpoints(emulator), emulator.pending_operations())[1], lambda n: n == 0, timeout=30)
    [endpoint] = endpoints(emulator)
    assert [d.model for d in endpoint.deployed_models] == [model.split("@")[0]]
    assert outs["failure"] == "" and outs["deploying_model"] == {}
    assert '"UndeployModel"' not in log.read_text(), "a second copy was deployed and had to go"


@pytest.mark.parametrize("method", ["UndeployModel", "DeleteEndpoint"])
def test_emptying_and_deleting_whose_answers_were_lost_finishes_in_one_call(start, method):
    emulator = start(job_seconds=0.5, operation_polls=0, faults=[f"unavailable:{method}:2:after"])
    created = ServingEndpointProvider().create(props(tuned_model=tuned_model(emulator)))

    ServingEndpointProvider().delete(created.id, created.outs)

    assert endpoints(emulator) == []


def test_a_model_deployed_twice_keeps_one_copy():
    model = "projects/p/locations/us-central1/models/m@1"
    assert next_step({"1": model, "2": model}, {"1": 0, "2": 100}, model, 0) == Undeploy("1", {"2": 100})


def waiting_endpoint(start) -> tuple[EmulatorProcess, str, CreateResult]:
    """An emulator with a tuned model, and a serving endpoint created before the model existed."""
    emulator = start(job_seconds=0.5)
    return emulator, tuned_model(emulator), ServingEndpointProvider().create(props())


def test_a_recorded_deploy_that_failed_meanwhile_is_reported_in_one_line_and_the_next_steps_go_on(
    start, monkeypatch
):
    first, model, waiting = waiting_endpoint(start)
    # Operations that never finish within a call: the deploy is recorded, still running.
    monkeypatch.setenv("GEMINI_TUNING_CALL_BUDGET_SECONDS", "10.5")
    slow = start(on_state_of=first, job_seconds=0.5, operation_polls=1_000_000)
    deploying = ServingEndpointProvider().update(waiting.id, waiting.outs, props(tuned_model=model))
    assert deploying.outs["status"] == UPDATING and deploying.outs["pending_operation"]
    # Meanwhile someone deletes the endpoint: the deploy fails when it completes.
    monkeypatch.delenv("GEMINI_TUNING_CALL_BUDGET_SECONDS")
    last = start(on_state_of=slow, job_seconds=0.5, operation_polls=1)
    deletion = last.endpoint_client().delete_endpoint(name=waiting.outs["endpoint_name"])
    deletion.result(timeout=10)

    updated = ServingEndpointProvider().update(waiting.id, deploying.outs, props(tuned_model=model))

    operation = deploying.outs["pending_operation"]
    assert updated.outs["failure"] == (
        f"jobs/triage.yaml: us-central1: finishing operation {operation}: NOT_FOUND: Endpoint "
        f"{waiting.outs['endpoint_name']} does not exist.; it was deleted outside this tool")
    [endpoint] = endpoints(last)
    assert updated.outs["endpoint_name"] == endpoint.name != waiting.outs["endpoint_name"]
    assert updated.outs["status"] == SERVING


def test_a_deploy_whose_progress_cannot_be_read_is_followed_by_the_next_run_not_started_again(
    start, tmp_path
):
    first, model, waiting = waiting_endpoint(start)
    # The deploy starts; reading its progress is refused once.
    log = tmp_path / "rpc.jsonl"
    second = start(on_state_of=first, job_seconds=0.5, rpc_log=log, operation_polls=3,
                   faults=["permission_denied:GetOperation:1"])
    deploying = ServingEndpointProvider().update(waiting.id, waiting.outs, props(tuned_model=model))
    assert deploying.outs["status"] == UPDATING and deploying.outs["pending_operation"]
    assert deploying.outs["failure"].startswith(f"jobs/triage.yaml: us-central1: deploying {model}")

    served = ServingEndpointProvider().update(waiting.id, deploying.outs, props(tuned_model=model))

    [endpoint] = endpoints(second)
    assert [d.model for d in endpoint.deployed_models] == [model.split("@")[0]]
    assert served.outs["status"] == SERVING and served.outs["failure"] == ""
    deploys = [line for line in log.read_text().splitlines() if '"DeployModel"' in line]
    assert len(deploys) == 1


def test_a_busy_endpoint_is_not_taken_for_a_refusal_of_the_model(start, monkeypatch):
    emulator = start(job_seconds=0.5, faults=["failed_precondition:DeployModel:1"])
    model = tuned_model(emulator)

    created = ServingEndpointProvider().create(props(tuned_model=model))

    assert "FAILED_PRECONDITION" in created.outs["failure"]
    assert created.outs["refused_model"] == "" and created.outs["status"] != "DEPLOY_REFUSED"
    updated = ServingEndpointProvider().update(created.id, created.outs, props(tuned_model=model))
    assert updated.outs["status"] == SERVING and updated.outs["failure"] == ""


def test_labels_others_put_on_the_endpoint_stay_and_labels_the_job_dropped_go(start):
    emulator = start()
    created = ServingEndpointProvider().create(props(labels={"team": "support", "tier": "gold"}))
    name = created.outs["endpoint_name"]
    client = emulator.endpoint_client()
    endpoint = client.get_endpoint(name=name)
    endpoint.labels["cost-center"] = "cc-42"
    client.update_endpoint(endpoint=endpoint, update_mask={"paths": ["labels"]})

    ServingEndpointProvider().update(created.id, created.outs, props(labels={"team": "support"}))

    labels = dict(client.get_endpoint(name=name).labels)
    assert labels["cost-center"] == "cc-42" and labels["team"] == "support"
    assert "tier" not in labels and labels["gt-stack-id"] == STACK_ID
