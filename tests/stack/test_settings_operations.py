"""The stack's budget and webhooks (`gemini-tuning:maxEstimatedCost`, `gemini-tuning:notify`): their
mistakes stop the run, name the setting, and never repeat a webhook's URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.stack.settings import StackSettings

SECRET_PATH = "T0/B0/very-secret-token"


def settings(**changes) -> StackSettings:
    return StackSettings(pulumi_project="gemini-tuning", stack="prod", stack_id="0123456789ab",
                         gcp_project="acme", default_region="us-central1", dataset_bucket="",
                         protect_serving_endpoints=False, jobs_dir=Path("jobs"), use_emulator=True, **changes)


@pytest.mark.parametrize(("written", "budget"), [("250", 250.0), ("12.5", 12.5), ("", None)])
def test_the_stacks_budget_is_us_dollars(written, budget):
    assert settings(max_estimated_cost=written).budget == budget
    assert settings(max_estimated_cost=written).problems() == []


@pytest.mark.parametrize("written", ["lots", "0", "-5", "nan"])
def test_a_budget_that_is_not_an_amount_is_refused_with_the_command_that_sets_one(written):
    assert [str(p) for p in settings(max_estimated_cost=written).problems()] == [
        f"Pulumi.prod.yaml: gemini-tuning:maxEstimatedCost: {written!r} is not an amount: write US dollars above 0, "
        "e.g. `pulumi config set gemini-tuning:maxEstimatedCost 250`"]


def test_webhooks_are_a_json_list_or_one_url():
    url = f"https://hooks.slack.com/services/{SECRET_PATH}"
    assert settings(notify=f'["{url}", "https://chat.example.com/hook"]').webhooks == (
        url, "https://chat.example.com/hook")
    assert settings(notify=url).webhooks == (url,)
    assert settings(notify="").webhooks == ()


def test_webhooks_stored_in_clear_are_refused_and_the_url_is_never_repeated():
    stored = settings(notify=f'["https://hooks.slack.com/services/{SECRET_PATH}"]', notify_is_secret=False)

    [problem] = stored.problems()

    assert str(problem).startswith("Pulumi.prod.yaml: gemini-tuning:notify: is stored in clear in Pulumi.prod.yaml")
    assert "pulumi config set --secret gemini-tuning:notify" in str(problem)
    assert SECRET_PATH not in str(problem) and SECRET_PATH not in repr(stored)


def test_a_webhook_that_is_not_https_is_refused_by_its_place_in_the_list():
    stored = settings(notify=f'["https://ok.example.com/{SECRET_PATH}", "http://hooks.example.com/{SECRET_PATH}", '
                             f'"http://127.0.0.1:8080/{SECRET_PATH}", "ftp://x/{SECRET_PATH}", 7]')

    assert [str(p) for p in stored.problems()] == [
        "Pulumi.prod.yaml: gemini-tuning:notify: entry 2 is http:// to another machine: messages would cross the "
        "network in clear; use https://",
        "Pulumi.prod.yaml: gemini-tuning:notify: entry 4 is not an https:// URL",
        "Pulumi.prod.yaml: gemini-tuning:notify: entry 5 is not a URL (write a list of https:// URLs)",
    ]
