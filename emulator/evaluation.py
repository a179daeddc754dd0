"""Evaluation while tuning: the `evaluation_config` Vertex AI accepts, and the results it reports.

A supervised tuning job may ask Vertex to evaluate each checkpoint (`SupervisedTuningSpec
.evaluation_config`: `metrics`, `output_config.gcs_destination.output_uri_prefix`, optional
`autorater_config`). Vertex offers it in preview, in us-central1, for the models
`emulator.lifecycle_rules` names. Once the job has succeeded it lists one
`EvaluateDatasetRun` per checkpoint in `TuningJob.evaluate_dataset_runs`, whose
`evaluate_dataset_response.aggregation_output.aggregation_results` hold one result per
metric and aggregation, in the order the config lists them. A result carries one value
(`rouge_metric_value.score`, ...) and its `aggregation_metric`, but not the metric's
name: results are told apart by their value's kind and their place.

The emulator evaluates nothing. The scores are set with `--evaluation-score` (see
`EvaluationScores`) or else made up, deterministically and differently for each job,
metric and checkpoint, so that one checkpoint is best. Metrics are named:

    name           metric spec                           value in the result
    bleu           bleu_spec                             bleu_metric_value.score
    exact_match    exact_match_spec                      exact_match_metric_value.score
    rouge_1..9     rouge_spec {rouge_type: rouge1..9}    rouge_metric_value.score
    rouge_l        rouge_spec {rouge_type: rougeL}       rouge_metric_value.score
    rouge_l_sum    rouge_spec {rouge_type: rougeLsum}    rouge_metric_value.score
    rouge          rouge_spec without a rouge_type       rouge_metric_value.score
    pointwise      pointwise_metric_spec                 pointwise_metric_result.score

A score set is the AVERAGE; the MINIMUM, MAXIMUM, MEDIAN, MODE and percentiles are the
same value and the STANDARD_DEVIATION and VARIANCE 0 (as if every example scored alike);
a metric without `aggregation_metrics` gets an AVERAGE.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from google.cloud.aiplatform_v1 import (
    AggregationOutput,
    AggregationResult,
    BleuMetricValue,
    EvaluateDatasetResponse,
    EvaluateDatasetRun,
    EvaluationConfig,
    EvaluationDataset,
    ExactMatchMetricValue,
    GcsSource,
    Metric,
    OutputInfo,
    PointwiseMetricResult,
    RougeMetricValue,
)

from emulator import names
from emulator.errors import InvalidArgument
from emulator.base_models import base_model_id
from emulator.lifecycle_rules import EVALUATION_REGIONS, LIFECYCLE, lifecycle_of

__all__ = [
    "METRIC_NAMES",
    "EvaluationScores",
    "ScoreRule",
    "check_evaluation_config",
    "evaluation_runs",
    "metric_name",
]

Aggregation = Metric.AggregationMetric

_ROUGE_TYPES = {f"rouge{n}": f"rouge_{n}" for n in range(1, 10)} | {"rougeL": "rouge_l", "rougeLsum": "rouge_l_sum"}
METRIC_NAMES: frozenset[str] = frozenset({"bleu", "exact_match", "rouge", "pointwise", *_ROUGE_TYPES.values()})
"""The metric names `--evaluation-score` takes (see the module docstring)."""

_SUPPORTED_SPECS = ("bleu_spec", "exact_match_spec", "rouge_spec", "pointwise_metric_spec")
_SPREAD = frozenset({Aggregation.STANDARD_DEVIATION, Aggregation.VARIANCE})
_GCS_PREFIX = re.compile(r"gs://[^/]+(/.*)?")
_DEFAULT_LOW, _DEFAULT_HIGH = 0.4, 0.9


def metric_name(metric: Metric) -> str:
    """The emulator's name of `metric` (see the module docstring); INVALID_ARGUMENT for one it cannot score."""
    spec = Metric.pb(metric).WhichOneof("metric_spec")
    if spec == "rouge_spec":
        rouge_type = metric.rouge_spec.rouge_type
        if not rouge_type:
            return "rouge"
        if rouge_type not in _ROUGE_TYPES:
            raise InvalidArgument(
                f"rouge_spec.rouge_type {rouge_type!r} is not supported. Supported rouge types: "
                f"{', '.join(_ROUGE_TYPES)}."
            )
        return _ROUGE_TYPES[rouge_type]
    if spec == "pointwise_metric_spec":
        return "pointwise"
    if spec in ("bleu_spec", "exact_match_spec"):
        return spec.removesuffix("_spec")
    raise InvalidArgument(
        f"evaluation_config.metrics: {spec or 'a metric without a metric spec'} is not supported by the "
        f"emulator during tuning; use one of {', '.join(_SUPPORTED_SPECS)}."
    )


def check_evaluation_config(
    location: str, base_model: str, config: EvaluationConfig, offered_for: frozenset[str] = frozenset()
) -> None:
    """Check a tuning job's `evaluation_config` for a job in region `location` tuning `base_model`.

    `offered_for`: base models evaluated beyond those `emulator.lifecycle_rules` names
    (`--offer-evaluation`).
    """
    field = "tuning_job.supervised_tuning_spec.evaluation_config"
    if location not in EVALUATION_REGIONS:
        raise InvalidArgument(
            f"{field} is not supported in location {location!r}. Evaluation during tuning is available in: "
            f"{', '.join(sorted(EVALUATION_REGIONS))}."
        )
    if not lifecycle_of(base_model).evaluation and base_model_id(base_model) not in offered_for:
        offered = sorted({*(model for model, support in LIFECYCLE.items() if support.evaluation), *offered_for})
        raise InvalidArgument(
            f"{field} is not supported for base model {base_model!r}. Evaluation during tuning is available for: "
            f"{', '.join(offered)}."
        )
    if not config.metrics:
        raise InvalidArgument(f"{field}.metrics is required: at least one metric to evaluate.")
    for index, metric in enumerate(config.metrics):
        metric_name(metric)
        if Aggregation.AGGREGATION_METRIC_UNSPECIFIED in Metric.pb(metric).aggregation_metrics:
            raise InvalidArgument(
                f"{field}.metrics[{index}].aggregation_metrics must not hold AGGREGATION_METRIC_UNSPECIFIED.")
    prefix = config.output_config.gcs_destination.output_uri_prefix
    if _GCS_PREFIX.fullmatch(prefix) is None:
        raise InvalidArgument(
            f"{field}.output_config.gcs_destination.output_uri_prefix is required: a Cloud Storage prefix "
            f"(gs://BUCKET/PATH), got {prefix!r}."
        )


@dataclass(frozen=True)
class ScoreRule:
    """One `--evaluation-score NAME[@CHECKPOINT]:METRIC=VALUE`."""

    model: str
    """A tuned model's display name, or `*` for any."""

    checkpoint: str
    """A checkpoint id, or `*` for any."""

    metric: str
    value: float

    @classmethod
    def parse(cls, text: str) -> ScoreRule:
        """Read `NAME[@CHECKPOINT]:METRIC=VALUE`; ValueError saying what is wrong."""
        target, colon, assignment = text.rpartition(":")
        metric, equals, value_text = assignment.partition("=")
        if not (target and colon and equals and metric and value_text):
            raise ValueError(f"must look like NAME[@CHECKPOINT]:METRIC=VALUE, got {text!r}")
        model, at, checkpoint = target.rpartition("@") if "@" in target else (target, "", "*")
        if not (model and (checkpoint or not at)):
            raise ValueError(f"NAME and CHECKPOINT must not be empty, got {target!r}")
        if metric not in METRIC_NAMES:
            raise ValueError(f"unknown metric {metric!r}; metrics: {', '.join(sorted(METRIC_NAMES))}")
        try:
            value = float(value_text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 1:
            raise ValueError(f"a score must be a number from 0 to 1, got {value_text!r}")
        return cls(model=model, checkpoint=checkpoint, metric=metric, value=value)

    def specificity(self, model: str, checkpoint: str, metric: str) -> int | None:
        """How closely this rule names the score (higher wins); None if it does not apply."""
        if metric != self.metric or self.model not in ("*", model) or self.checkpoint not in ("*", checkpoint):
            return None
        return 2 * (self.model != "*") + (self.checkpoint != "*")


@dataclass(frozen=True)
class EvaluationScores:
    """The scores `--evaluation-score` sets; the most specific rule wins, the later one among equals."""

    rules: tuple[ScoreRule, ...] = ()

    def score(self, *, job: str, model: str, checkpoint: str, metric: str) -> float:
        """The score of `metric` at checkpoint `checkpoint` of the tuned model of job `job`, named `model`."""
        best: tuple[int, float] | None = None
        for rule in self.rules:
            rank = rule.specificity(model, checkpoint, metric)
            if rank is not None and (best is None or rank >= best[0]):
                best = (rank, rule.value)
        return best[1] if best is not None else _made_up_score(job, checkpoint, metric)


def evaluation_runs(
    job_name: str,
    display_name: str,
    config: EvaluationConfig,
    checkpoint_ids: Sequence[str],
    run_ids: Iterable[str],
    scores: EvaluationScores,
    dataset_uri: str = "",
) -> list[EvaluateDatasetRun]:
    """One finished evaluation run per checkpoint of job `job_name`, each named with the next of `run_ids`."""
    location = names.parse_child(job_name, "tuningJobs")
    prefix = config.output_config.gcs_destination.output_uri_prefix.rstrip("/")
    runs = []
    for checkpoint_id, run_id in zip(checkpoint_ids, run_ids):
        results = [
            _result(metric, aggregation,
                    scores.score(job=job_name, model=display_name, checkpoint=checkpoint_id,
                                 metric=metric_name(metric)))
            for metric in config.metrics
            for aggregation in (Metric.pb(metric).aggregation_metrics or [Aggregation.AVERAGE])
        ]
        output = AggregationOutput(aggregation_results=results)
        if dataset_uri:
            output.dataset = EvaluationDataset(gcs_source=GcsSource(uris=[dataset_uri]))
        runs.append(EvaluateDatasetRun(
            checkpoint_id=checkpoint_id,
            evaluation_run=location.child("evaluationRuns", run_id),
            evaluate_dataset_response=EvaluateDatasetResponse(
                aggregation_output=output,
                output_info=OutputInfo(gcs_output_directory=f"{prefix}/evaluation_run_{run_id}/"),
            ),
        ))
    return runs


def _result(metric: Metric, aggregation: int, score: float) -> AggregationResult:
    value = 0.0 if aggregation in _SPREAD else score
    result = AggregationResult(aggregation_metric=aggregation)
    spec = Metric.pb(metric).WhichOneof("metric_spec")
    if spec == "bleu_spec":
        result.bleu_metric_value = BleuMetricValue(score=value)
    elif spec == "exact_match_spec":
        result.exact_match_metric_value = ExactMatchMetricValue(score=value)
    elif spec == "rouge_spec":
        result.rouge_metric_value = RougeMetricValue(score=value)
    else:
        result.pointwise_metric_result = PointwiseMetricResult(score=value)
    return result


def _made_up_score(job: str, checkpoint: str, metric: str) -> float:
    digest = hashlib.sha256(f"{job}\n{checkpoint}\n{metric}".encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    return round(_DEFAULT_LOW + share * (_DEFAULT_HIGH - _DEFAULT_LOW), 4)
