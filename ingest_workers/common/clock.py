"""Time as a dependency: the live API clients and the simulators read the time and sleep only
through a `Clock`, so tests run hours of retries, rate-limit windows and token lifetimes in
milliseconds by sharing one `FakeClock` between both sides.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (wall time: token expiry and rate-limit resets use it)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """Time that moves only when someone sleeps (or `advance` is called); thread-safe.

    `sleeps` keeps every requested pause so tests can assert what was waited, not just that
    something was.
    """

    def __init__(self, start: float = 1_743_400_800.0) -> None:  # 2025-03-31T06:00:00Z
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
