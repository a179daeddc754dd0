"""A webhook on 127.0.0.1 for tests: it records the Slack-compatible messages the tool posts.

    with WebhookServer() as webhook:
        project.run("config", "set", "--secret", "gemini-tuning:notify", json.dumps([webhook.url]))
        ...
        assert webhook.texts() == [...]

`answer` says how it answers the next requests: "ok" (200, the message is delivered),
"fail" (500: not delivered, the sender should keep it), or "stall" (the request is read and
held without an answer, as a webhook that hangs: not delivered). `release()` drops the held
requests without answering them. A message counts as delivered only when it was answered 200.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class WebhookServer:
    def __init__(self) -> None:
        self.answer = "ok"
        self.delivered: list[dict] = []
        """The bodies answered 200, in order."""
        self.refused: list[dict] = []
        self.stalled: list[dict] = []
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/T000/B000/secret-path-of-the-webhook"

    def texts(self) -> list[str]:
        with self._lock:
            return [body["text"] for body in self.delivered]

    def release(self) -> None:
        """Lets the held requests go, unanswered."""
        self._release.set()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = server.answer
                with server._lock:
                    {"ok": server.delivered, "fail": server.refused, "stall": server.stalled}[answer].append(body)
                if answer == "stall":
                    server._release.wait(120)
                    self.close_connection = True
                    return
                self.send_response(200 if answer == "ok" else 500)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args) -> None:
                pass

        return Handler

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
