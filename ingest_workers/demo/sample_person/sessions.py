"""The latent simulation, training: one Peloton session as it happened (a CSV row), from the
catalogue, the rider's fitness and the day's readiness; and the aborted rows real exports hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.catalogue import (
    APP_CLASSES,
    CYCLING_CLASSES,
    CYCLING_INSTRUCTORS,
    CYCLING_LENGTH_P,
    CYCLING_LENGTH_P_TIRED,
    CYCLING_LENGTHS,
    MULTIPLE,
    POWER_ZONE_INSTRUCTORS,
    SCENIC_PLACES,
)
from ingest_workers.demo.sample_person.helpers import clip_int, local_time, pick, plus
from ingest_workers.demo.sample_person.state import Session


def _bike_metrics(rng: np.random.Generator, watts: float) -> tuple[int, int, float]:
    resistance = clip_int(35 + 0.08 * watts + rng.normal(0, 3), 25, 65)
    cadence = clip_int(68 + 0.06 * watts + rng.normal(0, 4), 55, 110)
    # Peloton's displayed speed grows like power^0.55 (fit to the real sample rows).
    speed = 1.14 * watts**0.55 * rng.normal(1, 0.015)
    return resistance, cadence, speed


def _class_start(rng: np.random.Generator, tz: ZoneInfo, start: datetime, live: bool) -> datetime:
    if live:
        return plus(start, -60 * int(rng.integers(0, 13)) - start.second)
    aired = start.date() - timedelta(days=int(rng.integers(1, 500)))
    return local_time(aired, float(rng.integers(6 * 4, 21 * 4)) / 4 + rng.integers(0, 15) / 60, tz)


def cycling_session(
    rng: np.random.Generator,
    tz: ZoneInfo,
    start: datetime,
    fitness: float,
    readiness: float | None,
    has_monitor: bool,
    force_class: bool = False,
) -> Session:
    mod = 1.0 if readiness is None else 1 + 0.004 * (readiness - 76)
    variant = 1.0 if force_class else rng.random()
    if variant < 0.03:  # scenic distance ride: Length "None", no instructor, no class time
        km = int(pick(rng, (5, 10, 20), (0.5, 0.35, 0.15)))
        watts = fitness * 0.85 * mod * rng.normal(1, 0.05)
        resistance, cadence, speed = _bike_metrics(rng, watts)
        miles = km * 0.621371
        seconds = int(miles / speed * 3600)
        session = Session(
            start=start,
            seconds=seconds,
            discipline="Cycling",
            kind="Scenic Ride",
            title=f"{km} KM {pick(rng, SCENIC_PLACES)} Ride",
            instructor="",
            length="None",
            live="On Demand",
            class_start=None,
            distance=miles,
        )
    elif variant < 0.06:  # Just Ride: Length 0, no class, empty Live/On-Demand
        minutes = int(rng.integers(10, 41))
        watts = fitness * 0.8 * mod * rng.normal(1, 0.05)
        resistance, cadence, speed = _bike_metrics(rng, watts)
        seconds = minutes * 60 + int(rng.integers(0, 60))
        session = Session(
            start=start,
            seconds=seconds,
            discipline="Cycling",
            kind="",
            title=f"{minutes} min Just Ride",
            instructor="",
            length="0",
            live="",
            class_start=None,
        )
    else:
        tired = readiness is not None and readiness < 62
        kind, stem, factor = pick(rng, CYCLING_CLASSES)
        minutes = int(
            pick(rng, CYCLING_LENGTHS, CYCLING_LENGTH_P_TIRED if tired else CYCLING_LENGTH_P)
        )
        if stem == "XOXO, Cody":
            instructor = "Cody Rigsby"
        elif kind == "Power Zone":
            instructor = pick(rng, POWER_ZONE_INSTRUCTORS)
        elif kind == "Theme" and rng.random() < 0.3:
            instructor = MULTIPLE
        else:
            instructor = pick(rng, CYCLING_INSTRUCTORS)
        # Short classes are ridden harder; readiness shifts the day's legs.
        watts = fitness * factor * mod * (30 / minutes) ** 0.07 * rng.normal(1, 0.05)
        resistance, cadence, speed = _bike_metrics(rng, watts)
        live = rng.random() < 0.07
        session = Session(
            start=start,
            seconds=minutes * 60,
            discipline="Cycling",
            kind=kind,
            title=f"{minutes} min {stem}",
            instructor=instructor,
            length=str(minutes),
            live="Live" if live else "On Demand",
            class_start=_class_start(rng, tz, start, live),
        )
    watts = min(285.0, max(90.0, watts))
    session.watts = round(watts)
    session.output_kj = round(watts * session.seconds / 1000)
    session.resistance, session.cadence, session.speed = resistance, cadence, speed
    session.distance = session.distance or speed * session.seconds / 3600
    session.true_hr = 92 + 0.3 * watts + rng.normal(0, 4)
    if has_monitor:
        session.heart_rate = session.true_hr + rng.normal(0, 1.5)
        session.calories = round(session.output_kj * rng.normal(1.12, 0.08))
    else:
        session.calories = round(session.output_kj * 1.35 * rng.normal(1, 0.02))
    return session


def app_session(
    rng: np.random.Generator,
    tz: ZoneInfo,
    discipline: str,
    start: datetime,
    fitness: float,
    has_monitor: bool,
) -> Session:
    spec = APP_CLASSES[discipline]
    kind, stem = pick(rng, spec.classes)
    minutes = int(pick(rng, spec.lengths, spec.length_p))
    instructor = pick(rng, spec.instructors)
    if discipline == "Bike Bootcamp" and rng.random() < 0.05:
        instructor = MULTIPLE
    live = rng.random() < 0.04
    session = Session(
        start=start,
        seconds=minutes * 60,
        discipline=discipline,
        kind=kind,
        title=f"{minutes} min {stem}",
        instructor=instructor,
        length=str(minutes),
        live="Live" if live else "On Demand",
        class_start=_class_start(rng, tz, start, live),
    )
    session.true_hr = spec.heart_rate + rng.normal(0, 4)
    session.calories = round(spec.kcal_per_min * minutes * rng.normal(1, 0.1))
    if discipline == "Meditation" and rng.random() < 0.5:
        session.calories = None  # real exports leave some meditations without calories
    if discipline == "Bike Bootcamp":
        # Only the bike half has output; the export fills speed and distance but not watts.
        watts = fitness * 0.95 * rng.normal(1, 0.05)
        _, _, speed = _bike_metrics(rng, watts)
        session.output_kj = round(watts * minutes * 30 / 1000)
        session.speed, session.distance = speed, speed * minutes / 120
    if has_monitor:
        session.heart_rate = session.true_hr + rng.normal(0, 1.5)
    return session


def with_extra(
    rng: np.random.Generator, tz: ZoneInfo, kind: str, today: list[Session]
) -> list[Session]:
    """Insert the aborted rows real exports contain in front of the day's first ride."""
    main = today[0]
    if kind == "duplicate":
        # The same class started twice a minute apart; the first attempt was abandoned.
        extra = replace(
            main,
            start=plus(main.start, -60),
            seconds=45,
            output_kj=0,
            watts=8,
            resistance=25,
            cadence=35,
            speed=4.1,
            distance=0.01,
            calories=1,
            heart_rate=None,
            aborted=True,
        )
    elif kind == "aborted":
        extra = Session(
            start=plus(main.start, -300),
            seconds=90,
            discipline="Cycling",
            kind="Intervals",
            title="30 min HIIT Ride",
            instructor=pick(rng, CYCLING_INSTRUCTORS),
            length="30",
            live="On Demand",
            class_start=_class_start(rng, tz, main.start, False),
            output_kj=0,
            watts=4,
            resistance=30,
            cadence=12,
            speed=3.1,
            distance=0.01,
            calories=0,
            true_hr=80.0,
            aborted=True,
        )
    else:
        extra = Session(
            start=plus(main.start, -600),
            seconds=60,
            discipline="Cycling",
            kind="",
            title="Lanebreak Ride",
            instructor="",
            length="0",
            live="",
            class_start=None,
            output_kj=0,
            watts=10,
            resistance=30,
            cadence=20,
            speed=2.75,
            distance=0.01,
            calories=0,
            true_hr=80.0,
            aborted=True,
        )
    return [extra, *today]
