"""Dashboard servers for tests: a free port, waiting for /healthz, a server process."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.support.paths import REPO


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(base: str, process: subprocess.Popen | None = None, tries: int = 300) -> None:
    """Poll `base`/healthz until it answers 200; fail with the server's output if it exits."""
    for _ in range(tries):
        if process is not None and process.poll() is not None:
            out = process.stdout.read() if process.stdout else b""
            pytest.fail(f"the server exited ({process.returncode}): {out.decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{base}/healthz did not answer")


@contextmanager
def serving(argv: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """A dashboard server process (argv) on 127.0.0.1:port, stopped at the end."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BIOLAKE_", "PANEL_"))}
    process = subprocess.Popen(argv, env={**clean, **(env or {})}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
