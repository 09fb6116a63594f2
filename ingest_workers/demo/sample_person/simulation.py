"""The latent simulation, days: one walk over the calendar in which each day's training sees
that day's readiness, and each morning's readiness the load of the day before; then the days
the ring was not worn or synced only part of its endpoints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.helpers import clip_int, local_time, plus, seconds_between
from ingest_workers.demo.sample_person.nights import long_sleep_period, nap_period, sleep_scores
from ingest_workers.demo.sample_person.parameters import (
    HRV_BASE_MS,
    ILLNESS_CEILING,
    ILLNESS_DROP,
    READINESS_BASE,
    READINESS_NOISE_PHI,
    READINESS_NOISE_SD,
    READINESS_PER_KJ,
    READINESS_SLEEP_PREV,
    READINESS_SLEEP_TODAY,
    RHR_BASE,
    SLEEP_MEAN,
)
from ingest_workers.demo.sample_person.sessions import app_session, cycling_session, with_extra
from ingest_workers.demo.sample_person.state import Day, Period, Plan, Session, Walk

# Days where the ring synced only some endpoints (dropped endpoints per pattern).
_PARTIAL_PATTERNS = (
    frozenset({"daily_spo2", "daily_stress"}),
    frozenset({"sleep", "daily_sleep", "daily_readiness", "daily_spo2"}),
    frozenset({"daily_activity", "heartrate"}),
    frozenset({"daily_readiness"}),
)


def _overlaps(start: datetime, end: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _first_start(
    rng: np.random.Generator, tz: ZoneInfo, d: date, wake: datetime | None
) -> datetime:
    if d.weekday() >= 5:
        hour = rng.uniform(8.0, 11.0)
    elif rng.random() < 0.55:
        hour = rng.uniform(6.0, 7.5)
    else:
        hour = rng.uniform(17.3, 19.5)
    start = local_time(d, hour, tz)
    if wake is not None and seconds_between(wake, start) < 900:
        start = plus(wake, int(rng.integers(1200, 3000)))
    return plus(start, int(rng.integers(0, 60)))


def _walks(
    rng: np.random.Generator,
    tz: ZoneInfo,
    d: date,
    ill: bool,
    wake: datetime,
    busy: list[tuple[datetime, datetime]],
) -> list[Walk]:
    walks: list[Walk] = []
    for _ in range(0 if ill else min(3, int(rng.poisson(0.8)))):
        start = local_time(d, rng.uniform(8.0, 20.0), tz)
        seconds = 60 * int(rng.integers(10, 51))
        end = plus(start, seconds)
        if seconds_between(wake, start) < 900 or _overlaps(start, end, busy):
            continue
        walks.append(Walk(start, seconds, "moderate" if rng.random() < 0.35 else "easy"))
        busy.append((start, end))
    return sorted(walks, key=lambda w: w.start)


@dataclass
class _Carry:
    """What one simulated day hands to the next."""

    noise: float = 0.0  # readiness AR(1) residual
    temp_trend: float = 0.0
    load: float = 0.0  # training load of the day just simulated
    busy_until: datetime | None = None  # end of its last session, walk or nap


def _morning(
    rng: np.random.Generator,
    tz: ZoneInfo,
    d: date,
    scores: tuple[float, float],
    sick: bool,
    recovering: bool,
    carry: _Carry,
) -> Day:
    """Readiness, HRV, resting HR and the night that ended on day `d` (scores: d-1, d)."""
    prev_score, score = scores
    carry.noise = READINESS_NOISE_PHI * carry.noise + rng.normal(0, READINESS_NOISE_SD)
    r = (
        READINESS_BASE
        + READINESS_SLEEP_TODAY * (score - SLEEP_MEAN)
        + READINESS_SLEEP_PREV * (prev_score - SLEEP_MEAN)
        - READINESS_PER_KJ * carry.load
        + carry.noise
    )
    if sick:
        r = min(r - ILLNESS_DROP, ILLNESS_CEILING - rng.uniform(0, 6))
    elif recovering:
        r -= 10  # still recovering the day after
    r = min(r, 90 + 0.4 * (r - 90))  # scores above 90 are hard to earn
    readiness = clip_int(r)
    hrv = HRV_BASE_MS * math.exp(0.018 * (readiness - 76) + rng.normal(0, 0.12))
    rhr = RHR_BASE - 0.16 * (readiness - 76) + rng.normal(0, 1.5)
    temp = rng.normal(0, 0.12) + (rng.uniform(0.5, 1.1) if sick else 0.0)
    carry.temp_trend = 0.6 * carry.temp_trend + 0.4 * temp
    latent = {
        "ill": sick,
        "readiness": float(readiness),
        "rhr": rhr + (6.0 if sick else 0.0),
        "hrv": hrv * (0.75 if sick else 1.0),
    }
    night = long_sleep_period(rng, tz, d, score, latent, carry.busy_until)
    naps: list[Period] = []
    rest_start = plus(night.start, -60 * int(rng.integers(45, 100)))
    free = carry.busy_until is None or rest_start > carry.busy_until
    if rng.random() < 0.06 and rest_start.hour >= 18 and free:
        rest = nap_period(rng, "rest", rest_start, latent["rhr"])
        if rest.end < night.start:
            naps.append(rest)
    return Day(
        day=d,
        ill=sick,
        sleep_score=int(score),
        readiness=readiness,
        hrv=latent["hrv"],
        rhr=latent["rhr"],
        temp_dev=round(float(temp), 2),
        temp_trend=round(float(carry.temp_trend), 2),
        load_prev=carry.load,
        night=night,
        naps=naps,
    )


def _training(
    rng: np.random.Generator,
    tz: ZoneInfo,
    d: date,
    plan: Plan,
    days_in: int,
    span: int,
    wake: datetime | None,
    readiness: float | None,
) -> list[Session]:
    """The day's Peloton sessions back to back, plus any aborted rows planned for it."""
    fitness = 135 + 55 * days_in / span + 6 * math.sin(2 * math.pi * days_in / 400)
    has_monitor = days_in >= 365  # no heart-rate monitor in the first year
    today: list[Session] = []
    start: datetime | None = None
    for discipline in plan.disciplines.get(d, ()):
        # The duplicated start needs a class ride (same class, a minute apart) to copy.
        duplicate = start is None and plan.extras.get(d) == "duplicate"
        start = _first_start(rng, tz, d, wake) if start is None else start
        monitor = has_monitor and rng.random() > 0.08
        if discipline == "Cycling":
            s = cycling_session(rng, tz, start, fitness, readiness, monitor, duplicate)
        else:
            s = app_session(rng, tz, discipline, start, fitness, monitor)
        today.append(s)
        start = plus(s.end, 60 * int(rng.integers(1, 5)))
    if d in plan.extras and today:
        today = with_extra(rng, tz, plan.extras[d], today)
    return today


def simulate(
    rng: np.random.Generator,
    tz: ZoneInfo,
    plan: Plan,
    first: date,
    window: list[date],
    ill: np.ndarray,
) -> tuple[list[Session], list[Day]]:
    """Walk the calendar once so each day's training sees that day's readiness and vice versa."""
    index = {d: i for i, d in enumerate(window)}
    scores = sleep_scores(rng, window, ill)
    span = max((window[-1] - first).days, 1)
    sessions: list[Session] = []
    days: list[Day] = []
    carry = _Carry()
    d = min(first, window[0])
    while d <= window[-1]:
        i = index.get(d)
        state = None
        if i is not None:
            recovering = i > 0 and bool(ill[i - 1])
            pair = (float(scores[i]), float(scores[i + 1]))
            state = _morning(rng, tz, d, pair, bool(ill[i]), recovering, carry)
        wake = None if state is None else state.night.end
        readiness = None if state is None else float(state.readiness)
        today = _training(rng, tz, d, plan, (d - first).days, span, wake, readiness)
        sessions.extend(today)
        busy = [(s.start, s.end) for s in today]
        if state is not None:
            state.sessions = today
            state.walks = _walks(rng, tz, d, state.ill, state.night.end, busy)
            nap_p = 0.5 if state.ill else (0.15 if d.weekday() >= 5 else 0.07)
            nap_start = local_time(d, rng.uniform(13.0, 16.0), tz)
            if rng.random() < nap_p and not _overlaps(nap_start, plus(nap_start, 4500), busy):
                nap = nap_period(rng, "sleep", nap_start, state.rhr)
                state.naps.append(nap)
                busy.append((nap.start, nap.end))
            days.append(state)
        carry.busy_until = max((b for _, b in busy), default=None)
        carry.load = sum(s.load for s in today)
        d += timedelta(days=1)
    return sessions, days


def ring_gaps(
    rng: np.random.Generator, window: list[date], ill: np.ndarray
) -> tuple[set[date], dict[date, frozenset[str]]]:
    """Days the ring was not worn (no documents) and days that synced only some endpoints."""
    n = len(window)
    if n < 10:
        return set(), {}
    protected = ill | np.concatenate(([False], ill[:-1]))  # keep illness visible
    candidates = [i for i in range(2, n - 2) if not protected[i]]
    n_missing = min(max(2, round(0.04 * n)), len(candidates))
    missing = set(rng.choice(candidates, size=n_missing, replace=False).tolist())
    rest = [i for i in candidates if i not in missing and i - 1 not in missing]
    partial_idx = rng.choice(rest, size=min(3, len(rest)), replace=False).tolist()
    patterns = rng.permutation(len(_PARTIAL_PATTERNS)).tolist()
    partial = {
        window[i]: _PARTIAL_PATTERNS[patterns[k % len(patterns)]] for k, i in enumerate(partial_idx)
    }
    return {window[i] for i in missing}, partial
