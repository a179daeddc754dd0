"""What the tool reads of a tuning job's checkpoints and evaluation runs (`vertex._view`).

An aggregation result names its value's kind, not its metric; the job's own evaluation
config tells which metric of that kind it asked for.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1 as v1

from providers.gcp.vertex import _evaluation_config, _view

AVERAGE, DEVIATION = v1.Metric.AggregationMetric.AVERAGE, v1.Metric.AggregationMetric.STANDARD_DEVIATION


def run(checkpoint_id: str, *results: v1.AggregationResult, failed: bool = False) -> v1.EvaluateDatasetRun:
    return v1.EvaluateDatasetRun(
        checkpoint_id=checkpoint_id, error={"code": 13, "message": "x"} if failed else None,
        evaluate_dataset_response=v1.EvaluateDatasetResponse(
            aggregation_output=v1.AggregationOutput(aggregation_results=list(results))))


def rouge(score: float, aggregation=AVERAGE) -> v1.AggregationResult:
    return v1.AggregationResult(rouge_metric_value=v1.RougeMetricValue(score=score), aggregation_metric=aggregation)


def bleu(score: float) -> v1.AggregationResult:
    return v1.AggregationResult(bleu_metric_value=v1.BleuMetricValue(score=score), aggregation_metric=AVERAGE)


def job(runs: list, checkpoints: list | None = None, metrics=("rouge_l", "bleu")) -> v1.TuningJob:
    return v1.TuningJob(
        name="projects/1/locations/us-central1/tuningJobs/9",
        supervised_tuning_spec=v1.SupervisedTuningSpec(evaluation_config=_evaluation_config(
            {"metrics": list(metrics), "output_uri_prefix": "gs://b/e"})),
        tuned_model=v1.TunedModel(model="m@1", endpoint="e2", checkpoints=checkpoints or []),
        evaluate_dataset_runs=runs)


def test_each_checkpoint_with_its_average_scores_named_by_metric():
    listed = [v1.TunedModelCheckpoint(checkpoint_id="1", epoch=1, step=5, endpoint="e1"),
              v1.TunedModelCheckpoint(checkpoint_id="2", epoch=2, step=10, endpoint="e2")]
    view = _view(job([run("1", rouge(0.5), rouge(0.1, DEVIATION), bleu(0.25)), run("2", rouge(0.7), failed=True)],
                     listed))

    assert view.checkpoints == (
        {"id": "1", "epoch": 1, "step": 5, "endpoint": "e1", "default": False, "scores": {"rouge_l": 0.5, "bleu": 0.25}},
        {"id": "2", "epoch": 2, "step": 10, "endpoint": "e2", "default": True, "scores": {}},
    )


def test_with_the_last_checkpoint_only_the_evaluated_one_is_the_default():
    # Vertex lists checkpoints only for jobs with intermediate ones; the run names the last.
    view = _view(job([run("4", rouge(0.6))]))

    assert view.checkpoints == ({"id": "4", "epoch": 0, "step": 0, "endpoint": "e2", "default": True,
                                 "scores": {"rouge_l": 0.6}},)


def test_the_config_asks_each_metric_for_its_average():
    config = _evaluation_config({"metrics": ["rouge_l_sum", "exact_match"], "output_uri_prefix": "gs://b/e"})

    assert [(m.rouge_spec.rouge_type, "exact_match_spec" in m, list(m.aggregation_metrics)) for m in config.metrics] == [
        ("rougeLsum", False, [AVERAGE]), ("", True, [AVERAGE])]
    assert config.output_config.gcs_destination.output_uri_prefix == "gs://b/e"


def test_every_metric_a_job_file_may_name_is_asked_for_and_read_back_by_that_name():
    from providers.gcp.vertex import _metric_name
    from providers.jobfile.evaluation import METRICS

    config = _evaluation_config({"metrics": list(METRICS), "output_uri_prefix": "gs://b/e"})
    assert [_metric_name(metric) for metric in config.metrics] == list(METRICS)
