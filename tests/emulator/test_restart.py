"""A crashed emulator (kill -9) restarted on the same state file loses nothing."""

from __future__ import annotations

from pathlib import Path

from google.cloud.aiplatform_v1 import JobState, TuningJob

from tests.emulator.builders import OTHER_PARENT, PARENT, tuning_job
from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for


def resource_id(name: str) -> int:
    return int(name.rsplit("/", 1)[1].split("@")[0])


def test_jobs_models_and_endpoints_survive_kill_9(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorProcess(state_file, job_seconds=0.5, quota=5) as first:
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
