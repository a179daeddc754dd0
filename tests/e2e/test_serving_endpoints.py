"""End to end: serving endpoints per job and region keep serving while a replacement trains."""

from __future__ import annotations

import re

import pytest
from google.api_core import exceptions

from tests.e2e.test_tuning_jobs import REGIONS, flash_job, jobs_named, state_of
from tests.support.polling import wait_for


def served_job(**fields) -> dict:
    return flash_job(regions=list(REGIONS), serving={"displayName": "triage"}, **fields)


def wait_until_all_succeeded(emulator, job: str) -> list:
    def latest_per_region():
        jobs = jobs_named(emulator, job)
        return {j.name.split("/")[3]: j for j in jobs}
    return list(wait_for(latest_per_region,
                         lambda latest: len(latest) == len(REGIONS) and all(
                             state_of(j) == "SUCCEEDED" for j in latest.values()),
                         timeout=60).values())


def endpoint_traffic(emulator, endpoint_name: str) -> dict[str, int]:
    """model -> traffic share, as the emulator's endpoint reports it."""
    endpoint = emulator.endpoint_client().get_endpoint(name=endpoint_name)
    models = {d.id: f"{d.model}@{d.model_version_id}" for d in endpoint.deployed_models}
    assert set(endpoint.traffic_split) == set(models), "traffic only to deployed models"
    return {models[i]: share for i, share in endpoint.traffic_split.items()}


def test_a_two_region_job_serves_and_keeps_serving_while_its_replacement_trains(
    start_emulator, make_project
):
    emulator = start_emulator(job_seconds=3, quota=2)
    project = make_project(emulator)
    project.write_job("triage", **served_job())

    project.up()
    first_jobs = wait_until_all_succeeded(emulator, "triage")
    project.up()

    outputs = project.outputs()["jobs"]["triage"]
    assert set(outputs) == set(REGIONS)
    for job in first_jobs:
        region = job.name.split("/")[3]
        out = outputs[region]
        assert out["state"] == "SUCCEEDED"
        assert out["tunedModel"] == job.tuned_model.model
        assert out["tunedModelEndpoint"] == job.tuned_model.endpoint
        assert re.fullmatch(rf"projects/\d+/locations/{region}/endpoints/\d+", out["servingEndpoint"])
        assert out["servingEndpoint"] != out["tunedModelEndpoint"]
        assert out["trafficSplit"] == {job.tuned_model.model: 100}
        assert endpoint_traffic(emulator, out["servingEndpoint"]) == {job.tuned_model.model: 100}
    serving = {region: outputs[region]["servingEndpoint"] for region in REGIONS}

    # A new version: while it trains, the serving endpoints keep the old model.
    project.write_job("triage", **served_job(hyperParameters={"epochCount": 3}))
    project.up()
    for job in first_jobs:
        region = job.name.split("/")[3]
        assert endpoint_traffic(emulator, serving[region]) == {job.tuned_model.model: 100}
    assert project.outputs()["jobs"]["triage"]["us-central1"]["servingStatus"] == "WAITING_FOR_TUNING"

    second_jobs = [j for j in wait_until_all_succeeded(emulator, "triage")]
    project.up()

    outputs = project.outputs()["jobs"]["triage"]
    for job in second_jobs:
        region = job.name.split("/")[3]
        assert outputs[region]["servingEndpoint"] == serving[region], "the serving endpoint's name never changes"
        assert endpoint_traffic(emulator, serving[region]) == {job.tuned_model.model: 100}
        assert outputs[region]["trafficSplit"] == {job.tuned_model.model: 100}
        assert outputs[region]["servingStatus"] == "SERVING"
    # The old tuned models still exist: nothing deletes a model a serving endpoint used.
    for job in first_jobs:
        assert emulator.model_client().get_model(name=job.tuned_model.model.split("@")[0]).name


def test_a_canary_gets_exactly_its_share_until_promoted(start_emulator, make_project):
    emulator = start_emulator(job_seconds=3, quota=2)
    project = make_project(emulator)
    job = flash_job(serving={"displayName": "triage", "canaryPercent": 10})
    project.write_job("triage", **job)
    project.up()
    [old] = wait_for(lambda: jobs_named(emulator, "triage"),
                     lambda jobs: state_of(jobs[-1]) == "SUCCEEDED", timeout=60)
    project.up()
    endpoint = project.job_output("triage")["servingEndpoint"]
    assert endpoint_traffic(emulator, endpoint) == {old.tuned_model.model: 100}

    project.write_job("triage", **{**job, "hyperParameters": {"epochCount": 3}})
    project.up()
    new = wait_for(lambda: jobs_named(emulator, "triage")[-1], lambda j: state_of(j) == "SUCCEEDED", timeout=60)
    project.up()
    assert endpoint_traffic(emulator, endpoint) == {old.tuned_model.model: 90, new.tuned_model.model: 10}
    assert project.job_output("triage")["servingStatus"] == "CANARY"

    project.write_job("triage", **{**job, "hyperParameters": {"epochCount": 3},
                                   "serving": {"displayName": "triage", "canaryPercent": 30}})
    project.up()
    assert endpoint_traffic(emulator, endpoint) == {old.tuned_model.model: 70, new.tuned_model.model: 30}

    project.write_job("triage", **{**job, "hyperParameters": {"epochCount": 3},
                                   "serving": {"displayName": "triage"}})
    project.up()
    assert endpoint_traffic(emulator, endpoint) == {new.tuned_model.model: 100}


@pytest.mark.parametrize("policy", ["delete", "retain"])
def test_deleting_the_job_file_removes_or_keeps_its_serving_endpoint(start_emulator, make_project, policy):
    emulator = start_emulator(job_seconds=2, quota=2)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(serving={"deletionPolicy": policy}))
    project.write_job("other", **flash_job())
    project.up()
    wait_for(lambda: jobs_named(emulator, "triage"), lambda jobs: state_of(jobs[-1]) == "SUCCEEDED", timeout=60)
    project.up()
    endpoint = project.job_output("triage")["servingEndpoint"]

    project.remove_job("triage")
    project.up()

    if policy == "delete":
        with pytest.raises(exceptions.NotFound):
            emulator.endpoint_client().get_endpoint(name=endpoint)
    else:
        assert emulator.endpoint_client().get_endpoint(name=endpoint).deployed_models


def test_protected_serving_endpoints_survive_a_deleted_job_file_and_destroy_and_fail_no_run(
    start_emulator, make_project
):
    emulator = start_emulator(job_seconds=2, quota=2, cancel_seconds=0)
    project = make_project(emulator)
    project.run("config", "set", "gemini-tuning:protectServingEndpoints", "true")
    # The stack's setting wins over the file's policy, and says so.
    project.write_job("triage", **flash_job(serving={"deletionPolicy": "delete"}))
    project.write_job("other", **flash_job(serving={}))
    warned = project.up()
    assert ("jobs/triage.yaml: serving.deletionPolicy: delete has no effect in this stack: "
            "gemini-tuning:protectServingEndpoints keeps every serving endpoint") in warned.stdout
    wait_for(lambda: jobs_named(emulator, "triage"), lambda jobs: state_of(jobs[-1]) == "SUCCEEDED", timeout=60)
    project.up()
    endpoint = project.job_output("triage")["servingEndpoint"]
    other_endpoint = project.job_output("other")["servingEndpoint"]

    project.remove_job("triage")
    project.up()

    assert emulator.endpoint_client().get_endpoint(name=endpoint).deployed_models
    assert "triage" not in project.outputs()["jobs"]
    project.run("destroy", "--yes", "--skip-preview")
    assert emulator.endpoint_client().get_endpoint(name=endpoint).deployed_models
    assert emulator.endpoint_client().get_endpoint(name=other_endpoint)
