"""What one training of a job is estimated to cost before submission, and how that was worked out."""

from __future__ import annotations

import json

import pytest

from providers.gcp import errors
from providers.stack.estimates import estimate
from providers.stack.preflight import validate_jobs

PRICES = ("models:\n  gemini-3.5-flash:\n    perMillionTrainingTokens: 4\n    sources: [our contract]\n"
          "    checked: 2026-12-01\n")


@pytest.fixture
def repository(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "data").mkdir()
    example = {"contents": [{"role": "user", "parts": [{"text": "x" * 400}]},
                            {"role": "model", "parts": [{"text": "y" * 4}]}]}
    (tmp_path / "data" / "train.jsonl").write_text(json.dumps(example) + "\n")

    def job(prices: bool = True, **fields):
        (tmp_path / "prices.yaml").write_text(PRICES) if prices else (tmp_path / "prices.yaml").unlink(missing_ok=True)
        (tmp_path / "jobs" / "triage.yaml").write_text(json.dumps(
            {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "data/train.jsonl",
             "hyperParameters": {"epochCount": 3}, **fields}))
        report = validate_jobs(tmp_path / "jobs", tmp_path, stack="test")
        assert report.problems == []
        return report.jobs[0], report

    return job


def test_a_local_data_sets_estimated_tokens_times_the_epochs_at_the_models_price(repository):
    job, report = repository()

    found = estimate(job, report, object_size=None)

    # 101 tokens: 404 characters at one token per 4, as the data set check counts them.
    assert (found.tokens_per_epoch, found.epochs, found.training_tokens) == (101, 3, 303)
    assert found.cost == pytest.approx(303 * 4 / 1e6)
    assert found.how == ("data/train.jsonl: 101 estimated tokens in 1 examples x 3 epochs = 303 training tokens x "
                         "$4.00 per 1M training tokens (prices.yaml, checked 2026-12-01)")
    assert (found.local_path, found.dataset_examples) == ("data/train.jsonl", 1)


def test_a_gs_data_set_is_counted_by_its_object_size_when_a_budget_asks_and_never_as_zero(repository):
    job, report = repository(trainingDataset="gs://acme/train.jsonl")

    unknown = estimate(job, report, object_size=None)
    sized = estimate(job, report, object_size=lambda uri: {"gs://acme/train.jsonl": 4_000_000}[uri])

    assert (unknown.training_tokens, unknown.cost) == (None, None)
    assert unknown.how == "gs://acme/train.jsonl: its tokens are unknown until Vertex reads it"
    assert (sized.tokens_per_epoch, sized.training_tokens, sized.cost) == (1_000_000, 3_000_000, 12.0)
    assert sized.how.startswith("gs://acme/train.jsonl: 3.8 MiB in Cloud Storage, counted as 1,000,000 tokens (one "
                                "per 4 bytes, JSON included: an over-estimate) x 3 epochs")


def test_an_object_that_cannot_be_read_gives_no_estimate_and_says_why(repository):
    job, report = repository(trainingDataset="gs://acme/train.jsonl")

    def missing(uri):
        raise errors.NotFoundError(f"{uri} does not exist in Cloud Storage", "NOT_FOUND")

    found = estimate(job, report, object_size=missing)

    assert found.cost is None
    assert found.how.startswith("cannot read the size of gs://acme/train.jsonl in Cloud Storage (NOT_FOUND: "
                                "gs://acme/train.jsonl does not exist in Cloud Storage;")


def test_epochs_left_to_vertex_or_a_model_without_a_price_give_no_cost(repository):
    job, report = repository(hyperParameters={})
    no_epochs = estimate(job, report, object_size=None)
    job, report = repository(prices=False)
    no_price = estimate(job, report, object_size=None)

    assert (no_epochs.tokens_per_epoch, no_epochs.cost) == (101, None)
    assert no_epochs.how.endswith("per epoch; hyperParameters.epochCount is unset, so Vertex chooses the epochs and "
                                  "Google publishes no bound on them")
    assert (no_price.training_tokens, no_price.cost) == (303, None)
    assert no_price.how.endswith("gemini-3.5-flash has no price in providers/jobfile/prices.yaml or the "
                                 "repository's prices.yaml")
    assert no_price.as_input()["cost"] == -1.0


def test_a_continuing_job_is_priced_at_the_base_model_its_source_was_tuned_from(repository, tmp_path):
    repository()
    (tmp_path / "jobs" / "more.yaml").write_text(json.dumps(
        {"name": "more", "continueFrom": {"job": "triage"}, "trainingDataset": "data/train.jsonl",
         "hyperParameters": {"epochCount": 2}}))
    report = validate_jobs(tmp_path / "jobs", tmp_path, stack="test")
    assert report.problems == []
    [more] = [job for job in report.jobs if job.spec.name == "more"]

    found = estimate(more, report, object_size=None)

    assert more.base_model == "gemini-3.5-flash"
    assert (found.training_tokens, found.cost) == (202, pytest.approx(202 * 4 / 1e6))
    assert found.how.endswith("x 2 epochs = 202 training tokens x $4.00 per 1M training tokens (prices.yaml, checked "
                              "2026-12-01)")
