"""Time arithmetic and draws that every part of the sample person uses.

Times are aware datetimes in the person's zone; arithmetic on elapsed seconds goes through UTC,
so it stays right across DST changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np


def local_time(d: date, hours: float, tz: ZoneInfo) -> datetime:
    """Wall-clock time `hours` after local midnight of `d` (normalised through UTC for DST)."""
    naive = datetime(d.year, d.month, d.day) + timedelta(seconds=round(hours * 3600))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def plus(dt: datetime, seconds: float) -> datetime:
    """Elapsed-time arithmetic; plain `+` on aware datetimes is wall-clock and breaks at DST."""
    return (dt.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(dt.tzinfo)


def seconds_between(a: datetime, b: datetime) -> float:
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()


def clip_int(value: float, lo: int = 1, hi: int = 100) -> int:
    return int(min(hi, max(lo, round(value))))


def pick(rng: np.random.Generator, options: tuple, p: tuple[float, ...] | None = None):
    weights = None if p is None else np.asarray(p) / np.sum(p)
    return options[int(rng.choice(len(options), p=weights))]
