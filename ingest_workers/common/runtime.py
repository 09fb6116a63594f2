"""What a live sync takes from the outside world, and the one HTTP client it talks through.

`Runtime` holds the three outside-world handles of a run: the clock, the HTTP transport and the
randomness of the retry jitter. The default is the real time and the real network; tests share
one `FakeClock` with a simulator and, for unit tests, swap the transport. `http_client` opens the
run's `httpx.Client` (the project's timeouts and User-Agent) and closes it when the run ends.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from ingest_workers.common.clock import Clock, SystemClock


@dataclass(frozen=True)
class Runtime:
    """The clock, transport (None: httpx's default, the real network) and randomness of a run."""

    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None
    rng: random.Random = field(default_factory=random.Random)


@contextmanager
def http_client(runtime: Runtime) -> Iterator[httpx.Client]:
    """The run's HTTP client over `runtime.transport`; closed on leaving the block."""
    http = httpx.Client(
        transport=runtime.transport, timeout=httpx.Timeout(60.0, connect=15.0),
        headers={"User-Agent": "bio-lakehouse"},
    )
    try:
        yield http
    finally:
        http.close()
