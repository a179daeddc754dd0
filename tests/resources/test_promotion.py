"""What a serving endpoint deploys of a tuned model, and which new model its gate lets serve."""

from __future__ import annotations

import pytest

from providers.resources.promotion import Candidate, Gate, candidate, held_because

MODEL = "projects/1/locations/us-central1/models/7@2"
CHECKPOINTS = [
    {"id": "1", "epoch": 1, "step": 10, "endpoint": "e1", "default": False, "scores": {"rouge_1": 0.8, "bleu": 0.2}},
    {"id": "2", "epoch": 2, "step": 20, "endpoint": "e2", "default": False, "scores": {"rouge_1": 0.8, "bleu": 0.4}},
    {"id": "3", "epoch": 3, "step": 30, "endpoint": "e3", "default": True, "scores": {"rouge_1": 0.6, "bleu": 0.3}},
]


@pytest.mark.parametrize(("choice", "metric", "expected"), [
    # The default checkpoint is the tuned model itself, deployed as earlier releases deployed it.
    ("default", "", Candidate(MODEL, "3", {"rouge_1": 0.6, "bleu": 0.3})),
    # The best score of the gate's metric; of equal scores the later checkpoint.
    ("best", "rouge_1", Candidate(f"{MODEL}#checkpoint=2", "2", {"rouge_1": 0.8, "bleu": 0.4})),
    ("best", "bleu", Candidate(f"{MODEL}#checkpoint=2", "2", {"rouge_1": 0.8, "bleu": 0.4})),
    ("1", "", Candidate(f"{MODEL}#checkpoint=1", "1", {"rouge_1": 0.8, "bleu": 0.2})),
    # Naming the default checkpoint is the default.
    ("3", "", Candidate(MODEL, "3", {"rouge_1": 0.6, "bleu": 0.3})),
])
def test_the_checkpoint_serving_deploys(choice, metric, expected):
    assert candidate(MODEL, CHECKPOINTS, choice, metric) == (expected, "")


def test_a_checkpoint_the_model_does_not_have_is_a_problem_not_a_deploy():
    assert candidate(MODEL, CHECKPOINTS, "9", "") == (None, f"{MODEL} has no checkpoint '9'; its checkpoints are 1, 2, 3")


def test_a_model_that_reports_no_checkpoints_is_deployed_as_asked_and_vertex_answers():
    assert candidate(MODEL, [], "2", "") == (Candidate(f"{MODEL}#checkpoint=2", "2", {}), "")
    assert candidate(MODEL, None, "best", "rouge_1") == (Candidate(MODEL, "", {}), "")
    assert candidate("", CHECKPOINTS, "default", "") == (None, "")


@pytest.mark.parametrize(("gate", "score", "serving", "serving_scores", "held"), [
    (Gate("rouge_1", 0.5), 0.6, "", {}, None),
    (Gate("rouge_1", 0.5), 0.5, "", {}, None),
    (Gate("rouge_1", 0.5), 0.4, "", {}, "its rouge_1 score is 0.4, below 0.5"),
    (Gate("rouge_1", None, beats_serving=True), 0.6, "old", {"rouge_1": 0.7},
     "its rouge_1 score 0.6 does not beat 0.7, the score of the model it would replace"),
    (Gate("rouge_1", None, beats_serving=True), 0.7, "old", {"rouge_1": 0.7},
     "its rouge_1 score 0.7 does not beat 0.7, the score of the model it would replace"),
    (Gate("rouge_1", 0.5, beats_serving=True), 0.71, "old", {"rouge_1": 0.7}, None),
    # Nothing serves, or what serves has no recorded score: only atLeast applies.
    (Gate("rouge_1", 0.5, beats_serving=True), 0.6, "", {"rouge_1": 0.9}, None),
    (Gate("rouge_1", 0.5, beats_serving=True), 0.6, "old", {}, None),
    (Gate("rouge_1", 0.5), None, "", {}, "its evaluation reports no rouge_1 score"),
])
def test_the_gate(gate, score, serving, serving_scores, held):
    new = Candidate(MODEL, "3", {} if score is None else {"rouge_1": score})
    reason = held_because(gate, new, serving, serving_scores)
    assert reason == held or (held and reason.startswith(held))


def test_a_gate_is_read_from_the_job_files_keys():
    assert Gate.of({"metric": "rouge_1", "atLeast": 1, "beatsServing": True}) == Gate("rouge_1", 1.0, True)
    assert Gate.of(None) is None and Gate.of({}) is None
    assert Gate("rouge_1", 0.5, True).describe() == "a rouge_1 score of at least 0.5 that beats the serving model's"
