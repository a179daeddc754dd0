"""The serving-endpoint provider's verbs against the emulator, without the Pulumi engine."""

from __future__ import annotations

import json

import pytest
from google.cloud.aiplatform_v1 import Endpoint

from providers.resources.serving_endpoint import DEPLOY_REFUSED, WAITING_FOR_TUNING, ServingEndpointProvider
from providers.resources.tuning_job import TuningJobProvider
from tests.support.polling import wait_for

STACK_ID = "0123456789ab"


@pytest.fixture
def emulator(start):
    return start(job_seconds=600)


def props(**changes) -> dict:
    return {"job_file": "jobs/triage.yaml", "job_name": "triage", "display_name": "triage",
            "canary_percent": 0, "deletion_policy": "delete", "tuned_model": "", "labels": {"team": "support"},
            "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning",
            "stack": "dev", "stack_id": STACK_ID, **changes}


def created_labels(emulator) -> dict:
    [endpoint] = endpoints(emulator)
    return dict(endpoint.labels)


def endpoints(emulator) -> list:
    return list(emulator.endpoint_client().list_endpoints(parent="projects/p/locations/us-central1"))


def test_create_makes_one_labelled_endpoint_that_waits_for_tuning(emulator):
    created = ServingEndpointProvider().create(props())

    [endpoint] = endpoints(emulator)
    assert created.outs["endpoint_name"] == endpoint.name
    assert created.outs["status"] == WAITING_FOR_TUNING
    assert dict(endpoint.labels) == {"team": "support", "gt-managed-by": "gemini-tuning", "gt-stack": "dev",
                                     "gt-stack-id": STACK_ID, "gt-job": "triage", "gt-role": "serving"}


def test_an_endpoint_made_before_stacks_had_ids_gets_the_id_on_its_next_update(emulator):
    from google.cloud.aiplatform_v1 import Endpoint
    from google.protobuf import field_mask_pb2

    created = ServingEndpointProvider().create(props())
    # As the first release made it: the same labels but the stack id.
    first_release_labels = {k: v for k, v in created_labels(emulator).items() if k != "gt-stack-id"}
    emulator.endpoint_client().update_endpoint(
        endpoint=Endpoint(name=created.outs["endpoint_name"], labels=first_release_labels),
        update_mask=field_mask_pb2.FieldMask(paths=["labels"]))
    legacy = {**created.outs, "stack_id": None}

    ServingEndpointProvider().update(created.id, legacy, props())

    [endpoint] = endpoints(emulator)
    assert endpoint.name == created.outs["endpoint_name"]
    assert endpoint.labels["gt-stack-id"] == STACK_ID


def test_an_endpoint_of_another_stack_with_the_same_names_is_not_adopted(emulator):
    other = ServingEndpointProvider().create(props(stack_id="another-stack-id"))
    mine = ServingEndpointProvider().create(props())

    assert mine.outs["endpoint_name"] != other.outs["endpoint_name"]
    assert len(endpoints(emulator)) == 2


def test_a_refused_deploy_is_reported_once_and_never_tried_again(start, tmp_path):
    log = tmp_path / "rpc.jsonl"
    emulator = start(job_seconds=0.5, refuse_tuned_model_deploy=True, rpc_log=log)
    job_inputs = TuningJobProvider().check({}, {
        "job_file": "jobs/triage.yaml", "job_name": "triage", "project": "p", "region": "us-central1",
        "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": STACK_ID,
        "spec_json": json.dumps({"name": "triage", "baseModel": "gemini-3.5-flash",
                                 "trainingDataset": "gs://b/t.jsonl"})}).inputs
    job = TuningJobProvider().create(job_inputs)
    tuned = wait_for(lambda: emulator.tuning_client().get_tuning_job(name=job.outs["vertex_job_name"]),
                     lambda j: j.state.name == "JOB_STATE_SUCCEEDED", timeout=30).tuned_model.model

    created = ServingEndpointProvider().create(props(tuned_model=tuned))
    again = ServingEndpointProvider().diff(created.id, created.outs, props(tuned_model=tuned))

    assert created.outs["status"] == DEPLOY_REFUSED
    assert created.outs["failure"].startswith(f"jobs/triage.yaml: us-central1: deploying {tuned} to ")
    assert "Vertex AI refused to deploy the tuned model" in created.outs["failure"]
    assert again.changes is False
    deploys = [json.loads(line) for line in log.read_text().splitlines()
               if json.loads(line)["method"] == "DeployModel"]
    assert len(deploys) == 1


def test_a_second_create_adopts_the_endpoint_instead_of_making_another(emulator):
    first = ServingEndpointProvider().create(props())
    second = ServingEndpointProvider().create(props())

    assert second.outs["endpoint_name"] == first.outs["endpoint_name"]
    assert len(endpoints(emulator)) == 1


def test_with_label_filters_finding_nothing_a_second_create_still_adopts_the_endpoint(start):
    emulator = start(job_seconds=600, label_filters_find_nothing=True)
    first = ServingEndpointProvider().create(props())
    second = ServingEndpointProvider().create(props())

    assert second.outs["endpoint_name"] == first.outs["endpoint_name"]
    assert len(endpoints(emulator)) == 1


def test_an_endpoint_id_someone_else_has_is_not_adopted_and_the_next_run_takes_a_new_id(emulator):
    # Vertex answers ALREADY_EXISTS for the id of ours a create was sent with: the endpoint
    # with that id is another stack's.
    client = emulator.endpoint_client()
    foreign_labels = {"gt-managed-by": "gemini-tuning", "gt-stack": "dev", "gt-stack-id": "another-stack",
                      "gt-job": "triage", "gt-role": "serving"}
    client.create_endpoint(parent="projects/p/locations/us-central1", endpoint_id="123456789",
                           endpoint=Endpoint(display_name="theirs", labels=foreign_labels)).result(timeout=30)
    [foreign] = endpoints(emulator)

    refused = ServingEndpointProvider().update("id", {**props(), "creating_endpoint": foreign.name}, props())
    again = ServingEndpointProvider().update("id", refused.outs, props())

    assert "ALREADY_EXISTS" in refused.outs["failure"] and "is not this stack's" in refused.outs["failure"]
    assert refused.outs["failure"].startswith("jobs/triage.yaml: us-central1: creating the serving endpoint: ")
    assert refused.outs["creating_endpoint"] == "" and not refused.outs.get("endpoint_name")
    assert dict(client.get_endpoint(name=foreign.name).labels) == foreign_labels, "left as it is"
    assert again.outs["failure"] == ""
    assert again.outs["endpoint_name"] != foreign.name
    assert dict(client.get_endpoint(name=again.outs["endpoint_name"]).labels)["gt-stack-id"] == STACK_ID


def test_a_recorded_operation_vertex_no_longer_knows_is_reported_not_fatal(emulator):
    created = ServingEndpointProvider().create(props())
    lost = f"{created.outs['endpoint_name']}/operations/999"

    updated = ServingEndpointProvider().update(created.id, {**created.outs, "pending_operation": lost},
                                               props())

    assert updated.outs["pending_operation"] == ""
    assert "999" in updated.outs["error"]
    assert updated.outs["status"] == WAITING_FOR_TUNING


def test_delete_finds_an_endpoint_whose_creation_was_never_recorded(emulator):
    ServingEndpointProvider().create(props())

    ServingEndpointProvider().delete("id", {**props(), "endpoint_name": ""})

    assert endpoints(emulator) == []


def test_delete_keeps_a_retained_endpoint(emulator):
    created = ServingEndpointProvider().create(props(deletion_policy="retain"))

    ServingEndpointProvider().delete(created.id, created.outs)

    assert [e.name for e in endpoints(emulator)] == [created.outs["endpoint_name"]]
