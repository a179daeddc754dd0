"""Evaluation during tuning: where Vertex offers it, and the scores each checkpoint's run reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    BleuSpec,
    EvaluationConfig,
    ExactMatchSpec,
    GcsDestination,
    JobState,
    Metric,
    OutputConfig,
    PairwiseMetricSpec,
    RougeSpec,
    SupervisedHyperParameters,
    SupervisedTuningSpec,
    TuningJob,
)

from emulator.evaluation import EvaluationScores, ScoreRule
from tests.emulator.builders import OTHER_REGION_PARENT, PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator, StartLocal
from tests.support.emulator_process import REPO_ROOT, EmulatorProcess
from tests.support.polling import wait_for

Aggregation = Metric.AggregationMetric
PREFIX = "gs://demo-bucket/evaluations"


def rouge(rouge_type: str = "rouge1", *aggregations: int) -> Metric:
    return Metric(rouge_spec=RougeSpec(rouge_type=rouge_type), aggregation_metrics=list(aggregations))


def config(*metrics: Metric, prefix: str = PREFIX) -> EvaluationConfig:
    return EvaluationConfig(
        metrics=list(metrics), output_config=OutputConfig(gcs_destination=GcsDestination(output_uri_prefix=prefix)))


def evaluated_job(evaluation: EvaluationConfig, epochs: int = 3, last_only: bool = False, **fields: Any) -> TuningJob:
    fields.setdefault("base_model", "gemini-2.5-flash")
    fields.setdefault("tuned_model_display_name", "support-triage")
    return tuning_job(supervised_tuning_spec=SupervisedTuningSpec(
        training_dataset_uri="gs://demo-bucket/train.jsonl",
        validation_dataset_uri="gs://demo-bucket/validation.jsonl",
        hyper_parameters=SupervisedHyperParameters(epoch_count=epochs),
        export_last_checkpoint_only=last_only,
        evaluation_config=evaluation,
    ), **fields)


def finished(local: LocalEmulator, job: TuningJob) -> TuningJob:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=job)
    local.advance(JOB_SECONDS)
    return local.tuning.get_tuning_job(name=created.name)


def scores(job: TuningJob) -> dict[str, list[tuple[str, float, int]]]:
    """Each run's results by checkpoint: (value kind, score, aggregation)."""
    found = {}
    for run in job.evaluate_dataset_runs:
        results = []
        for result in run.evaluate_dataset_response.aggregation_output.aggregation_results:
            kind = type(result).pb(result).WhichOneof("aggregation_result")
            results.append((kind, round(getattr(result, kind).score, 6), result.aggregation_metric))
        found[run.checkpoint_id] = results
    return found


def test_each_checkpoint_gets_an_evaluation_run_once_the_job_succeeds(local: LocalEmulator) -> None:
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=evaluated_job(config(rouge())))
    local.advance(JOB_SECONDS / 2)
    assert list(local.tuning.get_tuning_job(name=created.name).evaluate_dataset_runs) == []

    local.advance(JOB_SECONDS / 2)
    job = local.tuning.get_tuning_job(name=created.name)

    assert job.state == JobState.JOB_STATE_SUCCEEDED
    assert [run.checkpoint_id for run in job.evaluate_dataset_runs] == ["1", "2", "3"]
    for run in job.evaluate_dataset_runs:
        assert run.evaluation_run.startswith(f"{job.name.split('/tuningJobs/')[0]}/evaluationRuns/")
        assert "error" not in run
        response = run.evaluate_dataset_response
        assert response.output_info.gcs_output_directory.startswith(f"{PREFIX}/")
        assert list(response.aggregation_output.dataset.gcs_source.uris) == ["gs://demo-bucket/validation.jsonl"]
    assert len({run.evaluation_run for run in job.evaluate_dataset_runs}) == 3


def test_results_follow_the_metrics_and_their_aggregations_by_value_kind(local: LocalEmulator) -> None:
    evaluation = config(
        rouge("rougeL", Aggregation.AVERAGE, Aggregation.STANDARD_DEVIATION),
        Metric(bleu_spec=BleuSpec()),
        Metric(exact_match_spec=ExactMatchSpec(), aggregation_metrics=[Aggregation.MEDIAN]),
    )

    job = finished(local, evaluated_job(evaluation, epochs=1))

    [(kinds)] = [[(kind, aggregation) for kind, _, aggregation in results] for results in scores(job).values()]
    assert kinds == [
        ("rouge_metric_value", Aggregation.AVERAGE),
        ("rouge_metric_value", Aggregation.STANDARD_DEVIATION),
        ("bleu_metric_value", Aggregation.AVERAGE),
        ("exact_match_metric_value", Aggregation.MEDIAN),
    ]
    [results] = scores(job).values()
    assert results[1][1] == 0.0, "a score set for every example alike has no spread"
    assert all(0 <= score <= 1 for _, score, _ in results)


def test_made_up_scores_differ_per_checkpoint_and_stay_the_same(local: LocalEmulator) -> None:
    job = finished(local, evaluated_job(config(rouge()), epochs=4))

    by_checkpoint = {checkpoint: results[0][1] for checkpoint, results in scores(job).items()}

    assert len(set(by_checkpoint.values())) == 4, by_checkpoint
    assert scores(local.tuning.get_tuning_job(name=job.name)) == scores(job)


def test_scores_set_by_display_name_and_checkpoint_win_over_wider_ones(start_local: StartLocal) -> None:
    rules = EvaluationScores(tuple(ScoreRule.parse(text) for text in (
        # Narrower rules come first: they win by being narrower, not by coming last.
        "support-triage@3:rouge_1=0.9",
        "support-triage:rouge_1=0.5",  # a display name is narrower than a checkpoint of any model
        "*@2:rouge_1=0.2",
        "*:rouge_1=0.1",
        "support-triage:bleu=0.3",
        "support-triage:bleu=0.35",  # the later of two equals wins
    )))
    local = start_local(quota=5, evaluation_scores=rules)
    evaluation = config(rouge(), Metric(bleu_spec=BleuSpec()))

    mine = finished(local, evaluated_job(evaluation))
    other = finished(local, evaluated_job(evaluation, tuned_model_display_name="other"))

    assert {c: [s for _, s, _ in r] for c, r in scores(mine).items()} == {
        "1": [0.5, 0.35], "2": [0.5, 0.35], "3": [0.9, 0.35]}
    assert {c: r[0][1] for c, r in scores(other).items()} == {"1": 0.1, "2": 0.2, "3": 0.1}


def test_export_last_checkpoint_only_gives_one_run(local: LocalEmulator) -> None:
    job = finished(local, evaluated_job(config(rouge()), last_only=True))

    assert [run.checkpoint_id for run in job.evaluate_dataset_runs] == ["1"]


@pytest.mark.parametrize(
    ("parent", "job", "message"),
    [
        (OTHER_REGION_PARENT, evaluated_job(config(rouge())), "not supported in location 'europe-west4'"),
        (PARENT, evaluated_job(config(rouge()), base_model="gemini-2.0-flash-001"),
         "not supported for base model 'gemini-2.0-flash-001'"),
        (PARENT, evaluated_job(config()), "metrics is required"),
        (PARENT, evaluated_job(config(rouge(), prefix="")), "output_uri_prefix is required"),
        (PARENT, evaluated_job(config(rouge(), prefix="/tmp/out")), "output_uri_prefix is required"),
        (PARENT, evaluated_job(config(rouge("rouge10"))), "rouge_type 'rouge10' is not supported"),
        (PARENT, evaluated_job(config(Metric(pairwise_metric_spec=PairwiseMetricSpec(metric_prompt_template="x")))),
         "pairwise_metric_spec is not supported by the emulator"),
        (PARENT, evaluated_job(config(rouge("rouge1", Aggregation.AGGREGATION_METRIC_UNSPECIFIED))),
         "must not hold AGGREGATION_METRIC_UNSPECIFIED"),
    ],
)
def test_evaluation_where_vertex_does_not_offer_it_is_refused(
    local: LocalEmulator, parent: str, job: TuningJob, message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=message):
        local.tuning.create_tuning_job(parent=parent, tuning_job=job)

    assert list(local.tuning.list_tuning_jobs(parent=parent)) == []


def test_offer_evaluation_takes_it_for_a_model_google_documents_none_for(start_local: StartLocal) -> None:
    """`--offer-evaluation MODEL`: Vertex decides per project; Google documents evaluation for 2.5 only."""
    on_3_5 = evaluated_job(config(rouge()), base_model="gemini-3.5-flash", epochs=2)
    with pytest.raises(exceptions.InvalidArgument, match="not supported for base model 'gemini-3.5-flash'"):
        start_local().tuning.create_tuning_job(parent=PARENT, tuning_job=on_3_5)

    offered = start_local(evaluation_offered_for=frozenset({"gemini-3.5-flash"}))
    job = finished(offered, on_3_5)

    assert job.state == JobState.JOB_STATE_SUCCEEDED
    assert sorted(scores(job)) == ["1", "2"]
    with pytest.raises(exceptions.InvalidArgument, match="not supported in location 'europe-west4'"):
        offered.tuning.create_tuning_job(parent=OTHER_REGION_PARENT, tuning_job=on_3_5)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("support-triage:rouge_1=0.72", ScoreRule("support-triage", "*", "rouge_1", 0.72)),
        ("support-triage@2:bleu=1", ScoreRule("support-triage", "2", "bleu", 1.0)),
        ("*:exact_match=0", ScoreRule("*", "*", "exact_match", 0.0)),
        ("team:triage v2@*:rouge_l_sum=0.5", ScoreRule("team:triage v2", "*", "rouge_l_sum", 0.5)),
    ],
)
def test_score_rules_are_read_from_the_flag(text: str, rule: ScoreRule) -> None:
    assert ScoreRule.parse(text) == rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rouge_1=0.5", "must look like"),
        ("m:rouge_1", "must look like"),
        ("m:rouge_2x=0.5", "unknown metric 'rouge_2x'"),
        ("m:bleu=1.5", "from 0 to 1"),
        ("m:bleu=nan", "from 0 to 1"),
        ("m@:bleu=0.5", "must not be empty"),
    ],
)
def test_bad_score_rules_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoreRule.parse(text)


def test_a_bad_evaluation_score_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--state", f"{tmp_path}/state.json", "--evaluation-score", "m:bleu=2"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 2
    assert "--evaluation-score: a score must be a number from 0 to 1, got '2'" in result.stderr


def test_the_command_line_sets_scores(tmp_path: Path) -> None:
    scores_given = ["support-triage:bleu=0.42", "support-triage@2:bleu=0.9"]
    with EmulatorProcess(tmp_path / "state.json", job_seconds=1.0, evaluation_scores=scores_given) as emulator:
        tuning = emulator.tuning_client()
        created = tuning.create_tuning_job(
            parent=PARENT, tuning_job=evaluated_job(config(Metric(bleu_spec=BleuSpec())), epochs=2))

        job = wait_for(lambda: tuning.get_tuning_job(name=created.name),
                       lambda job: job.state == JobState.JOB_STATE_SUCCEEDED)

    assert {c: r[0][1] for c, r in scores(job).items()} == {"1": 0.42, "2": 0.9}
