"""The simulation's internal state: what happened, before any file renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from ingest_workers.demo.sample_person.helpers import plus


@dataclass
class Session:
    """One Peloton workout as it happened (one CSV row)."""

    start: datetime  # aware, in the person's timezone; the CSV shows it to the minute
    seconds: int
    discipline: str
    kind: str  # the CSV "Type" column
    title: str
    instructor: str
    length: str  # "30", "0" (Just Ride, Lanebreak) or "None" (scenic distance rides)
    live: str  # "Live", "On Demand" or ""
    class_start: datetime | None
    output_kj: int | None = None
    watts: int | None = None
    resistance: int | None = None
    cadence: int | None = None
    speed: float | None = None
    distance: float | None = None
    calories: int | None = None
    heart_rate: float | None = None  # as printed: None without a heart-rate monitor
    true_hr: float = 0.0  # what the ring and watch saw regardless of the monitor
    aborted: bool = False

    @property
    def end(self) -> datetime:
        return plus(self.start, self.seconds)

    @property
    def load(self) -> float:
        """Training load for next-day recovery: cycling kJ plus a share of non-bike effort."""
        load = float(self.output_kj or 0)
        if self.discipline in ("Strength", "Cardio"):
            load += 0.35 * (self.calories or 0)
        elif self.discipline == "Bike Bootcamp":
            load += 0.15 * (self.calories or 0)
        return load


@dataclass
class Period:
    """One Oura sleep period (long sleep, nap or a rejected 'rest')."""

    kind: str
    start: datetime
    time_in_bed: int
    phases: str  # sleep_phase_5_min
    movement: str  # movement_30_sec
    latency: int
    deep: int
    light: int
    rem: int
    hr: list[float | None] | None
    hrv: list[float | None] | None
    average_hr: float
    lowest_hr: int
    average_hrv: int | None
    average_breath: float

    @property
    def end(self) -> datetime:
        return plus(self.start, self.time_in_bed)

    @property
    def total(self) -> int:
        return self.deep + self.light + self.rem

    @property
    def efficiency(self) -> int:
        return max(1, round(100 * self.total / self.time_in_bed))


@dataclass
class Walk:
    start: datetime
    seconds: int
    intensity: str

    @property
    def end(self) -> datetime:
        return plus(self.start, self.seconds)


@dataclass
class Day:
    """The latent state of one day of the Oura window and what happened in it."""

    day: date
    ill: bool
    sleep_score: int
    readiness: int
    hrv: float
    rhr: float
    temp_dev: float
    temp_trend: float
    load_prev: float
    night: Period
    naps: list[Period]
    sessions: list[Session] = field(default_factory=list)
    walks: list[Walk] = field(default_factory=list)


@dataclass
class Activity:
    """The ring's view of one 04:00-04:00 day; Apple steps are split from the same slots."""

    start: datetime
    classes: str
    met: list[float]
    slot_steps: np.ndarray
    steps: int
    active_calories: int
    workouts: int


@dataclass(frozen=True)
class Plan:
    disciplines: dict[date, tuple[str, ...]]
    extras: dict[date, str]  # "duplicate" | "aborted" | "lanebreak"
