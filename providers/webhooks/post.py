"""Posting one message to one webhook: Slack-compatible JSON, bounded in time, the address kept secret.

A webhook's URL is its credential (anyone who has a Slack incoming-webhook URL can post to
the channel), so it never appears in what this module says: a webhook is described by its
place in the stack's `gemini-tuning:notify` list and its scheme and host, and errors are
rewritten without the URL (urllib's own messages may quote it).

The body is `{"text": ...}`, the one key Slack's incoming webhooks need; Mattermost,
Rocket.Chat, Google Chat and Discord's `/slack` endpoints take the same. The standard
library's HTTP client is enough for one POST with a timeout, and adds no dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0
"""The longest one message may take; a webhook slower than this is tried again next run."""
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
USER_AGENT = "gemini-tuning"
PORT_PROBLEM = "has a port that is not a number from 1 to 65535"


class WebhookError(Exception):
    """A message did not reach a webhook; the message says why, without the webhook's URL."""


def webhook_id(url: str) -> str:
    """A stable id for a webhook that does not reveal its URL (a ledger records it)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def described(url: str, index: int) -> str:
    """`webhook 2 of gemini-tuning:notify (https://hooks.slack.com/…)`: enough to tell which, not enough to post."""
    parts = urlsplit(url)
    return f"webhook {index + 1} of gemini-tuning:notify ({parts.scheme}://{parts.hostname or '?'}/…)"


def url_problem(url: object) -> str:
    """What is wrong with `url` as a webhook ("" if nothing), without repeating it."""
    if not isinstance(url, str):
        return "is not a URL (write a list of https:// URLs)"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an https:// URL"
    try:
        parts.port  # noqa: B018 -- urllib raises on a port that is not a number from 0 to 65535
    except ValueError:
        return PORT_PROBLEM
    if parts.port == 0:
        return PORT_PROBLEM
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        return "is http:// to another machine: messages would cross the network in clear; use https://"
    return ""


def post(url: str, text: str, timeout: float = TIMEOUT_SECONDS) -> None:
    """POSTs `{"text": text}` to `url`; WebhookError unless it answers 2xx within `timeout`."""
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (https, or http to loopback)
            answer.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        raise WebhookError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise WebhookError(f"cannot reach it: {_without(str(exc.reason), url)}") from None
    except (http.client.HTTPException, ValueError) as exc:
        # A broken answer (a body cut off, a reply that is not HTTP) or an address urllib
        # cannot use (a bad port): neither is an OSError, and neither may fail the run.
        raise WebhookError(f"no usable HTTP answer ({type(exc).__name__})" if isinstance(exc, http.client.HTTPException)
                           and not isinstance(exc, http.client.InvalidURL)
                           else f"cannot use its address ({type(exc).__name__})") from None
    except (TimeoutError, OSError) as exc:
        raise WebhookError(f"no answer within {timeout:g} s ({type(exc).__name__})" if isinstance(exc, TimeoutError)
                           else f"cannot reach it: {_without(str(exc), url)}") from None


def _without(message: str, url: str) -> str:
    """`message` with the URL (and its path, the secret part) taken out."""
    path = urlsplit(url).path
    message = message.replace(url, "the webhook")
    return message.replace(path, "/…") if len(path) > 1 else message
