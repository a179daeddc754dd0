"""Posting to a webhook: Slack-compatible JSON, and failures said without the webhook's URL."""

from __future__ import annotations

import json
import socket

import pytest

from providers.webhooks.post import WebhookError, described, post, webhook_id
from tests.support.webhook_server import WebhookServer


def test_a_message_is_posted_as_slack_compatible_json():
    with WebhookServer() as webhook:
        post(webhook.url, "gemini-tuning: triage SUCCEEDED")

    assert webhook.delivered == [{"text": "gemini-tuning: triage SUCCEEDED"}]


def test_a_refusing_webhook_is_an_error_that_does_not_name_its_url():
    with WebhookServer() as webhook:
        webhook.answer = "fail"
        with pytest.raises(WebhookError) as caught:
            post(webhook.url, "x")

    assert str(caught.value) == "HTTP 500 Internal Server Error"
    assert webhook.refused == [{"text": "x"}]


def test_an_unreachable_webhook_is_an_error_that_does_not_name_its_url():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks/very-secret-token"

    with pytest.raises(WebhookError) as caught:
        post(url, "x", timeout=2)

    assert str(caught.value).startswith("cannot reach it: ")
    assert "very-secret-token" not in str(caught.value)


def test_a_webhook_that_does_not_answer_in_time_is_an_error():
    with WebhookServer() as webhook:
        webhook.answer = "stall"
        with pytest.raises(WebhookError) as caught:
            post(webhook.url, "x", timeout=0.5)
        webhook.release()

    assert "0.5 s" in str(caught.value) or "timed out" in str(caught.value)
    assert webhook.delivered == []


def test_a_webhook_is_described_and_identified_without_its_secret_part():
    url = "https://hooks.slack.com/services/T0/B0/very-secret-token"
    assert described(url, 1) == "webhook 2 of gemini-tuning:notify (https://hooks.slack.com/…)"
    assert "very-secret-token" not in webhook_id(url) and webhook_id(url) == webhook_id(url)
    assert json.dumps(webhook_id(url)).count("secret") == 0
