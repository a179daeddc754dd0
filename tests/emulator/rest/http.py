"""Plain HTTP calls with urllib, shaped like the curl examples of Google's documentation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["HttpClient", "Reply"]

PARENT_PATH = "projects/demo-project/locations/us-central1"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status, its JSON body, and the body as sent."""

    status: int
    json: Any
    text: str


class HttpClient:
    """Sends requests to `base_url`; never through a proxy."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """`method` on base_url/`path`; a `body` that is not bytes is sent as JSON."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.base_url}/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with self._opener.open(request, timeout=10) as response:
                return _reply(response.status, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return _reply(error.code, error.read())

    def get(self, path: str, **options: Any) -> Reply:
        return self.call("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.call("POST", path, body, **options)


def _reply(status: int, raw: bytes) -> Reply:
    text = raw.decode("utf-8")
    return Reply(status=status, json=json.loads(text), text=text)
