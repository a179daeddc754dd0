"""What a job's training is estimated to cost before it is submitted, and how that was worked out.

Google bills training tokens: "the total number of tokens in your training dataset,
multiplied by your number of epochs" ("About supervised fine-tuning for Gemini models",
Pricing), at the model's price per 1M training tokens (`providers.jobfile.prices`): the job's base model,
or for a job that continues a tuned model, the base model that one was tuned from.

- A local data set's tokens are estimated line by line (`providers.datasets.tokens`: one per
  4 characters of text, fixed counts for file parts).
- A gs:// data set's tokens are unknown until Vertex reads it. Where a budget needs a figure,
  its object's size in Cloud Storage stands for it, one token per 4 bytes: the JSON around
  the text counts as text, so this over-estimates, which is the safe side of a budget. It is
  never taken as zero: an object that cannot be read gives no estimate.
- The epochs are the job's `hyperParameters.epochCount`. Unset, Vertex chooses them from the
  data set's size and Google publishes no bound, so there is no estimate.

Every `Estimate` says how it was made (or why there is none) in `how`, which budget
refusals and plans show as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from providers.datasets.local import LocalDataset
from providers.gcp.clients import STORAGE_EMULATOR_VARIABLE
from providers.gcp.errors import VertexError, WrongServiceError
from providers.gcp.storage import object_size
from providers.jobfile.fields import field_name
from providers.jobfile.prices import PriceTable
from providers.jobfile.schema import JobSpec
from providers.stack.preflight import CheckedJob, ValidationReport, dataset_rules
from providers.stack.settings import StackSettings

BYTES_PER_TOKEN = 4
"""Google's rule of thumb for Gemini, a token is about 4 characters, applied to bytes."""
EPOCHS_FIELD = field_name(JobSpec, "hyper_parameters", "epoch_count")


@dataclass(frozen=True)
class Estimate:
    """One training of a job (in one region): its estimated training tokens and cost."""

    tokens_per_epoch: int | None = None
    epochs: int = 0
    training_tokens: int | None = None
    """Tokens x epochs; None when either is unknown."""
    cost: float | None = None
    """US dollars; None when there is no estimate (see `how`)."""
    how: str = ""
    """How the estimate was made, or why there is none, for a person."""
    dataset_bytes: int | None = None
    dataset_examples: int | None = None
    local_path: str = ""
    """The local data set as the job file names it ("" for a gs:// one)."""

    def as_input(self) -> dict:
        """As a resource input carries it: plain JSON, no None (Pulumi reads null as unknown):
        0 for an unknown count, -1 for an unknown cost."""
        return {"tokens_per_epoch": self.tokens_per_epoch or 0, "epochs": self.epochs,
                "training_tokens": self.training_tokens or 0,
                "cost": -1.0 if self.cost is None else round(self.cost, 6), "how": self.how,
                "local_path": self.local_path, "dataset_bytes": self.dataset_bytes or 0,
                "dataset_examples": self.dataset_examples or 0}


ObjectSize = Callable[[str], int]
"""The size in bytes of a gs:// object; raises `VertexError` when it cannot be read."""


def estimate(job: CheckedJob, report: ValidationReport, object_size: ObjectSize | None) -> Estimate:
    """The estimated cost of one training of `job`; `object_size` reads gs:// data sets' sizes
    (None: leave them unknown, as when no budget asks for a figure)."""
    spec = job.spec
    uri = spec.training_dataset
    local = next((d for d in job.local_datasets if d.kind == "training"), None)
    shown = local.shown if local is not None else ""
    if local is not None:
        tokens, measured, size, examples = _local_tokens(local, job, report)
    elif object_size is None:
        return Estimate(how=f"{uri}: its tokens are unknown until Vertex reads it")
    else:
        try:
            size = object_size(uri)
        except VertexError as exc:
            return Estimate(how=f"cannot read the size of {uri} in Cloud Storage ({exc}; {exc.advice}), "
                                "so there is no estimate")
        tokens, examples = math.ceil(size / BYTES_PER_TOKEN), None
        measured = (f"{uri}: {shown_size(size)} in Cloud Storage, counted as {tokens:,} tokens (one per "
                    f"{BYTES_PER_TOKEN} bytes, JSON included: an over-estimate)")
    epochs = spec.hyper_parameters.epoch_count or 0
    if not epochs:
        return Estimate(tokens, 0, None, None, f"{measured} per epoch; {EPOCHS_FIELD} is unset, so Vertex "
                                               "chooses the epochs and Google publishes no bound on them",
                        size, examples, shown)
    training = tokens * epochs
    model = job.base_model
    cost = report.prices.cost(model, training) if model else None
    if cost is None:
        unpriced = (f"{model} has no price in providers/jobfile/prices.yaml or the repository's prices.yaml" if model
                    else "the base model of the tuned model it continues is not known here, so it has no price")
        return Estimate(tokens, epochs, training, None,
                        f"{measured} x {epochs} epochs = {training:,} training tokens; {unpriced}", size, examples,
                        shown)
    return Estimate(tokens, epochs, training, cost,
                    f"{measured} x {epochs} epochs = {training:,} training tokens x {report.prices.source(model)}",
                    size, examples, shown)


def _local_tokens(local: LocalDataset, job: CheckedJob, report: ValidationReport) -> tuple[int, str, int, int]:
    checked = local.check(*dataset_rules(job, report.catalogue))
    return (checked.total_tokens,
            f"{local.shown}: {checked.total_tokens:,} estimated tokens in {checked.example_count:,} examples",
            checked.size_bytes, checked.example_count)


def cloud_storage_sizes(settings: StackSettings) -> ObjectSize:
    """Reads gs:// objects' sizes from the stack's Cloud Storage: for an emulator stack only
    from a Cloud Storage emulator, as its uploads (never from Google's)."""
    import os

    def size(uri: str) -> int:
        if settings.use_emulator and not os.environ.get(STORAGE_EMULATOR_VARIABLE):
            raise WrongServiceError(f"an emulator stack reads data sets' sizes from a Cloud Storage emulator: set "
                                    f"{STORAGE_EMULATOR_VARIABLE} (host:port)", "FAILED_PRECONDITION")
        return object_size(uri, settings.gcp_project)

    return size


def shown_size(size: int) -> str:
    """1536 -> `1.5 KiB`."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
