"""The latent simulation, nights: illness stretches, nightly sleep scores, and each night's
sleep periods (hypnogram, movement, heart rate and HRV), naps and rejected 'rest' periods.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.helpers import local_time, plus, seconds_between
from ingest_workers.demo.sample_person.parameters import SLEEP_MEAN, SLEEP_PHI, SLEEP_SD
from ingest_workers.demo.sample_person.state import Period


def _eighths(value: float) -> float:
    # Oura's sleep averages come in steps of 1/8 (71.25, 14.875).
    return round(value * 8) / 8


def illness_mask(rng: np.random.Generator, n: int) -> np.ndarray:
    """1-2 stretches of 3-5 sick days, two weeks apart, away from the window's edges."""
    ill = np.zeros(n, dtype=bool)
    if n < 21:
        return ill
    wanted = int(rng.integers(1, 3)) if n >= 60 else 1
    placed = 0
    for _ in range(200):
        if placed == wanted:
            break
        length = int(rng.integers(3, 6))
        start = int(rng.integers(7, n - length - 3))
        if ill[max(0, start - 14) : start + length + 14].any():
            continue
        ill[start : start + length] = True
        placed += 1
    return ill


def sleep_scores(rng: np.random.Generator, window: list[date], ill: np.ndarray) -> np.ndarray:
    """Nightly sleep score by wake day; index 0 is the day before the window."""
    a = rng.normal(0, SLEEP_SD / math.sqrt(1 - SLEEP_PHI**2))
    scores = np.empty(len(window) + 1)
    for j in range(len(window) + 1):
        d = window[0] - timedelta(days=1 - j)
        a = SLEEP_PHI * a + rng.normal(0, SLEEP_SD)
        # Lie-ins on Saturday/Sunday mornings; the Sunday-night scaries show on Monday.
        rhythm = 3.0 if d.weekday() >= 5 else (-3.0 if d.weekday() == 0 else 0.0)
        sick = -9.0 if j >= 1 and ill[j - 1] else 0.0
        scores[j] = min(98, max(30, round(SLEEP_MEAN + a + rhythm + sick)))
    return scores


def _hypnogram(rng: np.random.Generator, slots: int, latency: int, waso: int, deep: float) -> str:
    """5-minute phases: deep early in each 90-min cycle and early in the night, REM late."""
    phases = np.full(slots, "2")
    phases[:latency] = "4"
    phases[-1] = "4"
    inner = np.arange(latency, slots - 1)
    if len(inner):
        x = (inner - latency) / len(inner)
        pos = ((inner - latency) % 18) / 18
        p_deep = np.where((pos > 0.15) & (pos < 0.5), 1.2 * deep * (1 - x) ** 1.5, 0.0)
        p_rem = np.where(pos > 0.7, 0.35 + 0.6 * x, 0.0)
        u = rng.random(len(inner))
        phases[inner] = np.where(u < p_deep, "1", np.where(u < p_rem, "3", "2"))
        if waso > 0:
            phases[rng.choice(inner, size=min(waso, len(inner)), replace=False)] = "4"
    return "".join(phases.tolist())


def _movement(rng: np.random.Generator, phases: str, time_in_bed: int) -> str:
    epochs = math.ceil(time_in_bed / 30)
    slot = np.minimum(np.arange(epochs) // 10, len(phases) - 1)
    awake = np.array(list(phases))[slot] == "4"
    u = rng.random(epochs)
    asleep = np.select([u < 0.86, u < 0.97], ["1", "2"], "3")
    restless = np.select([u < 0.3, u < 0.65, u < 0.85], ["1", "2", "3"], "4")
    return "".join(np.where(awake, restless, asleep).tolist())


def _period(
    rng: np.random.Generator, time_in_bed: int, latency: int, waso: int, deep: float
) -> tuple[str, str, int, int, int]:
    """Phases, movement and stage durations (30-s resolution, summing below time in bed)."""
    slots = math.ceil(time_in_bed / 300)
    latency_slots = max(1, min(round(latency / 300), slots - 2))
    phases = _hypnogram(rng, slots, latency_slots, waso, deep)
    counts = {c: phases.count(c) for c in "123"}
    jitter = rng.integers(0, 5, size=3) * 30
    stage = [max(0, counts[c] * 300 - int(j)) for c, j in zip("123", jitter, strict=True)]
    return phases, _movement(rng, phases, time_in_bed), stage[0], stage[1], stage[2]


def long_sleep_period(
    rng: np.random.Generator,
    tz: ZoneInfo,
    wake_day: date,
    score: float,
    day: dict[str, float],
    not_before: datetime | None,
) -> Period:
    evening = wake_day - timedelta(days=1)
    weekend_night = evening.weekday() in (4, 5)
    ill = bool(day["ill"])
    hour = 22.75 + (0.8 if weekend_night else 0.0) - (0.6 if ill else 0.0) + rng.normal(0, 0.35)
    start = plus(local_time(evening, hour, tz), int(rng.integers(0, 60)))
    if not_before is not None and seconds_between(not_before, start) < 1800:
        start = plus(not_before, int(rng.integers(1800, 3600)))
    # Total sleep follows the score: about 7.1 h at 78, 4.5 min more per point.
    hours = 7.1 + 0.075 * (score - SLEEP_MEAN) + (0.4 if weekend_night else 0.0)
    hours = min(9.8, max(4.5, hours + (0.5 if ill else 0.0) + rng.normal(0, 0.2)))
    efficiency = min(97.0, max(65.0, 88 + 0.35 * (score - SLEEP_MEAN) + rng.normal(0, 1.5)))
    efficiency -= 6.0 if ill else 0.0
    time_in_bed = int(hours * 3600 / (efficiency / 100)) + int(rng.integers(0, 60))
    latency = 30 * int(rng.integers(20, 80) if ill else rng.integers(8, 50))
    awake_slots = round(time_in_bed * (1 - efficiency / 100) / 300)
    waso = max(0, awake_slots - round(latency / 300) - 1)
    deep = 1.0 + 0.02 * (score - SLEEP_MEAN)
    phases, movement, deep_s, light_s, rem_s = _period(rng, time_in_bed, latency, waso, deep)
    n = time_in_bed // 300
    k = np.arange(n)
    awake = np.array(list(phases[:n])) == "4"
    # Heart rate settles from bedtime to the night's low (the day's resting HR), then rises.
    hr = day["rhr"] + 1 + 9 * np.exp(-k / 15) + 1.5 * np.sin(k / 7) + 4 * awake
    hr = np.round(hr + rng.normal(0, 1.3, n))
    hrv = day["hrv"] * (0.55 + 0.9 * k / max(n - 1, 1)) * np.exp(rng.normal(0, 0.2, n))
    hrv = np.round(np.where(awake, hrv * 0.6, hrv))
    missing = rng.random(n) < 0.02
    hr_items = [None if m else float(v) for v, m in zip(hr, missing, strict=True)]
    hrv_items = [None if m else float(v) for v, m in zip(hrv, missing, strict=True)]
    breath = 14.6 + (1.2 if ill else 0.0) - 0.02 * (day["readiness"] - 76) + rng.normal(0, 0.35)
    return Period(
        kind="long_sleep",
        start=start,
        time_in_bed=time_in_bed,
        phases=phases,
        movement=movement,
        latency=latency,
        deep=deep_s,
        light=light_s,
        rem=rem_s,
        hr=hr_items,
        hrv=hrv_items,
        average_hr=_eighths(float(np.mean(hr[~missing]))),
        lowest_hr=int(np.min(hr[~missing])),
        average_hrv=round(float(np.mean(hrv[~missing]))),
        average_breath=_eighths(breath),
    )


def nap_period(rng: np.random.Generator, kind: str, start: datetime, rhr: float) -> Period:
    """A short period: an afternoon nap ('sleep') or a rejected evening detection ('rest')."""
    time_in_bed = 60 * int(rng.integers(15, 70)) + int(rng.integers(0, 60))
    slots = math.ceil(time_in_bed / 300)
    waso = int(slots * (0.6 if kind == "rest" else 0.15))
    latency = 30 * int(rng.integers(2, 20))
    phases, movement, deep_s, light_s, rem_s = _period(rng, time_in_bed, latency, waso, 0.3)
    # Real naps without heart-rate samples report 255 as the lowest heart rate.
    return Period(
        kind=kind,
        start=start,
        time_in_bed=time_in_bed,
        phases=phases,
        movement=movement,
        latency=latency,
        deep=deep_s,
        light=light_s,
        rem=rem_s,
        hr=None,
        hrv=None,
        average_hr=_eighths(rhr + 14 + rng.normal(0, 3)),
        lowest_hr=255,
        average_hrv=None,
        average_breath=_eighths(16.0 + rng.normal(0, 1.0)),
    )
