"""Checkpoints: one per epoch (about ten at most), each on an endpoint of its own, and deploying a chosen one."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import SupervisedHyperParameters, SupervisedTuningSpec, TuningJob

from emulator.checkpoints import PlannedCheckpoint, plan_checkpoints
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator
from tests.emulator.scenarios import deploy, new_endpoint, start_deploy


def spec(epochs: int, *, last_only: bool = False) -> SupervisedTuningSpec:
    return SupervisedTuningSpec(
        training_dataset_uri="gs://demo-bucket/train.jsonl",
        hyper_parameters=SupervisedHyperParameters(epoch_count=epochs),
        export_last_checkpoint_only=last_only,
    )


def finished(local: LocalEmulator, **fields: object) -> TuningJob:
    fields.setdefault("base_model", "gemini-2.5-flash")
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(**fields))
    local.advance(JOB_SECONDS)
    return local.tuning.get_tuning_job(name=job.name)


@pytest.mark.parametrize(
    ("epochs", "steps", "intermediate", "expected"),
    [
        (3, 5, True, [("1", 1, 5), ("2", 2, 10), ("3", 3, 15)]),
        (1, 7, True, [("1", 1, 7)]),
        (10, 1, True, [(str(n), n, n) for n in range(1, 11)]),
        (15, 2, True, [(str(n), e, 2 * e) for n, e in enumerate([2, 3, 5, 6, 8, 9, 11, 12, 14, 15], 1)]),
        (20, 1, True, [(str(n), 2 * n, 2 * n) for n in range(1, 11)]),
        (4, 3, False, [("1", 4, 12)]),
    ],
)
def test_plan_one_checkpoint_per_epoch_at_most_ten_the_last_after_the_last_epoch(
    epochs: int, steps: int, intermediate: bool, expected: list[tuple[str, int, int]]
) -> None:
    assert plan_checkpoints(epochs, steps, intermediate=intermediate) == [PlannedCheckpoint(*c) for c in expected]


def test_each_checkpoint_is_served_by_an_endpoint_of_its_own(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(3), labels={"team": "support"})

    checkpoints = job.tuned_model.checkpoints
    assert [(c.checkpoint_id, c.epoch) for c in checkpoints] == [("1", 1), ("2", 2), ("3", 3)]
    assert checkpoints[0].step < checkpoints[1].step < checkpoints[2].step
    assert len({c.endpoint for c in checkpoints}) == 3
    assert checkpoints[-1].endpoint == job.tuned_model.endpoint, "the tuned model's endpoint serves the default"
    model_name = job.tuned_model.model.removesuffix("@1")
    for checkpoint in checkpoints:
        endpoint = local.endpoints.get_endpoint(name=checkpoint.endpoint)
        [deployed] = endpoint.deployed_models
        assert (deployed.model, deployed.model_version_id, deployed.checkpoint_id) == (
            model_name, "1", checkpoint.checkpoint_id)
        assert dict(endpoint.traffic_split) == {deployed.id: 100}
        assert dict(endpoint.labels) == {"team": "support"}


def test_the_model_lists_its_checkpoints_and_the_last_is_its_default(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(3))

    model = local.models.get_model(name=job.tuned_model.model)

    assert [(c.checkpoint_id, c.epoch, c.step) for c in model.checkpoints] == [
        (c.checkpoint_id, c.epoch, c.step) for c in job.tuned_model.checkpoints]
    assert model.default_checkpoint_id == "3"
    assert sorted(ref.endpoint for ref in model.deployed_models) == sorted(
        c.endpoint for c in job.tuned_model.checkpoints)


def test_export_last_checkpoint_only_gives_one_endpoint_and_no_intermediate_checkpoints(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(3, last_only=True))

    assert list(job.tuned_model.checkpoints) == []
    model = local.models.get_model(name=job.tuned_model.model)
    assert [(c.checkpoint_id, c.epoch) for c in model.checkpoints] == [("1", 3)]
    assert model.default_checkpoint_id == "1"
    assert [ref.endpoint for ref in model.deployed_models] == [job.tuned_model.endpoint]


def test_many_epochs_give_about_ten_checkpoints(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(25))

    assert len(job.tuned_model.checkpoints) == 10
    assert job.tuned_model.checkpoints[-1].epoch == 25


def test_a_model_without_checkpoints_keeps_one_endpoint(local: LocalEmulator) -> None:
    job = finished(local, base_model="gemini-1.5-flash-002", supervised_tuning_spec=spec(3))

    assert list(job.tuned_model.checkpoints) == []
    model = local.models.get_model(name=job.tuned_model.model)
    assert list(model.checkpoints) == [] and model.default_checkpoint_id == ""
    assert local.endpoints.get_endpoint(name=job.tuned_model.endpoint).deployed_models[0].checkpoint_id == ""


def test_deploy_model_deploys_the_chosen_checkpoint(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(3))
    endpoint = new_endpoint(local)

    deployed = deploy(local, endpoint.name, job.tuned_model.model, checkpoint_id="2")

    assert deployed.checkpoint_id == "2"
    [served] = local.endpoints.get_endpoint(name=endpoint.name).deployed_models
    assert (served.id, served.checkpoint_id) == (deployed.id, "2")


def test_deploy_model_refuses_a_checkpoint_the_model_lacks(local: LocalEmulator) -> None:
    job = finished(local, supervised_tuning_spec=spec(2))
    endpoint = new_endpoint(local)

    with pytest.raises(exceptions.NotFound, match=r"has no checkpoint '3'; its checkpoints are 1, 2\."):
        start_deploy(local, endpoint.name, job.tuned_model.model, checkpoint_id="3")
