"""The ring's activity day: 288 five-minute classes from 04:00 local, per-minute METs and
steps, from the day's nights, naps, walks and sessions.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.catalogue import BIKE_DISCIPLINES
from ingest_workers.demo.sample_person.helpers import local_time, plus, seconds_between
from ingest_workers.demo.sample_person.parameters import KCAL_PER_MET_MINUTE
from ingest_workers.demo.sample_person.state import Activity, Day


def bedtime_of(days: list[Day], i: int, tz: ZoneInfo) -> datetime:
    """End of day i's waking hours: the next night's first period (an evening 'rest' or bed)."""
    if i + 1 < len(days):
        return min(p.start for p in (days[i + 1].night, *days[i + 1].naps))
    return local_time(days[i].day, 22.75, tz)


def ring_activity(
    rng: np.random.Generator, tz: ZoneInfo, day: Day, next_bedtime: datetime
) -> Activity:
    """288 five-minute classes from 04:00 local, per-minute METs and steps for one day."""
    t0 = local_time(day.day, 4.0, tz)
    classes = np.full(288, "2")

    def mark(start: datetime, end: datetime, value: str) -> None:
        k0 = math.floor(seconds_between(t0, start) / 300)
        k1 = math.ceil(seconds_between(t0, end) / 300)
        if k1 > 0 and k0 < 288:
            classes[max(k0, 0) : min(k1, 288)] = value

    mark(t0, day.night.end, "1")
    mark(next_bedtime, plus(t0, 86400), "1")
    for nap in day.naps:
        mark(nap.start, nap.end, "1")
    # Incidental steps: more on weekends and on training days, few when sick.
    incidental = (7500 if day.day.weekday() >= 5 else 6000) + (1200 if day.sessions else 0)
    incidental = incidental * rng.lognormal(0, 0.2) * (0.45 if day.ill else 1.0)
    awake_slots = np.flatnonzero(classes == "2")
    n_low = min(len(awake_slots), round(incidental / 350))
    low = rng.choice(awake_slots, size=n_low, replace=False) if n_low else np.array([], int)
    classes[low] = "3"
    slot_steps = np.zeros(288)
    slot_steps[classes == "3"] = incidental * 0.9 / max(n_low, 1)
    slot_steps[classes == "2"] = incidental * 0.1 / max(int(np.sum(classes == "2")), 1)
    for walk in day.walks:
        mark(walk.start, walk.end, "4" if walk.intensity == "moderate" else "3")
        k0 = max(0, math.floor(seconds_between(t0, walk.start) / 300))
        k1 = min(288, math.ceil(seconds_between(t0, walk.end) / 300))
        slot_steps[k0:k1] = (120 if walk.intensity == "moderate" else 105) * 5
    met_high = np.zeros(288)
    for s in day.sessions:
        if s.aborted:
            continue
        if s.discipline in ("Yoga", "Stretching"):
            value, met = "3", 2.5
        elif s.discipline == "Meditation":
            value, met = "2", 1.1
        elif s.discipline == "Strength":
            value, met = "4", 5.0
        else:
            watts = s.watts or 170
            met = 1 + watts / 22 if s.discipline == "Cycling" else 8.0
            value = "5" if met >= 6 else "4"
        mark(s.start, s.end, value)
        k0 = max(0, math.floor(seconds_between(t0, s.start) / 300))
        k1 = min(288, math.ceil(seconds_between(t0, s.end) / 300))
        met_high[k0:k1] = met
        slot_steps[k0:k1] = 0 if s.discipline in BIKE_DISCIPLINES else 40
    if rng.random() < 0.25:  # took the ring off for a shower or to charge it
        wake_k = max(0, math.ceil(seconds_between(t0, day.night.end) / 300))
        k = min(287, wake_k + int(rng.integers(1, 12)))
        off = [j for j in range(k, min(288, k + int(rng.integers(1, 5)))) if classes[j] == "2"]
        classes[off] = "0"

    # Per-minute METs, 5 per slot, in the ranges Oura uses for each class.
    u = rng.random((288, 5))
    base = {
        "0": np.full((288, 5), 0.1),  # non-wear: no reading; 0.1 is the floor seen in real data
        "1": np.where(u < 0.95, 0.9, 1.0 + 0.2 * u),
        "2": 0.9 + 0.5 * u**2,
        "3": 1.5 + 1.4 * u,
        "4": 3.0 + 2.9 * u,
        "5": np.maximum(6.0, met_high[:, None] + 1.2 * (u - 0.5)),
    }
    met = np.zeros((288, 5))
    for value, table in base.items():
        rows = classes == value
        met[rows] = table[rows]
    if np.any(classes == "4"):
        rows = (classes == "4") & (met_high > 0)
        met[rows] = np.clip(met_high[rows, None] + 0.8 * (u[rows] - 0.5), 3.0, 5.9)
    met = np.round(met, 1)
    steps = int(np.clip(round(slot_steps.sum()), 1500, 25000))
    active = met[classes[:, None].repeat(5, axis=1) != "0"] - 1.0
    active_calories = round(float(np.sum(np.clip(active, 0, None))) * KCAL_PER_MET_MINUTE)
    return Activity(
        start=t0,
        classes="".join(classes.tolist()),
        met=[float(v) for v in met.reshape(-1)],
        slot_steps=slot_steps,
        steps=steps,
        active_calories=active_calories,
        workouts=sum(1 for s in day.sessions if not s.aborted),
    )
