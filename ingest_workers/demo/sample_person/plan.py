"""The plan: which days have which Peloton disciplines, over the whole Peloton history."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ingest_workers.demo.sample_person.helpers import pick
from ingest_workers.demo.sample_person.parameters import (
    DOUBLE_SHARE,
    PRIMARY,
    SECOND,
    WEEKDAY_WEIGHT,
)
from ingest_workers.demo.sample_person.state import Plan


def plan_training(
    rng: np.random.Generator,
    first: date,
    last: date,
    n_rows: int,
    blocked: set[date],
    window_start: date,
) -> Plan:
    n = (last - first).days + 1
    dates = [first + timedelta(days=i) for i in range(n)]
    frac = np.arange(n) / max(n - 1, 1)
    dow = np.array([d.weekday() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates])
    # Denser in recent years (the habit grew) and in winter (indoor season).
    weight = WEEKDAY_WEIGHT[dow] * (0.45 + 0.75 * frac**1.5)
    weight = weight * (1 + 0.15 * np.cos(2 * np.pi * (doy - 20) / 365.25))
    # A few one-to-two-week holidays in the history, well before the Oura window.
    history = [i for i, d in enumerate(dates) if d < window_start - timedelta(days=30)]
    for _ in range(3 if len(history) > 200 else 0):
        s = int(rng.choice(history[:-20]))
        weight[s : min(s + int(rng.integers(7, 17)), history[-1])] = 0.0
    for i, d in enumerate(dates):
        if d in blocked:
            weight[i] = 0.0

    n_extra = 3 if n_rows >= 30 else 0
    base = max(n_rows - n_extra, 0)
    n_double = round(DOUBLE_SHARE * base)
    n_active = min(base - n_double, int(np.count_nonzero(weight)))
    n_double = min(base - n_active, n_active)
    if n_active == 0:
        return Plan({}, {})
    active = np.sort(rng.choice(n, size=n_active, replace=False, p=weight / weight.sum()))
    double_w = np.where(np.isin(dow[active], (1, 3, 5)), 1.5, 1.0)
    doubles = set(
        rng.choice(active, size=n_double, replace=False, p=double_w / double_w.sum()).tolist()
    )
    primary_names = tuple(name for name, _ in PRIMARY)
    primary_p = tuple(p for _, p in PRIMARY)
    second_names = tuple(name for name, _ in SECOND)
    second_p = tuple(p for _, p in SECOND)
    disciplines: dict[date, tuple[str, ...]] = {}
    for i in active.tolist():
        if i in doubles:
            disciplines[dates[i]] = ("Cycling", pick(rng, second_names, second_p))
        else:
            disciplines[dates[i]] = (pick(rng, primary_names, primary_p),)

    # The aborted rows go on cycling days before the Oura window (after the first year, when
    # the export already has most columns), falling back to any cycling day.
    cycling = [d for d, ds in disciplines.items() if ds[0] == "Cycling"]
    earlier = [d for d in cycling if first + timedelta(days=365) <= d < window_start]
    pool = earlier if len(earlier) >= n_extra else cycling
    extras: dict[date, str] = {}
    if n_extra and len(pool) >= n_extra:
        chosen = rng.choice(len(pool), size=n_extra, replace=False)
        for kind, k in zip(("duplicate", "aborted", "lanebreak"), chosen.tolist(), strict=True):
            extras[pool[k]] = kind
    return Plan(disciplines, extras)
