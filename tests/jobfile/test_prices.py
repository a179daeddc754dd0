"""The price table as data: the tool's rows with their sources, a job repository's prices.yaml merged in."""

from __future__ import annotations

import pytest

from providers.jobfile.catalogue import tool_catalogue
from providers.jobfile.prices import load_prices, tool_prices


def test_prices_name_catalogue_models_with_their_source_and_date():
    prices = tool_prices()
    assert set(prices.prices) <= set(tool_catalogue().models)
    for row in prices.prices.values():
        assert row.sources[0].startswith("https://cloud.google.com/") and row.checked
    assert prices.cost("gemini-2.5-flash", 2_000_000) == 2 * prices.price("gemini-2.5-flash").per_million_training_tokens
    assert prices.source("gemini-2.5-flash") == (
        "$5.00 per 1M training tokens (providers/jobfile/prices.yaml, checked 2026-11-29)")


def test_a_model_without_a_published_price_costs_unknown_not_zero():
    # Google publishes no tuning price for the 3.x models yet (checked 2026-12-04).
    assert tool_prices().cost("gemini-3.5-flash", 1_000) is None
    assert tool_prices().cost("gemini-1.5-flash-002", 1_000) is None
    assert tool_prices().source("gemini-3.5-flash") == ""


def test_what_a_job_billed_is_vertexs_tokens_times_the_epochs_and_unknown_until_both_are_reported():
    prices = tool_prices()
    assert prices.billed("gemini-2.5-flash", 1_000_000, 3) == (3_000_000, 15.0)
    assert prices.billed("gemini-2.5-flash", 1_000_000, 0) == (None, None)
    assert prices.billed("gemini-2.5-flash", 0, 3) == (None, None)
    assert prices.billed("gemini-3.5-flash", 1_000_000, 3) == (3_000_000, None)


def test_a_repository_adds_a_price_and_overrides_one_with_its_own_source(tmp_path):
    (tmp_path / "prices.yaml").write_text(
        "models:\n"
        "  gemini-3.5-flash:\n"
        "    perMillionTrainingTokens: 8\n"
        "    sources: ['our contract, schedule B']\n"
        "    checked: 2026-12-01\n"
        "  gemini-2.5-flash:\n"
        "    perMillionTrainingTokens: 4.5\n"
        "    sources: ['our contract, schedule B']\n"
        "    checked: 2026-12-01\n")

    prices = load_prices(tmp_path)

    assert prices.problems == ()
    assert prices.cost("gemini-3.5-flash", 1_000_000) == 8
    assert prices.source("gemini-2.5-flash") == "$4.50 per 1M training tokens (prices.yaml, checked 2026-12-01)"
    assert prices.source("gemini-2.5-pro").endswith("(providers/jobfile/prices.yaml, checked 2026-11-29)")


@pytest.mark.parametrize("row, expected", [
    ("  gemini-2.5-flash:\n    perMillionTrainingTokens: 4.5\n",
     "prices.yaml: models.gemini-2.5-flash: a row that overrides the tool's row for gemini-2.5-flash gives its own "
     "sources and checked (the date you checked them), beside the keys it changes"),
    ("  gemini-3.5-flash:\n    perMillionTrainingTokens: 0\n    sources: [x]\n    checked: 2026-12-01\n",
     "prices.yaml: models.gemini-3.5-flash.perMillionTrainingTokens: Input should be greater than 0 (got 0)"),
    ("  gemini-3.5-flash:\n    perMilionTrainingTokens: 8\n    sources: [x]\n    checked: 2026-12-01\n",
     "prices.yaml: models.gemini-3.5-flash.perMilionTrainingTokens: unknown key; did you mean "
     "'perMillionTrainingTokens'? Allowed keys here: perMillionTrainingTokens, sources, checked, notes"),
])
def test_a_broken_row_is_left_out_and_named_like_a_job_files_mistake(tmp_path, row, expected):
    (tmp_path / "prices.yaml").write_text("models:\n" + row)

    prices = load_prices(tmp_path)

    assert expected in [str(problem) for problem in prices.problems]
    assert prices.cost("gemini-3.5-flash", 1_000_000) is None
    assert prices.cost("gemini-2.5-flash", 1_000_000) == 5.0
