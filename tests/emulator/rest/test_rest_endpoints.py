"""Endpoints, models and their long-running operations over REST, with curl-shaped calls and GAPIC's REST transport."""

from __future__ import annotations

from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1 import (
    DeployedModel,
    Endpoint,
    EndpointServiceClient,
    GenAiTuningServiceClient,
    ModelServiceClient,
)

from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS
from tests.emulator.rest.conftest import RestEmulator
from tests.emulator.scenarios import QUICK_POLLING, new_endpoint, tuned_job
from tests.support.polling import wait_for


def rest_transport_options(rest: RestEmulator) -> dict[str, Any]:
    """What makes an unmodified GAPIC client use the emulator's REST surface: its URL, no Google sign-in."""
    return {
        "transport": "rest",
        "client_options": ClientOptions(api_endpoint=rest.url),
        "credentials": AnonymousCredentials(),
    }


def finish_over_rest(rest: RestEmulator, operation: dict[str, Any], version: str = "v1") -> dict[str, Any]:
    """Poll GET .../operations/ID over REST until it is done; the done operation."""
    return wait_for(lambda: rest.http.get(f"{version}/{operation['name']}").json, lambda polled: polled.get("done"))


def test_create_endpoint_is_an_operation_polled_over_rest_to_the_endpoint(rest: RestEmulator) -> None:
    started = rest.http.post(f"v1/{PARENT}/endpoints", {"displayName": "serving", "labels": {"team": "nlp"}}).json

    done = finish_over_rest(rest, started)

    assert "done" not in started
    assert started["metadata"]["@type"] == "type.googleapis.com/google.cloud.aiplatform.v1.CreateEndpointOperationMetadata"
    assert done["response"]["@type"] == "type.googleapis.com/google.cloud.aiplatform.v1.Endpoint"
    name = done["response"]["name"]
    assert started["name"].startswith(f"{name}/operations/")
    assert rest.http.get(f"v1/{name}").json["displayName"] == "serving"
    assert rest.local.endpoints.get_endpoint(name=name).labels == {"team": "nlp"}


def test_v1beta1_operations_name_v1beta1_types(rest: RestEmulator) -> None:
    started = rest.http.post(f"v1beta1/{PARENT}/endpoints", {"displayName": "serving"}).json

    done = finish_over_rest(rest, started, "v1beta1")

    prefix = "type.googleapis.com/google.cloud.aiplatform.v1beta1."
    assert (started["metadata"]["@type"], done["response"]["@type"]) == (
        f"{prefix}CreateEndpointOperationMetadata", f"{prefix}Endpoint")


def test_a_deploy_over_gapics_rest_transport_is_polled_to_done(rest: RestEmulator) -> None:
    model = tuned_job(rest.local).tuned_model.model
    endpoint = new_endpoint(rest.local).name
    client = EndpointServiceClient(**rest_transport_options(rest))

    operation = client.deploy_model(endpoint=endpoint, deployed_model=DeployedModel(model=model))
    deployed = operation.result(polling=QUICK_POLLING).deployed_model

    assert deployed.model == model.split("@")[0]
    served = rest.local.endpoints.get_endpoint(name=endpoint)
    assert [d.id for d in served.deployed_models] == [deployed.id]
    assert dict(served.traffic_split) == {deployed.id: 100}


def test_update_undeploy_and_delete_an_endpoint_with_curl_shaped_calls(rest: RestEmulator) -> None:
    job = tuned_job(rest.local)
    endpoint = job.tuned_model.endpoint
    deployed_id = rest.http.get(f"v1/{endpoint}").json["deployedModels"][0]["id"]

    renamed = rest.http.call("PATCH", f"v1/{endpoint}?updateMask=displayName", {"displayName": "renamed"})
    undeployed = finish_over_rest(
        rest, rest.http.post(f"v1/{endpoint}:undeployModel", {"deployedModelId": deployed_id}).json)
    deleted = finish_over_rest(rest, rest.http.call("DELETE", f"v1/{endpoint}").json)

    assert (renamed.status, renamed.json["displayName"]) == (200, "renamed")
    assert "error" not in undeployed and "error" not in deleted
    assert rest.http.get(f"v1/{endpoint}").status == 404


def test_models_are_got_listed_and_deleted_over_rest(rest: RestEmulator) -> None:
    job = tuned_job(rest.local, labels={"team": "nlp"})
    model = job.tuned_model.model.split("@")[0]
    endpoint = job.tuned_model.endpoint
    deployed_id = rest.local.endpoints.get_endpoint(name=endpoint).deployed_models[0].id

    pinned = rest.http.get(f"v1/{job.tuned_model.model}").json
    listed = rest.http.get(f"v1/{PARENT}/models?filter=labels.team%3Dnlp").json
    refused = rest.http.call("DELETE", f"v1/{model}")
    finish_over_rest(rest, rest.http.post(f"v1/{endpoint}:undeployModel", {"deployedModelId": deployed_id}).json)
    deleted = finish_over_rest(rest, rest.http.call("DELETE", f"v1/{model}").json)

    assert pinned["name"] == model and pinned["versionId"] == "1"
    assert [listed_model["name"] for listed_model in listed["models"]] == [model]
    assert (refused.status, refused.json["error"]["status"]) == (400, "FAILED_PRECONDITION")
    assert "error" not in deleted
    assert rest.http.get(f"v1/{model}").status == 404


def test_gapic_rest_clients_list_what_grpc_created(rest: RestEmulator) -> None:
    job = tuned_job(rest.local)

    jobs = GenAiTuningServiceClient(**rest_transport_options(rest)).list_tuning_jobs(parent=PARENT)
    models = ModelServiceClient(**rest_transport_options(rest)).list_models(parent=PARENT)

    assert [listed.name for listed in jobs] == [job.name]
    assert [listed.name for listed in models] == [job.tuned_model.model.split("@")[0]]


def test_a_job_created_by_gapics_rest_transport_succeeds(rest: RestEmulator) -> None:
    client = GenAiTuningServiceClient(**rest_transport_options(rest))

    created = client.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
    rest.local.advance(JOB_SECONDS)

    assert client.get_tuning_job(name=created.name).tuned_model.endpoint
    assert rest.local.tuning.get_tuning_job(name=created.name).labels == {"team": "support"}
