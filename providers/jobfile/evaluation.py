"""Evaluation during tuning: the metrics a job file may name, and the kind of score each gives.

Vertex AI evaluates each checkpoint of a tuning job with the metrics the job asks for
(`evaluation_config.metrics`) and reports one aggregation result per metric and
aggregation. A result carries its value and the value's kind (`rouge_metric_value`,
`bleu_metric_value`, ...), not the metric's name: rouge_1 and rouge_l both come back as
a ROUGE score. So a job asks for at most one metric of each kind, and a score is told
apart by its kind (`kind_of`).

The names are those of Vertex's Gen AI evaluation service (`rouge_1`, `rouge_l_sum`,
`bleu`, `exact_match`); computation-based metrics only: model-based (pointwise) metrics
need a prompt template of their own, which a job file does not take.
"""

from __future__ import annotations

import typing
from typing import Literal

Metric = Literal[
    "bleu", "exact_match",
    "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_6", "rouge_7", "rouge_8", "rouge_9",
    "rouge_l", "rouge_l_sum",
]
METRICS: tuple[str, ...] = typing.get_args(Metric)


def kind_of(metric: str) -> str:
    """The kind of score Vertex reports for `metric`: "rouge", "bleu" or "exact_match"."""
    return "rouge" if metric.startswith("rouge_") else metric
