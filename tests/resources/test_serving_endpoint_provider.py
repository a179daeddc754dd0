"""The serving-endpoint provider's verbs against the emulator, without the Pulumi engine."""

from __future__ import annotations

import pytest

from providers.resources.serving_endpoint import WAITING_FOR_TUNING, ServingEndpointProvider
from tests.support.emulator_process import EmulatorProcess


@pytest.fixture
def emulator(tmp_path, monkeypatch):
    process = EmulatorProcess(tmp_path / "state.json", job_seconds=600).start()
    monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", process.host)
    yield process
    process.stop()


def props(**changes) -> dict:
    return {"job_file": "jobs/triage.yaml", "job_name": "triage", "display_name": "triage",
            "canary_percent": 0, "deletion_policy": "delete", "tuned_model": "",
            "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning",
            "stack": "dev", **changes}


def endpoints(emulator) -> list:
    return list(emulator.endpoint_client().list_endpoints(parent="projects/p/locations/us-central1"))


def test_create_makes_one_labelled_endpoint_that_waits_for_tuning(emulator):
    created = ServingEndpointProvider().create(props())

    [endpoint] = endpoints(emulator)
    assert created.outs["endpoint_name"] == endpoint.name
    assert created.outs["status"] == WAITING_FOR_TUNING
    assert endpoint.labels["gt-role"] == "serving" and endpoint.labels["gt-job"] == "triage"


def test_a_second_create_adopts_the_endpoint_instead_of_making_another(emulator):
    first = ServingEndpointProvider().create(props())
    second = ServingEndpointProvider().create(props())

    assert second.outs["endpoint_name"] == first.outs["endpoint_name"]
    assert len(endpoints(emulator)) == 1


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
