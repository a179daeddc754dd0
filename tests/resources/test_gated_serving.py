"""The serving endpoint's gate and checkpoint at the provider, against the emulator.

The tuned models are real (the emulator's, with checkpoints "1" and "2"); their scores are
the ones a TuningJob would report (`checkpoints` output), set here so that each test says
which side of the gate a model is on.
"""

from __future__ import annotations

import pytest

from providers.resources.serving_endpoint import HELD, SERVING, ServingEndpointProvider
from providers.resources.tuning_job import TuningJobProvider
from tests.resources.test_serving_endpoint_provider import props
from tests.resources.test_tuning_job_provider import inputs
from tests.support.polling import wait_for
from tests.support.rpc_log import RpcLog

GATE = {"metric": "rouge_1", "atLeast": 0.5, "beatsServing": True}


@pytest.fixture
def emulator(start):
    return start(job_seconds=0.5)


def tuned_model(emulator, version: int) -> str:
    """A tuned model with checkpoints "1" and "2" (the default)."""
    job = TuningJobProvider().create(inputs(description=f"version {version}", hyperParameters={"epochCount": 2}))
    return wait_for(lambda: emulator.tuning_client().get_tuning_job(name=job.outs["vertex_job_name"]),
                    lambda j: j.state.name == "JOB_STATE_SUCCEEDED", timeout=30).tuned_model.model


def scored(first: float, last: float) -> list[dict]:
    """The checkpoints output of a job whose checkpoints 1 and 2 scored `first` and `last`."""
    return [{"id": "1", "epoch": 1, "step": 1, "endpoint": "", "default": False, "scores": {"rouge_1": first}},
            {"id": "2", "epoch": 2, "step": 2, "endpoint": "", "default": True, "scores": {"rouge_1": last}}]


def served(emulator, outs: dict) -> dict[str, tuple[str, int]]:
    """deployed model (with its checkpoint id) -> traffic share, as the emulator reports it."""
    endpoint = emulator.endpoint_client().get_endpoint(name=outs["endpoint_name"])
    return {f"{d.model}@{d.model_version_id}:{d.checkpoint_id}": endpoint.traffic_split[d.id]
            for d in endpoint.deployed_models}


def test_a_model_below_the_gate_is_held_and_nothing_is_deployed(emulator):
    model = tuned_model(emulator, 1)

    created = ServingEndpointProvider().create(props(tuned_model=model, promote_when=GATE, checkpoints=scored(0.9, 0.4)))
    again = ServingEndpointProvider().diff(created.id, created.outs,
                                           props(tuned_model=model, promote_when=GATE, checkpoints=scored(0.9, 0.4)))

    assert created.outs["status"] == HELD
    assert created.outs["held"] == {"model": model, "checkpoint": "2", "scores": {"rouge_1": 0.4}, "serving": "",
                                    "reason": "its rouge_1 score is 0.4, below 0.5"}
    assert created.outs["gate"] == "a rouge_1 score of at least 0.5 that beats the serving model's"
    assert served(emulator, created.outs) == {}
    assert again.changes is False  # settled until the job or its gate changes


def test_a_new_model_must_beat_what_serves_and_until_then_the_old_one_keeps_serving(emulator):
    first, second, third = (tuned_model(emulator, n) for n in (1, 2, 3))
    provider = ServingEndpointProvider()
    created = provider.create(props(tuned_model=first, promote_when=GATE, checkpoints=scored(0.5, 0.7)))
    assert created.outs["status"] == SERVING and created.outs["model_scores"] == {first: {"rouge_1": 0.7}}

    worse = provider.update(created.id, created.outs,
                            props(tuned_model=second, promote_when=GATE, checkpoints=scored(0.5, 0.6)))
    assert worse.outs["status"] == HELD
    assert worse.outs["held"]["reason"] == "its rouge_1 score 0.6 does not beat 0.7, the score of the model it would replace"
    assert served(emulator, worse.outs) == {f"{first}:": 100}
    assert worse.outs["model_scores"] == {first: {"rouge_1": 0.7}}

    better = provider.update(created.id, worse.outs,
                             props(tuned_model=third, promote_when=GATE, checkpoints=scored(0.5, 0.8)))
    assert better.outs["status"] == SERVING and better.outs["held"] == {}
    assert served(emulator, better.outs) == {f"{third}:": 100}


def test_the_chosen_checkpoint_is_deployed_and_replaces_the_default_only_once_it_serves(start, tmp_path):
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    emulator = start(job_seconds=0.5, rpc_log=rpc_log.path)
    model = tuned_model(emulator, 1)
    provider = ServingEndpointProvider()
    created = provider.create(props(tuned_model=model))
    assert served(emulator, created.outs) == {f"{model}:": 100}

    rpc_log.mark()
    chosen = provider.update(created.id, created.outs, props(tuned_model=model, checkpoint="1", checkpoints=scored(0, 0)))
    # Promise 3: the checkpoint serves before the default is undeployed.
    assert [call["method"] for call in rpc_log.calls_since_mark()
            if call["method"] in ("DeployModel", "UndeployModel")] == ["DeployModel", "UndeployModel"]
    best = provider.update(created.id, chosen.outs, props(tuned_model=model, checkpoint="best", checkpoints=scored(0.9, 0.8),
                                                          promote_when={"metric": "rouge_1"}))

    assert served(emulator, chosen.outs) == {f"{model}:1": 100}
    assert chosen.outs["traffic_split"] == {f"{model}#checkpoint=1": 100}
    assert best.outs["status"] == SERVING and served(emulator, best.outs) == {f"{model}:1": 100}


def test_a_checkpoint_the_model_does_not_have_is_reported_and_changes_nothing(emulator):
    model = tuned_model(emulator, 1)
    created = ServingEndpointProvider().create(props(tuned_model=model))

    wrong = ServingEndpointProvider().update(created.id, created.outs,
                                             props(tuned_model=model, checkpoint="7", checkpoints=scored(0, 0)))

    assert wrong.outs["failure"] == (
        f"jobs/triage.yaml: us-central1: choosing what {created.outs['endpoint_name']} serves: {model} has no "
        "checkpoint '7'; its checkpoints are 1, 2; fix serving.checkpoint; the endpoint keeps serving what it serves")
    assert served(emulator, wrong.outs) == {f"{model}:": 100}


def test_an_endpoint_of_an_earlier_release_sees_no_change(emulator):
    model = tuned_model(emulator, 1)
    created = ServingEndpointProvider().create(props(tuned_model=model))
    # As an earlier release recorded it: none of the keys added since.
    earlier = {key: value for key, value in created.outs.items() if key not in ("gate", "held", "model_scores")}

    assert ServingEndpointProvider().diff(created.id, earlier, props(tuned_model=model)).changes is False
    assert created.outs["status"] == SERVING


def test_a_model_that_passed_the_gate_goes_through_its_canary_and_is_promoted(emulator):
    first, second = tuned_model(emulator, 1), tuned_model(emulator, 2)
    provider = ServingEndpointProvider()
    created = provider.create(props(tuned_model=first, promote_when=GATE, checkpoints=scored(0.5, 0.7)))

    canary = provider.update(created.id, created.outs, props(tuned_model=second, promote_when=GATE, canary_percent=10,
                                                             checkpoints=scored(0.5, 0.8)))
    assert canary.outs["status"] == "CANARY"
    assert served(emulator, canary.outs) == {f"{first}:": 90, f"{second}:": 10}

    promoted = provider.update(created.id, canary.outs,
                               props(tuned_model=second, promote_when=GATE, checkpoints=scored(0.5, 0.8)))
    assert promoted.outs["status"] == SERVING and served(emulator, promoted.outs) == {f"{second}:": 100}


def test_a_default_checkpoint_reported_by_its_id_is_the_model_already_serving(start, tmp_path):
    """The tool deploys the default checkpoint with no id; were Vertex to report the id it filled
    in, that must not read as another model to deploy (a deploy at every run)."""
    from google.cloud.aiplatform_v1 import DeployedModel

    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    emulator = start(job_seconds=0.5, rpc_log=rpc_log.path)
    model = tuned_model(emulator, 1)
    provider = ServingEndpointProvider()
    created = provider.create(props())  # an endpoint with nothing deployed yet
    version, _, version_id = model.rpartition("@")
    emulator.endpoint_client().deploy_model(
        endpoint=created.outs["endpoint_name"], traffic_split={"0": 100},
        deployed_model=DeployedModel(model=f"{version}@{version_id}", checkpoint_id="2")).result(timeout=30)
    wanted = props(tuned_model=model, checkpoints=scored(0, 0))

    read = provider.read(created.id, {**created.outs, **wanted})
    rpc_log.mark()
    updated = provider.update(created.id, read.outs, wanted)

    assert read.outs["status"] == SERVING and read.outs["traffic_split"] == {model: 100}
    assert provider.diff(created.id, read.outs, wanted).changes is False
    assert [c["method"] for c in rpc_log.calls_since_mark() if c["method"] in ("DeployModel", "UndeployModel")] == []
    assert updated.outs["status"] == SERVING
