"""The ring's heart-rate samples (the `heartrate` endpoint): night, nap, workout and awake
samples at the density `HeartRateSampling` asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ingest_workers.demo.sample_person.state import Day


@dataclass(frozen=True)
class HeartRateSampling:
    """Seconds between the ring's heart-rate samples. The default matches Oura's documented
    "5-minute increments"; real responses are denser (DATA-FORMATS 1.3: `workout` every 5 s,
    `awake` irregular, about 1,000 samples on a full day), see `HeartRateSampling.dense()`.
    Night and nap ('rest') samples stay 300 s apart either way."""

    awake_s: int = 300
    workout_s: int = 60

    def __post_init__(self) -> None:
        if not 5 <= self.awake_s <= 3600 or not 1 <= self.workout_s <= 600:
            raise ValueError(
                f"heart-rate sampling must be 5-3600 s awake and 1-600 s in workouts, got "
                f"{self.awake_s} s and {self.workout_s} s"
            )

    @classmethod
    def dense(cls) -> HeartRateSampling:
        """About 1,000-1,500 samples a day, like the real responses."""
        return cls(awake_s=60, workout_s=5)


def _epoch(dt: datetime) -> float:
    return dt.timestamp()


def _inside(times: np.ndarray, spans: list[tuple[datetime, datetime]]) -> np.ndarray:
    """Which of `times` (epoch seconds) fall in any [start, end) span."""
    hit = np.zeros(len(times), dtype=bool)
    for start, end in spans:
        hit |= (times >= _epoch(start)) & (times < _epoch(end))
    return hit


def heartrate_rows(
    rng: np.random.Generator,
    day: Day,
    awake_until: datetime,
    with_night: bool,
    sampling: HeartRateSampling,
) -> list[dict]:
    """Night and nap 'rest' samples every 300 s, 'awake' every `sampling.awake_s` (jittered),
    'workout' every `sampling.workout_s`; vectorised, since dense days hold ~1,500 samples."""
    times: list[np.ndarray] = []
    bpms: list[np.ndarray] = []
    sources: list[np.ndarray] = []

    def add(t: np.ndarray, bpm: np.ndarray, source: str) -> None:
        times.append(t)
        bpms.append(np.round(bpm).astype(np.int64))
        sources.append(np.full(len(t), source))

    night = day.night
    if with_night and night.hr:
        items = np.array([np.nan if b is None else b for b in night.hr], dtype=float)
        k = np.flatnonzero(~np.isnan(items))
        add(_epoch(night.start) + 300 * k + 15, items[k], "rest")
    for nap in day.naps:
        n = nap.time_in_bed // 300
        add(_epoch(nap.start) + 300 * np.arange(n) + 15, nap.average_hr + rng.normal(0, 2, n), "rest")
    trained = [s for s in day.sessions if not s.aborted and s.seconds >= 300]
    for s in trained:
        step = sampling.workout_s
        n = s.seconds // step
        minutes = np.arange(n) * step / 60
        warm = np.minimum(1.0, minutes / 5)
        bpm = day.rhr + 25 + (s.true_hr + 6 - day.rhr - 25) * warm + 6 * np.sin(minutes / 3)
        add(_epoch(s.start) + step * np.arange(n) + step // 2, bpm + rng.normal(0, 3, n), "workout")
    first = _epoch(night.end) + int(rng.integers(60, 240))
    last = _epoch(awake_until)
    if last > first:
        step, jitter = sampling.awake_s, max(1, sampling.awake_s // 12)
        n = int((last - first) // (step - jitter)) + 1
        t = first + np.concatenate(([0], np.cumsum(step + rng.integers(-jitter, jitter + 1, n - 1))))
        t = t[t < last]
        busy = [(s.start, s.end) for s in trained] + [(p.start, p.end) for p in day.naps]
        t = t[~_inside(t, busy)]
        offset = (night.end.utcoffset() or timedelta(0)).total_seconds()
        hour = ((t + offset) % 86400) / 3600
        bpm = day.rhr + 20 + 6 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 4, len(t))
        bpm = bpm + 28 * _inside(t, [(w.start, w.end) for w in day.walks])
        add(t, bpm, "awake")
    if not times:
        return []
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    stamps = np.datetime_as_string(np.round(t[order]).astype("datetime64[s]"), unit="s")
    return [
        {"bpm": b, "source": src, "timestamp": f"{ts}+00:00"}
        for b, src, ts in zip(
            np.concatenate(bpms)[order].tolist(), np.concatenate(sources)[order].tolist(),
            stamps.tolist(), strict=True,
        )
    ]
