"""The REST surface's HTTP server: HTTP/1.1 on 127.0.0.1, a thread per connection.

Only HTTP happens here; what a request means is `emulator.rest.api`'s job.
Headers are not read beyond the body's framing and X-Server-Timeout: the
Authorization header is accepted and ignored, as Google's own emulators do,
and neither headers nor query strings (which may carry `access_token` or
`key`) are ever logged.
"""

from __future__ import annotations

import logging
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import grpc

from emulator.rest.api import Answer, RestApi
from emulator.rest.errors import RestError
from emulator.rest.gateway import Gateway
from emulator.server import HOST

__all__ = ["RestServer", "build_rest_server"]

_log = logging.getLogger(__name__)
_IDLE_CONNECTION_SECONDS = 60
# How often the serving loop looks for a stop request: what `stop` may wait.
_SHUTDOWN_POLL_SECONDS = 0.05


class RestServer:
    """A bound REST server; `start` serves it on a thread of its own, `stop` ends it."""

    def __init__(self, http_server: _HttpServer) -> None:
        self._http_server = http_server
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._http_server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL clients are given, e.g. http://127.0.0.1:8080."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._http_server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
            name="emulator-rest",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port; requests in flight are not waited for."""
        if self._thread is not None:
            self._http_server.shutdown()
            self._thread.join()
        self._http_server.server_close()
        self._http_server.gateway.close()


def build_rest_server(grpc_target: str, *, port: int = 0) -> RestServer:
    """A REST server on 127.0.0.1:`port` (0: a free port) in front of the gRPC server at `grpc_target`.

    Raises OSError if the port cannot be bound.
    """
    gateway = Gateway(grpc_target)
    try:
        return RestServer(_HttpServer((HOST, port), gateway))
    except OSError:
        gateway.close()
        raise


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        self.api = RestApi(gateway)
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vertex-ai-emulator"
    sys_version = ""
    timeout = _IDLE_CONNECTION_SECONDS
    server: _HttpServer

    def do_GET(self) -> None:
        self._send(self._answer())

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _answer(self) -> Answer:
        api = self.server.api
        try:
            body = self._body()
        except ValueError as error:
            self.close_connection = True  # what is left of the body would be read as the next request
            return api.refuse(RestError.of(grpc.StatusCode.INVALID_ARGUMENT, str(error)))
        return api.answer(self.command, self.path, body, _server_timeout(self.headers.get("X-Server-Timeout")))

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _read_chunked(self.rfile)
        length = self.headers.get("Content-Length", "0")
        if not length.isdecimal():
            raise ValueError(f"Content-Length must be a number of bytes, got {length!r}.")
        return self.rfile.read(int(length))

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # The path only: a query string may hold access_token or key.
        _log.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the base class writes request lines, queries included, to stderr."""


def _read_chunked(stream: BinaryIO) -> bytes:
    """A chunked request body (RFC 9112, 7.1); ValueError if it is malformed."""
    body = bytearray()
    while True:
        try:
            size = int(stream.readline().split(b";")[0].strip(), 16)
        except ValueError:
            raise ValueError("The chunked request body is malformed.") from None
        if size == 0:
            break
        body += stream.read(size)
        if stream.readline().strip():
            raise ValueError("A chunk of the request body is longer than its size says.")
    while stream.readline().strip():
        pass  # trailer fields: none of them matter here
    return bytes(body)


def _server_timeout(text: str | None) -> float | None:
    try:
        seconds = float(text) if text else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
