"""A Cloud Storage emulator (the `gcp-storage-emulator` package) as a subprocess, for tests.

google-cloud-storage reaches it through STORAGE_EMULATOR_HOST, as it would real GCS.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.support.polling import wait_for

EMULATOR = Path(sys.executable).with_name("gcp-storage-emulator")


class StorageEmulatorProcess:
    def __init__(self, bucket: str):
        self.bucket = bucket
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self) -> StorageEmulatorProcess:
        self._process = subprocess.Popen(
            [str(EMULATOR), "start", "--host", "127.0.0.1", "--port", str(self.port),
             "--in-memory", "--default-bucket", self.bucket, "--quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._accepts_connections, timeout=30)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)

    def client(self) -> storage.Client:
        return storage.Client(project="e2e-project", credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": self.url})

    def objects(self) -> dict[str, storage.Blob]:
        return {blob.name: blob for blob in self.client().list_blobs(self.bucket)}

    def _accepts_connections(self) -> bool:
        if self._process.poll() is not None:
            raise RuntimeError(f"gcp-storage-emulator exited with {self._process.returncode}")
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
