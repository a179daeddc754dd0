"""A webhook on 127.0.0.1 for tests that answers every request with fixed raw bytes: a broken
HTTP answer (a proxy that drops the connection mid-answer, a server that does not speak HTTP).

    with RawServer(b"garbage\r\n\r\n") as webhook:
        post(webhook.url, "x")  # WebhookError
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class RawServer:
    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests = 0
        """The requests read whole (and answered with `answer`)."""
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/hooks/T000/B000/secret-path-of-the-webhook"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            with connection:
                connection.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests += 1
                connection.sendall(self.answer)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept
        except OSError:
            pass
        self._socket.close()
        self._thread.join(timeout=5)
