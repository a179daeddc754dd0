"""A crashed emulator (kill -9) restarted on the same state file loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import DeployedModel, DeployModelResponse, Endpoint, JobState, TuningJob

from tests.emulator.builders import OTHER_PARENT, PARENT, tuning_job
from tests.emulator.scenarios import QUICK_POLLING
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for


def resource_id(name: str) -> int:
    return int(name.rsplit("/", 1)[1].split("@")[0])


def test_jobs_models_and_endpoints_survive_kill_9(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorProcess(state_file, job_seconds=0.5, quota=5, cancel_seconds=0) as first:
        tuning = first.tuning_client()
        succeeded = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        wait_for(
            lambda: tuning.get_tuning_job(name=succeeded.name),
            lambda job: job.state == JobState.JOB_STATE_SUCCEEDED,
        )
        cancelled = tuning.create_tuning_job(parent=OTHER_PARENT, tuning_job=tuning_job())
        tuning.cancel_tuning_job(name=cancelled.name)
        tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        before = {parent: list(tuning.list_tuning_jobs(parent=parent)) for parent in (PARENT, OTHER_PARENT)}
        finished = before[PARENT][0]
        model = first.model_client().get_model(name=finished.tuned_model.model)
        endpoint = first.endpoint_client().get_endpoint(name=finished.tuned_model.endpoint)
        first.kill()

    # A long job duration freezes the still-active job where it was at the crash.
    with EmulatorProcess(state_file, job_seconds=3600, quota=5) as second:
        tuning = second.tuning_client()
        after = {parent: list(tuning.list_tuning_jobs(parent=parent)) for parent in (PARENT, OTHER_PARENT)}
        assert after == before
        assert [job.state for job in after[PARENT] + after[OTHER_PARENT]] == [
            JobState.JOB_STATE_SUCCEEDED,
            before[PARENT][1].state,
            JobState.JOB_STATE_CANCELLED,
        ]
        assert second.model_client().get_model(name=finished.tuned_model.model) == model
        assert second.endpoint_client().get_endpoint(name=finished.tuned_model.endpoint) == endpoint

        new: TuningJob = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        old_ids = [resource_id(job.name) for jobs in before.values() for job in jobs]
        old_ids += [resource_id(model.name), resource_id(endpoint.name), int(endpoint.deployed_models[0].id)]
        assert resource_id(new.name) > max(old_ids)


def test_an_operation_survives_kill_9_and_takes_effect_exactly_once(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorProcess(state_file, job_seconds=0.5) as first:
        tuning, endpoints = first.tuning_client(), first.endpoint_client()
        created = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())
        job = wait_for(
            lambda: tuning.get_tuning_job(name=created.name),
            lambda job: job.state == JobState.JOB_STATE_SUCCEEDED,
        )
        endpoint = endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="canary")).result(
            polling=QUICK_POLLING
        )
        deploying = endpoints.deploy_model(
            endpoint=endpoint.name, deployed_model=DeployedModel(model=job.tuned_model.model)
        ).operation.name
        assert not first.operations_client().get_operation(name=deploying).done, "the first of two polls"
        first.kill()

    # The completing poll happens, but its answer is lost, and the emulator crashes once more.
    with EmulatorProcess(state_file, faults=["unavailable:GetOperation:1:after"]) as second:
        endpoints = second.endpoint_client()
        assert list(endpoints.get_endpoint(name=endpoint.name).deployed_models) == []
        with pytest.raises(exceptions.ServiceUnavailable):
            second.operations_client().get_operation(name=deploying, retry=None)
        [deployed] = endpoints.get_endpoint(name=endpoint.name).deployed_models
        second.kill()

    with EmulatorProcess(state_file) as third:
        done = third.operations_client().get_operation(name=deploying)
        assert done.done
        assert DeployModelResponse.deserialize(done.response.value).deployed_model == deployed
        serving = third.endpoint_client().get_endpoint(name=endpoint.name)
        assert list(serving.deployed_models) == [deployed]
        assert dict(serving.traffic_split) == {deployed.id: 100}
        model = third.model_client().get_model(name=job.tuned_model.model)
        assert [ref.endpoint for ref in model.deployed_models] == [job.tuned_model.endpoint, endpoint.name]
