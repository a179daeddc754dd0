"""Posting to a webhook: Slack-compatible JSON, and failures said without the webhook's URL."""

from __future__ import annotations

import json
import socket

import pytest

from providers.webhooks.post import WebhookError, described, post, url_problem, webhook_id
from tests.support.raw_server import RawServer
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


@pytest.mark.parametrize("answer", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok", b"garbage\r\n\r\n"],
                         ids=["cut-off body", "not HTTP"])
def test_a_broken_answer_is_a_webhook_error_that_does_not_name_its_url(answer):
    with RawServer(answer) as webhook, pytest.raises(WebhookError) as caught:
        post(webhook.url, "x", timeout=3)

    assert webhook.requests == 1
    assert "secret-path-of-the-webhook" not in str(caught.value)


def test_a_webhook_url_with_a_bad_port_is_refused_by_the_settings_check_and_by_post():
    url = "https://hooks.example.com:44x/services/T0/B0/very-secret-token"

    assert url_problem(url) == "has a port that is not a number from 1 to 65535"
    with pytest.raises(WebhookError) as caught:
        post(url, "x", timeout=3)
    assert "very-secret-token" not in str(caught.value)
