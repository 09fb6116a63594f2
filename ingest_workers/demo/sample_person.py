"""A deterministic sample person: raw Oura, Peloton and Apple Health files in the real formats.

`biolake demo`, the tests and the benchmarks need files that parse exactly like the real exports
(docs/DATA-FORMATS.md; samples in shared/fixtures/real) *and* carry real effects for the insight
views to find. So one latent daily state is simulated first and every file is rendered from it:

    sleep score s(d)      AR(1) (phi 0.55, sd 6) around 78; Sat/Sun mornings +3, Mondays -3
    load L(d)             Peloton kJ on d + 0.35 x Strength/Cardio kcal (+ 0.15 x Bootcamp kcal)
    readiness r(d)        82 + 0.45 (s(d) - 78) + 0.40 (s(d-1) - 78) - 0.030 L(d-1)
                          + AR(1) noise (phi 0.5, sd 3); above 90 compressed; clipped to 1-100
    illness (1-2 x 3-5 d) r(d) <= 57, -10 the day after; sleep -9; HRV x0.75; RHR +6; temp up;
                          no workouts
    HRV, resting HR       48 ms x exp(0.018 (r - 76)), 52 bpm - 0.16 (r - 76), plus noise
    Peloton watts on d    fitness (135 -> 190 W over the history) x class intensity
                          x (1 + 0.004 (r(d) - 76)); shorter classes when r(d) < 62

The Peloton sessions inside the Oura window are the ones whose load enters r(d+1), so "hard
training lowers next-day readiness" holds in the written files, not just in the model.

The function is pure: randomness comes from `numpy.random.default_rng` streams spawned from
`seed` (one per concern, so `apple_health=True` or a denser heart rate changes no other file),
ids and paging tokens are hashes of the seed, and nothing reads the clock.

Files written under `out_dir`:
    oura/<endpoint>_<n>.json      Oura API v2 list responses, `page_size` documents per page
    peloton/workouts.csv          Peloton "Download Workouts" CSV (US units), newest first
    apple_health/export.xml       Apple Health export (only when `apple_health=True`)
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "APPLE_HEALTH_PROLOGUE",
    "OURA_ENDPOINTS",
    "PELOTON_HEADER",
    "HeartRateSampling",
    "SamplePersonFiles",
    "generate_sample_person",
]

OURA_ENDPOINTS = (
    "daily_readiness",
    "daily_sleep",
    "sleep",
    "daily_activity",
    "heartrate",
    "daily_spo2",
    "workout",
    "daily_stress",
    "session",
)

# The US header of DATA-FORMATS.md 3.1, in export order.
PELOTON_HEADER = (
    "Workout Timestamp",
    "Live/On-Demand",
    "Instructor Name",
    "Length (minutes)",
    "Fitness Discipline",
    "Type",
    "Title",
    "Class Timestamp",
    "Total Output",
    "Avg. Watts",
    "Avg. Resistance",
    "Avg. Cadence (RPM)",
    "Avg. Speed (mph)",
    "Distance (mi)",
    "Calories Burned",
    "Avg. Heartrate",
    "Avg. Incline",
    "Avg. Pace (min/mi)",
)

# --- latent model parameters (reported to callers in the module docstring) -------------------
_SLEEP_MEAN, _SLEEP_PHI, _SLEEP_SD = 78.0, 0.55, 6.0
_READINESS_BASE = 82.0
_READINESS_SLEEP_TODAY, _READINESS_SLEEP_PREV = 0.45, 0.40
_READINESS_PER_KJ = 0.030  # 450 kJ the day before costs about 13 readiness points
_READINESS_NOISE_PHI, _READINESS_NOISE_SD = 0.5, 3.0
_ILLNESS_DROP, _ILLNESS_CEILING = 24.0, 57.0
_HRV_BASE_MS, _RHR_BASE = 48.0, 52.0
_WEIGHT_KG, _BMR_KCAL = 78.0, 1750
_KCAL_PER_MET_MINUTE = _WEIGHT_KG * 3.5 / 200  # ACSM: kcal/min = MET x 3.5 x kg / 200

# Training rhythm: Friday is the usual rest day; Tuesday, Thursday and Saturday are the big ones.
_WEEKDAY_WEIGHT = np.array([1.0, 1.25, 0.7, 1.25, 0.35, 1.35, 0.9])
_PRIMARY = (
    ("Cycling", 0.70),
    ("Strength", 0.09),
    ("Yoga", 0.06),
    ("Stretching", 0.04),
    ("Meditation", 0.04),
    ("Bike Bootcamp", 0.05),
    ("Cardio", 0.02),
)
_SECOND = (("Strength", 0.5), ("Stretching", 0.25), ("Yoga", 0.1), ("Meditation", 0.15))
_DOUBLE_SHARE = 0.14

# --- Peloton catalogue --------------------------------------------------------------------------
# (Type, title stem, intensity factor relative to the rider's fitness watts)
_CYCLING_CLASSES = (
    ("Intervals", "HIIT Ride", 1.06),
    ("Intervals", "Tabata Ride", 1.08),
    ("Intervals", "HIIT & Hills Ride", 1.05),
    ("Music", "Pop Ride", 0.97),
    ("Music", "Hip Hop Ride", 0.98),
    ("Music", "80s Ride", 0.96),
    ("Music", "2000s Ride", 0.97),
    ("Music", "Rock Ride", 0.97),
    ("Climb", "Climb Ride", 1.0),
    ("Theme", "XOXO, Cody", 0.95),
    ("Theme", "Rock, Pop & Soul Ride", 0.96),
    ("Theme", "Holiday Ride", 0.95),
    ("Power Zone", "Power Zone Endurance Ride", 0.88),
    ("Power Zone", "Power Zone Ride", 1.0),
    ("Power Zone", "Power Zone Max Ride", 1.1),
    ("Low Impact", "Low Impact Ride", 0.72),
)
_CYCLING_INSTRUCTORS = (
    "Robin Arzon",
    "Alex Toussaint",
    "Ben Alldis",
    "Cody Rigsby",
    "Denis Morton",
    "Olivia Amato",
    "Kendall Toole",
    "Leanne Hainsby",
    "Emma Lovewell",
    "Hannah Frankson",
)
_POWER_ZONE_INSTRUCTORS = ("Matt Wilpers", "Denis Morton", "Olivia Amato")
_CYCLING_LENGTHS = (5, 10, 20, 30, 45, 60)
_CYCLING_LENGTH_P = (0.02, 0.05, 0.2, 0.43, 0.22, 0.08)
_CYCLING_LENGTH_P_TIRED = (0.05, 0.15, 0.4, 0.3, 0.1, 0.0)
_SCENIC_PLACES = ("Monterey Peninsula", "Amalfi Coast", "Napa Valley", "Swiss Alps", "Big Sur")
# Trailing space as in real exports.
_MULTIPLE = "Multiple Instructors "


@dataclass(frozen=True)
class _AppClasses:
    """A non-cycling discipline: (Type, title stem) pairs, lengths, instructors, effort."""

    classes: tuple[tuple[str, str], ...]
    lengths: tuple[int, ...]
    length_p: tuple[float, ...]
    instructors: tuple[str, ...]
    kcal_per_min: float
    heart_rate: float


_APP_CLASSES = {
    "Strength": _AppClasses(
        (
            ("Core", "Core Strength"),
            ("Upper Body", "Upper Body Strength"),
            ("Lower Body", "Lower Body Strength"),
            ("Full Body", "Full Body Strength"),
            ("Arms & Light Weights", "Arms & Light Weights"),
        ),
        (5, 10, 20, 30),
        (0.1, 0.4, 0.35, 0.15),
        ("Andy Speer", "Jess Sims", "Adrian Williams", "Rad Lopez", "Selena Samuela"),
        7.0,
        118.0,
    ),
    "Yoga": _AppClasses(
        (
            ("Flow", "Yoga Flow"),
            ("Focus Flow", "Yoga Flow: Hip Openers"),
            ("Restorative", "Restorative Yoga"),
            ("Yoga Basics", "Yoga Basics"),
        ),
        (10, 20, 30),
        (0.3, 0.45, 0.25),
        ("Denis Morton", "Ross Rayburn", "Aditi Shah", "Kristin McGee", "Anna Greenberg"),
        3.5,
        92.0,
    ),
    "Stretching": _AppClasses(
        (
            ("Upper Body Stretch", "Chest & Back Stretch"),
            ("Lower Body Stretch", "Lower Body Stretch"),
            ("Full Body Stretch", "Full Body Stretch"),
            ("Post-Ride Stretch", "Post-Ride Stretch"),
        ),
        (5, 10, 15),
        (0.45, 0.45, 0.1),
        ("Andy Speer", "Olivia Amato", "Denis Morton", "Hannah Frankson"),
        3.0,
        88.0,
    ),
    "Meditation": _AppClasses(
        (
            ("Mindfulness", "Breathing Meditation"),
            ("Relax & Sleep", "Sleep Meditation"),
            ("Mindfulness", "Mindfulness Meditation"),
            ("Gratitude", "Gratitude Meditation"),
        ),
        (5, 10, 15),
        (0.4, 0.45, 0.15),
        ("Aditi Shah", "Ross Rayburn", "Cody Rigsby", "Kristin McGee"),
        1.4,
        68.0,
    ),
    "Cardio": _AppClasses(
        (
            ("Dance Cardio", "Dance Cardio"),
            ("HIIT Cardio", "HIIT Cardio"),
            ("Shadowboxing", "Shadowboxing"),
        ),
        (10, 20, 30),
        (0.3, 0.5, 0.2),
        ("Jess Sims", "Mayla Wedekin", "Kirra Michel", "Selena Samuela"),
        9.0,
        138.0,
    ),
    "Bike Bootcamp": _AppClasses(
        (
            ("Music", "Bootcamp"),
            ("Music", "90s Bootcamp"),
            ("Intervals", "Full Body Bootcamp"),
            ("Intervals", "Lower Body Bootcamp"),
        ),
        (30, 45, 60),
        (0.5, 0.4, 0.1),
        ("Jess Sims", "Selena Samuela", "Rad Lopez", "Andy Speer"),
        9.5,
        142.0,
    ),
}
_BIKE_DISCIPLINES = ("Cycling", "Bike Bootcamp")

# Days where the ring synced only some endpoints (dropped endpoints per pattern).
_PARTIAL_PATTERNS = (
    frozenset({"daily_spo2", "daily_stress"}),
    frozenset({"sleep", "daily_sleep", "daily_readiness", "daily_spo2"}),
    frozenset({"daily_activity", "heartrate"}),
    frozenset({"daily_readiness"}),
)

_OURA_ACTIVITY = {
    "Cycling": ("cycling", 0.75),
    "Bike Bootcamp": ("cycling", 0.7),
    "Strength": ("strength_training", 0.5),
    "Cardio": ("dancing", 0.6),
    "Yoga": ("yoga", 0.3),
}
_APPLE_ACTIVITY = {
    "Cycling": "HKWorkoutActivityTypeCycling",
    "Bike Bootcamp": "HKWorkoutActivityTypeCrossTraining",
    "Strength": "HKWorkoutActivityTypeTraditionalStrengthTraining",
    "Yoga": "HKWorkoutActivityTypeYoga",
    "Stretching": "HKWorkoutActivityTypeFlexibility",
    "Meditation": "HKWorkoutActivityTypeMindAndBody",
    "Cardio": "HKWorkoutActivityTypeMixedCardio",
}
_APPLE_SLEEP = {
    "1": "HKCategoryValueSleepAnalysisAsleepDeep",
    "2": "HKCategoryValueSleepAnalysisAsleepCore",
    "3": "HKCategoryValueSleepAnalysisAsleepREM",
    "4": "HKCategoryValueSleepAnalysisAwake",
}
_WATCH = (
    "<<HKDevice: 0x283a1c4b0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
    "hardware:Watch6,1, software:10.1>"
)
_PHONE = (
    "<<HKDevice: 0x283a1d2c0>, name:iPhone, manufacturer:Apple Inc., model:iPhone, "
    "hardware:iPhone14,2, software:17.1>"
)
# The internal DTD of the real sample (HealthKit export version 3). It declares every element
# written here; newer exports add elements we do not emit.
APPLE_HEALTH_PROLOGUE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 3 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
>
<!ELEMENT Record (MetadataEntry*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent EMPTY>
<!ATTLIST WorkoutEvent
  type CDATA #REQUIRED
  date CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
]>
"""


@dataclass(frozen=True)
class SamplePersonFiles:
    """Where `generate_sample_person` wrote one person's raw files."""

    root: Path
    oura_dir: Path  # saved Oura API v2 list responses, one endpoint per file prefix
    peloton_csv: Path  # Peloton "Download Workouts" CSV
    apple_health_xml: Path | None


# --- internal state -----------------------------------------------------------------------------
@dataclass
class _Session:
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
        return _plus(self.start, self.seconds)

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
class _Period:
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
        return _plus(self.start, self.time_in_bed)

    @property
    def total(self) -> int:
        return self.deep + self.light + self.rem

    @property
    def efficiency(self) -> int:
        return max(1, round(100 * self.total / self.time_in_bed))


@dataclass
class _Walk:
    start: datetime
    seconds: int
    intensity: str

    @property
    def end(self) -> datetime:
        return _plus(self.start, self.seconds)


@dataclass
class _Day:
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
    night: _Period
    naps: list[_Period]
    sessions: list[_Session] = field(default_factory=list)
    walks: list[_Walk] = field(default_factory=list)


@dataclass
class _Activity:
    """The ring's view of one 04:00-04:00 day; Apple steps are split from the same slots."""

    start: datetime
    classes: str
    met: list[float]
    slot_steps: np.ndarray
    steps: int
    active_calories: int
    workouts: int


@dataclass(frozen=True)
class _Plan:
    disciplines: dict[date, tuple[str, ...]]
    extras: dict[date, str]  # "duplicate" | "aborted" | "lanebreak"


# --- small helpers ------------------------------------------------------------------------------
def _local(d: date, hours: float, tz: ZoneInfo) -> datetime:
    """Wall-clock time `hours` after local midnight of `d` (normalised through UTC for DST)."""
    naive = datetime(d.year, d.month, d.day) + timedelta(seconds=round(hours * 3600))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _plus(dt: datetime, seconds: float) -> datetime:
    """Elapsed-time arithmetic; plain `+` on aware datetimes is wall-clock and breaks at DST."""
    return (dt.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(dt.tzinfo)


def _seconds_between(a: datetime, b: datetime) -> float:
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _iso_ms(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


def _iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _apple_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S %z")


def _daily_timestamp(d: date) -> str:
    # Real daily_readiness/daily_sleep carry midnight UTC, not the local offset.
    return f"{d.isoformat()}T00:00:00+00:00"


def _doc_id(seed: int, *parts: object) -> str:
    """UUID-like id that depends only on the seed and what the document is."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _next_token(seed: int, endpoint: str, page: int) -> str:
    digest = hashlib.sha256(f"next:{seed}:{endpoint}:{page}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def _clip_int(value: float, lo: int = 1, hi: int = 100) -> int:
    return int(min(hi, max(lo, round(value))))


def _eighths(value: float) -> float:
    # Oura's sleep averages come in steps of 1/8 (71.25, 14.875).
    return round(value * 8) / 8


def _pick(rng: np.random.Generator, options: tuple, p: tuple[float, ...] | None = None):
    weights = None if p is None else np.asarray(p) / np.sum(p)
    return options[int(rng.choice(len(options), p=weights))]


def _overlaps(start: datetime, end: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
    return any(start < b and a < end for a, b in spans)


# --- the plan: which days have which Peloton disciplines -------------------------------------
def _plan_training(
    rng: np.random.Generator,
    first: date,
    last: date,
    n_rows: int,
    blocked: set[date],
    window_start: date,
) -> _Plan:
    n = (last - first).days + 1
    dates = [first + timedelta(days=i) for i in range(n)]
    frac = np.arange(n) / max(n - 1, 1)
    dow = np.array([d.weekday() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates])
    # Denser in recent years (the habit grew) and in winter (indoor season).
    weight = _WEEKDAY_WEIGHT[dow] * (0.45 + 0.75 * frac**1.5)
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
    n_double = round(_DOUBLE_SHARE * base)
    n_active = min(base - n_double, int(np.count_nonzero(weight)))
    n_double = min(base - n_active, n_active)
    if n_active == 0:
        return _Plan({}, {})
    active = np.sort(rng.choice(n, size=n_active, replace=False, p=weight / weight.sum()))
    double_w = np.where(np.isin(dow[active], (1, 3, 5)), 1.5, 1.0)
    doubles = set(
        rng.choice(active, size=n_double, replace=False, p=double_w / double_w.sum()).tolist()
    )
    primary_names = tuple(name for name, _ in _PRIMARY)
    primary_p = tuple(p for _, p in _PRIMARY)
    second_names = tuple(name for name, _ in _SECOND)
    second_p = tuple(p for _, p in _SECOND)
    disciplines: dict[date, tuple[str, ...]] = {}
    for i in active.tolist():
        if i in doubles:
            disciplines[dates[i]] = ("Cycling", _pick(rng, second_names, second_p))
        else:
            disciplines[dates[i]] = (_pick(rng, primary_names, primary_p),)

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
    return _Plan(disciplines, extras)


# --- the latent simulation --------------------------------------------------------------------
def _illness_mask(rng: np.random.Generator, n: int) -> np.ndarray:
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


def _sleep_scores(rng: np.random.Generator, window: list[date], ill: np.ndarray) -> np.ndarray:
    """Nightly sleep score by wake day; index 0 is the day before the window."""
    a = rng.normal(0, _SLEEP_SD / math.sqrt(1 - _SLEEP_PHI**2))
    scores = np.empty(len(window) + 1)
    for j in range(len(window) + 1):
        d = window[0] - timedelta(days=1 - j)
        a = _SLEEP_PHI * a + rng.normal(0, _SLEEP_SD)
        # Lie-ins on Saturday/Sunday mornings; the Sunday-night scaries show on Monday.
        rhythm = 3.0 if d.weekday() >= 5 else (-3.0 if d.weekday() == 0 else 0.0)
        sick = -9.0 if j >= 1 and ill[j - 1] else 0.0
        scores[j] = min(98, max(30, round(_SLEEP_MEAN + a + rhythm + sick)))
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


def _long_sleep(
    rng: np.random.Generator,
    tz: ZoneInfo,
    wake_day: date,
    score: float,
    day: dict[str, float],
    not_before: datetime | None,
) -> _Period:
    evening = wake_day - timedelta(days=1)
    weekend_night = evening.weekday() in (4, 5)
    ill = bool(day["ill"])
    hour = 22.75 + (0.8 if weekend_night else 0.0) - (0.6 if ill else 0.0) + rng.normal(0, 0.35)
    start = _plus(_local(evening, hour, tz), int(rng.integers(0, 60)))
    if not_before is not None and _seconds_between(not_before, start) < 1800:
        start = _plus(not_before, int(rng.integers(1800, 3600)))
    # Total sleep follows the score: about 7.1 h at 78, 4.5 min more per point.
    hours = 7.1 + 0.075 * (score - _SLEEP_MEAN) + (0.4 if weekend_night else 0.0)
    hours = min(9.8, max(4.5, hours + (0.5 if ill else 0.0) + rng.normal(0, 0.2)))
    efficiency = min(97.0, max(65.0, 88 + 0.35 * (score - _SLEEP_MEAN) + rng.normal(0, 1.5)))
    efficiency -= 6.0 if ill else 0.0
    time_in_bed = int(hours * 3600 / (efficiency / 100)) + int(rng.integers(0, 60))
    latency = 30 * int(rng.integers(20, 80) if ill else rng.integers(8, 50))
    awake_slots = round(time_in_bed * (1 - efficiency / 100) / 300)
    waso = max(0, awake_slots - round(latency / 300) - 1)
    deep = 1.0 + 0.02 * (score - _SLEEP_MEAN)
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
    return _Period(
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


def _nap(rng: np.random.Generator, kind: str, start: datetime, rhr: float) -> _Period:
    """A short period: an afternoon nap ('sleep') or a rejected evening detection ('rest')."""
    time_in_bed = 60 * int(rng.integers(15, 70)) + int(rng.integers(0, 60))
    slots = math.ceil(time_in_bed / 300)
    waso = int(slots * (0.6 if kind == "rest" else 0.15))
    latency = 30 * int(rng.integers(2, 20))
    phases, movement, deep_s, light_s, rem_s = _period(rng, time_in_bed, latency, waso, 0.3)
    # Real naps without heart-rate samples report 255 as the lowest heart rate.
    return _Period(
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


def _bike_metrics(rng: np.random.Generator, watts: float) -> tuple[int, int, float]:
    resistance = _clip_int(35 + 0.08 * watts + rng.normal(0, 3), 25, 65)
    cadence = _clip_int(68 + 0.06 * watts + rng.normal(0, 4), 55, 110)
    # Peloton's displayed speed grows like power^0.55 (fit to the real sample rows).
    speed = 1.14 * watts**0.55 * rng.normal(1, 0.015)
    return resistance, cadence, speed


def _class_start(rng: np.random.Generator, tz: ZoneInfo, start: datetime, live: bool) -> datetime:
    if live:
        return _plus(start, -60 * int(rng.integers(0, 13)) - start.second)
    aired = start.date() - timedelta(days=int(rng.integers(1, 500)))
    return _local(aired, float(rng.integers(6 * 4, 21 * 4)) / 4 + rng.integers(0, 15) / 60, tz)


def _cycling(
    rng: np.random.Generator,
    tz: ZoneInfo,
    start: datetime,
    fitness: float,
    readiness: float | None,
    has_monitor: bool,
    force_class: bool = False,
) -> _Session:
    mod = 1.0 if readiness is None else 1 + 0.004 * (readiness - 76)
    variant = 1.0 if force_class else rng.random()
    if variant < 0.03:  # scenic distance ride: Length "None", no instructor, no class time
        km = int(_pick(rng, (5, 10, 20), (0.5, 0.35, 0.15)))
        watts = fitness * 0.85 * mod * rng.normal(1, 0.05)
        resistance, cadence, speed = _bike_metrics(rng, watts)
        miles = km * 0.621371
        seconds = int(miles / speed * 3600)
        session = _Session(
            start=start,
            seconds=seconds,
            discipline="Cycling",
            kind="Scenic Ride",
            title=f"{km} KM {_pick(rng, _SCENIC_PLACES)} Ride",
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
        session = _Session(
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
        kind, stem, factor = _pick(rng, _CYCLING_CLASSES)
        minutes = int(
            _pick(rng, _CYCLING_LENGTHS, _CYCLING_LENGTH_P_TIRED if tired else _CYCLING_LENGTH_P)
        )
        if stem == "XOXO, Cody":
            instructor = "Cody Rigsby"
        elif kind == "Power Zone":
            instructor = _pick(rng, _POWER_ZONE_INSTRUCTORS)
        elif kind == "Theme" and rng.random() < 0.3:
            instructor = _MULTIPLE
        else:
            instructor = _pick(rng, _CYCLING_INSTRUCTORS)
        # Short classes are ridden harder; readiness shifts the day's legs.
        watts = fitness * factor * mod * (30 / minutes) ** 0.07 * rng.normal(1, 0.05)
        resistance, cadence, speed = _bike_metrics(rng, watts)
        live = rng.random() < 0.07
        session = _Session(
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


def _app_session(
    rng: np.random.Generator,
    tz: ZoneInfo,
    discipline: str,
    start: datetime,
    fitness: float,
    has_monitor: bool,
) -> _Session:
    spec = _APP_CLASSES[discipline]
    kind, stem = _pick(rng, spec.classes)
    minutes = int(_pick(rng, spec.lengths, spec.length_p))
    instructor = _pick(rng, spec.instructors)
    if discipline == "Bike Bootcamp" and rng.random() < 0.05:
        instructor = _MULTIPLE
    live = rng.random() < 0.04
    session = _Session(
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


def _with_extra(
    rng: np.random.Generator, tz: ZoneInfo, kind: str, today: list[_Session]
) -> list[_Session]:
    """Insert the aborted rows real exports contain in front of the day's first ride."""
    main = today[0]
    if kind == "duplicate":
        # The same class started twice a minute apart; the first attempt was abandoned.
        extra = replace(
            main,
            start=_plus(main.start, -60),
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
        extra = _Session(
            start=_plus(main.start, -300),
            seconds=90,
            discipline="Cycling",
            kind="Intervals",
            title="30 min HIIT Ride",
            instructor=_pick(rng, _CYCLING_INSTRUCTORS),
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
        extra = _Session(
            start=_plus(main.start, -600),
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


def _first_start(
    rng: np.random.Generator, tz: ZoneInfo, d: date, wake: datetime | None
) -> datetime:
    if d.weekday() >= 5:
        hour = rng.uniform(8.0, 11.0)
    elif rng.random() < 0.55:
        hour = rng.uniform(6.0, 7.5)
    else:
        hour = rng.uniform(17.3, 19.5)
    start = _local(d, hour, tz)
    if wake is not None and _seconds_between(wake, start) < 900:
        start = _plus(wake, int(rng.integers(1200, 3000)))
    return _plus(start, int(rng.integers(0, 60)))


def _walks(
    rng: np.random.Generator,
    tz: ZoneInfo,
    d: date,
    ill: bool,
    wake: datetime,
    busy: list[tuple[datetime, datetime]],
) -> list[_Walk]:
    walks: list[_Walk] = []
    for _ in range(0 if ill else min(3, int(rng.poisson(0.8)))):
        start = _local(d, rng.uniform(8.0, 20.0), tz)
        seconds = 60 * int(rng.integers(10, 51))
        end = _plus(start, seconds)
        if _seconds_between(wake, start) < 900 or _overlaps(start, end, busy):
            continue
        walks.append(_Walk(start, seconds, "moderate" if rng.random() < 0.35 else "easy"))
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
) -> _Day:
    """Readiness, HRV, resting HR and the night that ended on day `d` (scores: d-1, d)."""
    prev_score, score = scores
    carry.noise = _READINESS_NOISE_PHI * carry.noise + rng.normal(0, _READINESS_NOISE_SD)
    r = (
        _READINESS_BASE
        + _READINESS_SLEEP_TODAY * (score - _SLEEP_MEAN)
        + _READINESS_SLEEP_PREV * (prev_score - _SLEEP_MEAN)
        - _READINESS_PER_KJ * carry.load
        + carry.noise
    )
    if sick:
        r = min(r - _ILLNESS_DROP, _ILLNESS_CEILING - rng.uniform(0, 6))
    elif recovering:
        r -= 10  # still recovering the day after
    r = min(r, 90 + 0.4 * (r - 90))  # scores above 90 are hard to earn
    readiness = _clip_int(r)
    hrv = _HRV_BASE_MS * math.exp(0.018 * (readiness - 76) + rng.normal(0, 0.12))
    rhr = _RHR_BASE - 0.16 * (readiness - 76) + rng.normal(0, 1.5)
    temp = rng.normal(0, 0.12) + (rng.uniform(0.5, 1.1) if sick else 0.0)
    carry.temp_trend = 0.6 * carry.temp_trend + 0.4 * temp
    latent = {
        "ill": sick,
        "readiness": float(readiness),
        "rhr": rhr + (6.0 if sick else 0.0),
        "hrv": hrv * (0.75 if sick else 1.0),
    }
    night = _long_sleep(rng, tz, d, score, latent, carry.busy_until)
    naps: list[_Period] = []
    rest_start = _plus(night.start, -60 * int(rng.integers(45, 100)))
    free = carry.busy_until is None or rest_start > carry.busy_until
    if rng.random() < 0.06 and rest_start.hour >= 18 and free:
        rest = _nap(rng, "rest", rest_start, latent["rhr"])
        if rest.end < night.start:
            naps.append(rest)
    return _Day(
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
    plan: _Plan,
    days_in: int,
    span: int,
    wake: datetime | None,
    readiness: float | None,
) -> list[_Session]:
    """The day's Peloton sessions back to back, plus any aborted rows planned for it."""
    fitness = 135 + 55 * days_in / span + 6 * math.sin(2 * math.pi * days_in / 400)
    has_monitor = days_in >= 365  # no heart-rate monitor in the first year
    today: list[_Session] = []
    start: datetime | None = None
    for discipline in plan.disciplines.get(d, ()):
        # The duplicated start needs a class ride (same class, a minute apart) to copy.
        duplicate = start is None and plan.extras.get(d) == "duplicate"
        start = _first_start(rng, tz, d, wake) if start is None else start
        monitor = has_monitor and rng.random() > 0.08
        if discipline == "Cycling":
            s = _cycling(rng, tz, start, fitness, readiness, monitor, duplicate)
        else:
            s = _app_session(rng, tz, discipline, start, fitness, monitor)
        today.append(s)
        start = _plus(s.end, 60 * int(rng.integers(1, 5)))
    if d in plan.extras and today:
        today = _with_extra(rng, tz, plan.extras[d], today)
    return today


def _simulate(
    rng: np.random.Generator,
    tz: ZoneInfo,
    plan: _Plan,
    first: date,
    window: list[date],
    ill: np.ndarray,
) -> tuple[list[_Session], list[_Day]]:
    """Walk the calendar once so each day's training sees that day's readiness and vice versa."""
    index = {d: i for i, d in enumerate(window)}
    scores = _sleep_scores(rng, window, ill)
    span = max((window[-1] - first).days, 1)
    sessions: list[_Session] = []
    days: list[_Day] = []
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
            nap_start = _local(d, rng.uniform(13.0, 16.0), tz)
            if rng.random() < nap_p and not _overlaps(nap_start, _plus(nap_start, 4500), busy):
                nap = _nap(rng, "sleep", nap_start, state.rhr)
                state.naps.append(nap)
                busy.append((nap.start, nap.end))
            days.append(state)
        carry.busy_until = max((b for _, b in busy), default=None)
        carry.load = sum(s.load for s in today)
        d += timedelta(days=1)
    return sessions, days


def _ring_gaps(
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


# --- the ring's activity day ------------------------------------------------------------------
def _bedtime(days: list[_Day], i: int, tz: ZoneInfo) -> datetime:
    """End of day i's waking hours: the next night's first period (an evening 'rest' or bed)."""
    if i + 1 < len(days):
        return min(p.start for p in (days[i + 1].night, *days[i + 1].naps))
    return _local(days[i].day, 22.75, tz)


def _activity(
    rng: np.random.Generator, tz: ZoneInfo, day: _Day, next_bedtime: datetime
) -> _Activity:
    """288 five-minute classes from 04:00 local, per-minute METs and steps for one day."""
    t0 = _local(day.day, 4.0, tz)
    classes = np.full(288, "2")

    def mark(start: datetime, end: datetime, value: str) -> None:
        k0 = math.floor(_seconds_between(t0, start) / 300)
        k1 = math.ceil(_seconds_between(t0, end) / 300)
        if k1 > 0 and k0 < 288:
            classes[max(k0, 0) : min(k1, 288)] = value

    mark(t0, day.night.end, "1")
    mark(next_bedtime, _plus(t0, 86400), "1")
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
        k0 = max(0, math.floor(_seconds_between(t0, walk.start) / 300))
        k1 = min(288, math.ceil(_seconds_between(t0, walk.end) / 300))
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
        k0 = max(0, math.floor(_seconds_between(t0, s.start) / 300))
        k1 = min(288, math.ceil(_seconds_between(t0, s.end) / 300))
        met_high[k0:k1] = met
        slot_steps[k0:k1] = 0 if s.discipline in _BIKE_DISCIPLINES else 40
    if rng.random() < 0.25:  # took the ring off for a shower or to charge it
        wake_k = max(0, math.ceil(_seconds_between(t0, day.night.end) / 300))
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
    active_calories = round(float(np.sum(np.clip(active, 0, None))) * _KCAL_PER_MET_MINUTE)
    return _Activity(
        start=t0,
        classes="".join(classes.tolist()),
        met=[float(v) for v in met.reshape(-1)],
        slot_steps=slot_steps,
        steps=steps,
        active_calories=active_calories,
        workouts=sum(1 for s in day.sessions if not s.aborted),
    )


# --- Oura documents -----------------------------------------------------------------------------
def _readiness_block(day: _Day, rng: np.random.Generator, history: list[_Day]) -> dict:
    """Contributors and score shared by daily_readiness and the long sleep's `readiness`."""
    recent = history[-14:] or [day]
    sleep_balance = float(np.mean([h.sleep_score for h in recent]))
    load_week = float(np.mean([h.load_prev for h in history[-7:]] or [day.load_prev]))
    bedtimes = [(h.night.start.hour + h.night.start.minute / 60 + 12) % 24 for h in recent[-7:]]
    contributors = {
        "activity_balance": _clip_int(92 - 0.03 * max(0.0, load_week - 200) + rng.normal(0, 3)),
        "body_temperature": _clip_int(100 - 90 * max(0.0, abs(day.temp_dev) - 0.25)),
        "hrv_balance": _clip_int(78 + 1.1 * (day.readiness - 76) + rng.normal(0, 5)),
        "previous_day_activity": (
            None if rng.random() < 0.1 else _clip_int(95 - 0.04 * day.load_prev + rng.normal(0, 4))
        ),
        "previous_night": _clip_int(day.sleep_score + 3 + rng.normal(0, 4)),
        "recovery_index": _clip_int(72 + 0.9 * (day.readiness - 76) + rng.normal(0, 10)),
        "resting_heart_rate": _clip_int(100 - 5 * max(0.0, day.rhr - 50) + rng.normal(0, 3)),
        "sleep_balance": _clip_int(sleep_balance + 12 + rng.normal(0, 3)),
        "sleep_regularity": _clip_int(95 - 25 * float(np.std(bedtimes)) + rng.normal(0, 3)),
    }
    return {
        "contributors": contributors,
        "score": day.readiness,
        "temperature_deviation": day.temp_dev,
        "temperature_trend_deviation": day.temp_trend,
    }


def _sleep_contributors(day: _Day, rng: np.random.Generator) -> dict:
    night = day.night
    hours = night.total / 3600
    latency_min = night.latency / 60
    mid = night.start.hour + night.start.minute / 60 + night.time_in_bed / 7200
    mid = mid - 24 if mid >= 18 else mid
    restless = night.movement.count("1") / max(len(night.movement), 1)
    return {
        "deep_sleep": _clip_int(100 - 0.9 * max(0.0, 90 - night.deep / 60) + rng.normal(0, 2)),
        "efficiency": _clip_int(100 - 3.2 * max(0, 95 - night.efficiency)),
        "latency": _clip_int(100 - 2.0 * abs(latency_min - 15) + rng.normal(0, 2)),
        "rem_sleep": _clip_int(100 - 0.8 * max(0.0, 100 - night.rem / 60) + rng.normal(0, 2)),
        "restfulness": _clip_int(100 * restless - 10 + rng.normal(0, 3)),
        "timing": _clip_int(100 - 25 * max(0.0, abs(mid - 3.0) - 0.5)),
        "total_sleep": _clip_int(100 - 22 * max(0.0, 8.0 - hours)),
    }


def _sample(interval: float, items: list, start: datetime) -> dict:
    return {"interval": interval, "items": items, "timestamp": _iso_ms(start)}


def _sleep_document(
    seed: int, day: _Day, period: _Period, index: int, readiness: dict | None
) -> dict:
    long_sleep = period.kind == "long_sleep"
    nap = period.kind == "sleep"
    return {
        "id": _doc_id(seed, "sleep", day.day, period.kind, index),
        "average_breath": period.average_breath,
        "average_heart_rate": period.average_hr,
        "average_hrv": period.average_hrv,
        "awake_time": period.time_in_bed - period.total,
        "bedtime_end": _iso(period.end),
        "bedtime_start": _iso(period.start),
        "day": day.day.isoformat(),
        "deep_sleep_duration": period.deep,
        "efficiency": period.efficiency,
        "heart_rate": _sample(300.0, period.hr, period.start) if period.hr else None,
        "hrv": _sample(300.0, period.hrv, period.start) if period.hrv else None,
        "latency": period.latency,
        "light_sleep_duration": period.light,
        "low_battery_alert": False,
        "lowest_heart_rate": period.lowest_hr,
        "movement_30_sec": period.movement,
        "period": index,
        "readiness": readiness if long_sleep else None,
        "readiness_score_delta": 0 if long_sleep else (5 if nap else None),
        "rem_sleep_duration": period.rem,
        "restless_periods": sum(1 for c in period.movement if c != "1"),
        "sleep_phase_5_min": period.phases,
        "sleep_score_delta": 0 if long_sleep else (6 if nap else None),
        "sleep_algorithm_version": "v2",
        "time_in_bed": period.time_in_bed,
        "total_sleep_duration": period.total,
        "type": period.kind,
    }


def _activity_document(
    seed: int, rng: np.random.Generator, day: _Day, act: _Activity, past: list[_Activity]
) -> dict:
    met = np.array(act.met).reshape(288, 5)
    classes = np.array(list(act.classes))
    minutes = {c: int(np.sum(classes == c)) * 5 for c in "012345"}
    met_minutes = {
        c: round(float(np.sum(np.clip(met[classes == c] - 1.0, 0, None)))) for c in "2345"
    }
    week = [*past[-6:], act]
    target = 500 + 50 * (day.day.isocalendar().week % 3)
    target_meters = round(target * 17.9 / 100) * 100
    walking = round(act.active_calories * 15.5 / 10) * 10
    runs = "".join(act.classes).split("3")
    alerts = min(3, sum(1 for run in runs if run.count("2") >= 16 and "1" not in run))
    contributors = {
        "meet_daily_targets": _clip_int(
            100 * np.mean([a.active_calories >= target for a in week]) + 5
        ),
        "move_every_hour": _clip_int(100 - 20 * alerts),
        "recovery_time": _clip_int(100 if sum(a.workouts == 0 for a in week) >= 2 else 70),
        "stay_active": _clip_int(100 - 0.05 * max(0, minutes["2"] - 480) + rng.normal(0, 3)),
        "training_frequency": _clip_int(40 + 15 * sum(a.workouts > 0 for a in week)),
        "training_volume": _clip_int(
            50 + np.mean([a.active_calories for a in week]) / 15 + rng.normal(0, 3)
        ),
    }
    weights = (0.2, 0.15, 0.15, 0.2, 0.15, 0.15)
    score = _clip_int(sum(w * v for w, v in zip(weights, contributors.values(), strict=True)))
    return {
        "id": _doc_id(seed, "daily_activity", day.day),
        "class_5_min": act.classes,
        "score": score,
        "active_calories": act.active_calories,
        "average_met_minutes": round(float(np.mean(met[classes != "0"])), 3),
        "contributors": contributors,
        "equivalent_walking_distance": walking,
        "high_activity_met_minutes": met_minutes["5"],
        "high_activity_time": minutes["5"] * 60,
        "inactivity_alerts": alerts,
        "low_activity_met_minutes": met_minutes["3"],
        "low_activity_time": minutes["3"] * 60,
        "medium_activity_met_minutes": met_minutes["4"],
        "medium_activity_time": minutes["4"] * 60,
        "met": _sample(60.0, act.met, act.start),
        "meters_to_target": round((target_meters - walking) / 100) * 100,
        "non_wear_time": minutes["0"] * 60,
        "resting_time": minutes["1"] * 60,
        "sedentary_met_minutes": met_minutes["2"],
        "sedentary_time": minutes["2"] * 60,
        "steps": act.steps,
        "target_calories": target,
        "target_meters": target_meters,
        "total_calories": _BMR_KCAL + act.active_calories,
        "day": day.day.isoformat(),
        "timestamp": _iso(act.start),
    }


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


def _heartrate_rows(
    rng: np.random.Generator,
    day: _Day,
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


def _workout_documents(seed: int, rng: np.random.Generator, day: _Day) -> list[dict]:
    """Oura's own detections: most rides and some app classes, plus walks."""
    docs: list[tuple[datetime, dict]] = []
    for n, s in enumerate(day.sessions):
        activity = _OURA_ACTIVITY.get(s.discipline)
        if s.aborted or activity is None or s.seconds < 600 or rng.random() > activity[1]:
            continue
        start = _plus(s.start, int(rng.integers(0, 180)))
        end = _plus(s.end, -int(rng.integers(0, 180)))
        start, end = start.replace(second=0), end.replace(second=0)
        if s.discipline == "Yoga":
            intensity = "easy"
        elif s.discipline in ("Cardio", "Bike Bootcamp") or (s.watts or 0) >= 175:
            intensity = "hard"
        else:
            intensity = "moderate"
        docs.append(
            (
                start,
                {
                    "id": _doc_id(seed, "workout", day.day, "peloton", n),
                    "activity": activity[0],
                    "calories": round(float((s.calories or 50) * rng.normal(0.85, 0.08)), 3),
                    "day": day.day.isoformat(),
                    "distance": None,
                    "end_datetime": _iso(end),
                    "intensity": intensity,
                    "label": None,
                    "source": "autodetected" if rng.random() < 0.45 else "confirmed",
                    "start_datetime": _iso(start),
                },
            )
        )
    for n, w in enumerate(day.walks):
        minutes = w.seconds / 60
        distance = None
        if rng.random() < 0.5:
            speed = 1.45 if w.intensity == "moderate" else 1.25
            distance = float(np.float32(w.seconds * speed * rng.normal(1, 0.1)))
        docs.append(
            (
                w.start,
                {
                    "id": _doc_id(seed, "workout", day.day, "walk", n),
                    "activity": "walking",
                    "calories": round(float(minutes * 3.6 * rng.normal(1, 0.1)), 3),
                    "day": day.day.isoformat(),
                    "distance": distance,
                    "end_datetime": _iso(w.end.replace(second=0)),
                    "intensity": w.intensity,
                    "label": None,
                    "source": "confirmed" if rng.random() < 0.6 else "autodetected",
                    "start_datetime": _iso(w.start.replace(second=0)),
                },
            )
        )
    return [doc for _, doc in sorted(docs, key=lambda x: x[0])]


def _session_documents(
    seed: int, rng: np.random.Generator, tz: ZoneInfo, day: _Day, index: int
) -> list[dict]:
    """Meditation sessions recorded alongside Peloton meditations, plus a few breathing ones."""
    spans: list[tuple[datetime, int, str]] = [
        (s.start, s.seconds, "meditation")
        for s in day.sessions
        if s.discipline == "Meditation" and rng.random() < 0.8
    ]
    if index % 12 == 5:
        start = _local(day.day, rng.uniform(12, 21), tz)
        spans.append((start, int(rng.integers(180, 420)), "breathing"))
    docs = []
    for n, (start, seconds, kind) in enumerate(spans):
        items = seconds // 5
        motion = [float(v) for v in np.round(np.abs(rng.normal(18, 8, items)))]
        with_hr = rng.random() < 0.5
        hr = [float(v) for v in np.round(day.rhr + 8 + rng.normal(0, 2, items // 12))]
        hrv = [float(v) for v in np.round(day.hrv * 1.1 + rng.normal(0, 6, items // 12))]
        docs.append(
            {
                "id": _doc_id(seed, "session", day.day, n),
                "day": day.day.isoformat(),
                "start_datetime": _iso(start),
                "end_datetime": _iso(_plus(start, seconds)),
                "type": kind,
                "heart_rate": _sample(60.0, hr, start) if with_hr else None,
                "heart_rate_variability": _sample(60.0, hrv, start) if with_hr else None,
                "mood": _pick(rng, ("good", "same", "great", "good")),
                "motion_count": _sample(5.0, motion, start),
            }
        )
    return docs


def _oura_documents(
    seed: int,
    rng: np.random.Generator,
    tz: ZoneInfo,
    days: list[_Day],
    activities: list[_Activity],
    missing: set[date],
    partial: dict[date, frozenset[str]],
    hr_rng: np.random.Generator,
    sampling: HeartRateSampling,
) -> dict[str, list[dict]]:
    docs: dict[str, list[dict]] = {name: [] for name in OURA_ENDPOINTS}
    for i, day in enumerate(days):
        # Contributors are drawn for every day so a missing day does not shift the others.
        readiness = _readiness_block(day, rng, days[max(0, i - 14) : i])
        sleep_contributors = _sleep_contributors(day, rng)
        if day.day in missing:
            continue
        dropped = partial.get(day.day, frozenset())
        if "daily_readiness" not in dropped:
            docs["daily_readiness"].append(
                {
                    "id": _doc_id(seed, "daily_readiness", day.day),
                    "contributors": readiness["contributors"],
                    "day": day.day.isoformat(),
                    "score": day.readiness,
                    "temperature_deviation": day.temp_dev,
                    "temperature_trend_deviation": day.temp_trend,
                    "timestamp": _daily_timestamp(day.day),
                }
            )
        if "daily_sleep" not in dropped:
            docs["daily_sleep"].append(
                {
                    "id": _doc_id(seed, "daily_sleep", day.day),
                    "contributors": sleep_contributors,
                    "day": day.day.isoformat(),
                    "score": day.sleep_score,
                    "timestamp": _daily_timestamp(day.day),
                }
            )
        if "sleep" not in dropped:
            periods = sorted([day.night, *day.naps], key=lambda p: p.start)
            docs["sleep"].extend(
                _sleep_document(seed, day, p, k, readiness) for k, p in enumerate(periods)
            )
        if "daily_activity" not in dropped:
            docs["daily_activity"].append(
                _activity_document(seed, rng, day, activities[i], activities[max(0, i - 6) : i])
            )
        if "heartrate" not in dropped:
            until = _bedtime(days, i, tz)
            docs["heartrate"].extend(
                _heartrate_rows(hr_rng, day, until, "sleep" not in dropped, sampling)
            )
        if "daily_spo2" not in dropped:
            spo2 = 97.2 + rng.normal(0, 0.6) - (1.2 if day.ill else 0.0)
            docs["daily_spo2"].append(
                {
                    "id": _doc_id(seed, "daily_spo2", day.day),
                    "day": day.day.isoformat(),
                    "spo2_percentage": None if rng.random() < 0.03 else {"average": round(spo2, 3)},
                    "breathing_disturbance_index": _clip_int(
                        8 + rng.normal(0, 4) + (6 if day.ill else 0), 0, 100
                    ),
                }
            )
        if "daily_stress" not in dropped:
            calm = (day.readiness - 60) / 40
            stress_high = 900 * max(0, round(rng.normal(4 - 3 * calm + 4 * day.ill, 2)))
            recovery_high = 900 * max(0, round(rng.normal(4 + 6 * calm, 2.5)))
            if recovery_high >= max(2 * stress_high, 5400):
                summary: str | None = "restored"
            elif stress_high >= max(2 * recovery_high, 5400):
                summary = "stressful"
            else:
                summary = "normal"
            docs["daily_stress"].append(
                {
                    "id": _doc_id(seed, "daily_stress", day.day),
                    "day": day.day.isoformat(),
                    "stress_high": stress_high,
                    "recovery_high": recovery_high,
                    "day_summary": None if rng.random() < 0.03 else summary,
                }
            )
        if "workout" not in dropped:
            docs["workout"].extend(_workout_documents(seed, rng, day))
        if "session" not in dropped:
            docs["session"].extend(_session_documents(seed, rng, tz, day, i))
    docs["heartrate"].sort(key=lambda row: row["timestamp"])  # same-format UTC strings
    return docs


HEARTRATE_PAGE_SIZE = 5000


def _write_oura(oura_dir: Path, docs: dict[str, list[dict]], page_size: int, seed: int) -> None:
    """One file per page: `{"data": [...], "next_token": ...}`, compact like the API's bodies."""
    oura_dir.mkdir(parents=True, exist_ok=True)
    for endpoint, items in docs.items():
        # Remove pages of an earlier, longer run so a directory glob sees only this one.
        for stale in oura_dir.glob(f"{endpoint}_*.json"):
            if stale.stem.removeprefix(f"{endpoint}_").isdigit():
                stale.unlink()
        # heart rate is sampled every few minutes: real pages of it are far larger than the
        # daily documents' pages, and 40 samples a page would make hundreds of tiny files
        size = max(page_size, HEARTRATE_PAGE_SIZE) if endpoint == "heartrate" else page_size
        pages = [items[k : k + size] for k in range(0, len(items), size)] or [[]]
        for n, page in enumerate(pages, start=1):
            token = _next_token(seed, endpoint, n) if n < len(pages) else None
            body = json.dumps({"data": page, "next_token": token}, separators=(",", ":"))
            (oura_dir / f"{endpoint}_{n}.json").write_text(body, encoding="utf-8")


# --- Peloton CSV ---------------------------------------------------------------------------------
def _standard_abbreviation(tz: ZoneInfo, year: int) -> str:
    for month in (1, 7):
        probe = datetime(year, month, 15, 12, tzinfo=tz)
        if probe.dst() == timedelta(0):
            return probe.tzname() or "UTC"
    return datetime(year, 1, 15, 12, tzinfo=tz).tzname() or "UTC"


def _peloton_time(dt: datetime, style: str, tz: ZoneInfo) -> str:
    """`YYYY-MM-DD HH:MM (TZ)` with the label the way Peloton printed it."""
    if style == "offset":
        minutes = int((dt.utcoffset() or timedelta(0)).total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        label = f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")
    elif style == "standard":
        label = _standard_abbreviation(tz, dt.year)  # DST-wrong in summer, as in real files
    else:
        label = dt.tzname() or "UTC"
    return f"{dt.strftime('%Y-%m-%d %H:%M')} ({label})"


def _peloton_row(s: _Session, style: str, tz: ZoneInfo) -> list[str]:
    def num(value: float | None, fmt: str = "{:d}") -> str:
        return "" if value is None else fmt.format(value)

    bike = s.discipline == "Cycling"
    return [
        _peloton_time(s.start, style, tz),
        s.live,
        s.instructor,
        s.length,
        s.discipline,
        s.kind,
        s.title,
        "" if s.class_start is None else _peloton_time(s.class_start, style, tz),
        num(s.output_kj),
        num(s.watts) if bike else "",
        f"{s.resistance}%" if bike and s.resistance is not None else "",
        num(s.cadence) if bike else "",
        num(s.speed, "{:.2f}"),
        num(s.distance, "{:.2f}"),
        num(s.calories),
        num(s.heart_rate, "{:.2f}"),
        "",
        "",
    ]


def _write_peloton(path: Path, sessions: list[_Session], tz: ZoneInfo, first: date) -> None:
    """The export: BOM, US header, newest first, minimal quoting so comma titles get quotes.

    Labels: in the first third of the history Peloton printed DST-correct abbreviations; later
    bike workouts carry numeric offsets while app workouts keep the standard-time abbreviation
    all year (so `EST` shows up in July), as observed in real exports.
    """
    last = max((s.start.date() for s in sessions), default=first)
    numeric_from = first + (last - first) / 3
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PELOTON_HEADER)
        for s in sorted(sessions, key=lambda x: x.start.astimezone(UTC), reverse=True):
            if s.start.date() < numeric_from:
                style = "abbreviation"
            elif s.discipline in _BIKE_DISCIPLINES:
                style = "offset"
            else:
                style = "standard"
            writer.writerow(_peloton_row(s, style, tz))


# --- Apple Health ----------------------------------------------------------------------------
def _record(
    kind: str,
    source: str,
    unit: str | None,
    start: datetime,
    end: datetime,
    value: str,
    created: datetime,
    metadata: dict[str, str] | None = None,
) -> str:
    """One `<Record>` line in Apple's attribute order; category records have no unit."""
    device, version = (_WATCH, "10.1") if source == "Apple Watch" else (_PHONE, "17.1")
    attrs = (
        f'type={quoteattr(kind)} sourceName={quoteattr(source)} sourceVersion="{version}" '
        f"device={quoteattr(device)} "
        + ("" if unit is None else f"unit={quoteattr(unit)} ")
        + f'creationDate="{_apple_time(created)}" startDate="{_apple_time(start)}" '
        f'endDate="{_apple_time(end)}" value={quoteattr(value)}'
    )
    if not metadata:
        return f" <Record {attrs}/>"
    children = "".join(
        f"\n  <MetadataEntry key={quoteattr(k)} value={quoteattr(v)}/>" for k, v in metadata.items()
    )
    return f" <Record {attrs}>{children}\n </Record>"


def _apple_health_xml(
    rng: np.random.Generator,
    tz: ZoneInfo,
    days: list[_Day],
    activities: list[_Activity],
    sessions: list[_Session],
    end_day: date,
) -> str:
    groups: dict[str, list[str]] = {k: [] for k in ("hr", "rhr", "hrv", "steps", "sleep")}
    hr_type = "HKQuantityTypeIdentifierHeartRate"
    for i, day in enumerate(days):
        bedtime = _bedtime(days, i, tz)
        awake_s = max(_seconds_between(day.night.end, bedtime), 3600)
        for offset in np.sort(rng.uniform(600, awake_s - 300, 8)):
            t = _plus(day.night.end, float(offset)).replace(microsecond=0)
            bpm = round(day.rhr + 22 + rng.normal(0, 6))
            groups["hr"].append(
                _record(
                    hr_type,
                    "Apple Watch",
                    "count/min",
                    t,
                    t,
                    str(bpm),
                    _plus(t, int(rng.integers(5, 300))),
                    {"HKMetadataKeyHeartRateMotionContext": "1" if rng.random() < 0.7 else "0"},
                )
            )
        for s in day.sessions:
            if s.aborted or s.seconds < 300:
                continue
            for frac in (0.4, 0.8):
                t = _plus(s.start, int(s.seconds * frac))
                groups["hr"].append(
                    _record(
                        hr_type,
                        "Apple Watch",
                        "count/min",
                        t,
                        t,
                        str(round(s.true_hr + rng.normal(0, 4))),
                        _plus(t, 120),
                        {"HKMetadataKeyHeartRateMotionContext": "2"},
                    )
                )
        rhr_start = _plus(day.night.end, 900).replace(microsecond=0)
        groups["rhr"].append(
            _record(
                "HKQuantityTypeIdentifierRestingHeartRate",
                "Apple Watch",
                "count/min",
                rhr_start,
                _plus(bedtime, -1800),
                str(round(day.rhr + 3 + rng.normal(0, 1.5))),
                _plus(bedtime, -1700),
            )
        )
        # SDNN is a different statistic from Oura's RMSSD; it tracks it loosely.
        for hour in np.sort(rng.uniform(0, awake_s / 3600 - 1, int(rng.integers(2, 5)))):
            t = _plus(day.night.end, float(hour) * 3600).replace(microsecond=0)
            value = day.hrv * 0.9 * math.exp(rng.normal(0, 0.18))
            groups["hrv"].append(
                _record(
                    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                    "Apple Watch",
                    "ms",
                    t,
                    _plus(t, 60),
                    f"{value:.4f}",
                    _plus(t, 90),
                )
            )
        act = activities[i]
        hourly = act.slot_steps.reshape(24, 12).sum(axis=1)
        for h, steps in enumerate(hourly.tolist()):
            if steps < 20:
                continue
            start = _plus(act.start, h * 3600 + int(rng.integers(0, 600)))
            end = _plus(start, int(rng.integers(1200, 3000)))
            groups["steps"].append(
                _record(
                    "HKQuantityTypeIdentifierStepCount",
                    "Apple Watch",
                    "count",
                    start,
                    end,
                    str(round(steps)),
                    _plus(end, 60),
                )
            )
            if rng.random() < 0.5:  # the phone in a pocket counts part of the same steps
                groups["steps"].append(
                    _record(
                        "HKQuantityTypeIdentifierStepCount",
                        "iPhone",
                        "count",
                        _plus(start, 30),
                        _plus(end, -30),
                        str(round(steps * rng.uniform(0.4, 0.8))),
                        _plus(end, 300),
                    )
                )
        night = day.night
        k = 0
        while k < len(night.phases):
            j = k
            while j < len(night.phases) and night.phases[j] == night.phases[k]:
                j += 1
            start = _plus(night.start, 300 * k)
            end = _plus(night.start, min(300 * j, night.time_in_bed))
            groups["sleep"].append(
                _record(
                    "HKCategoryTypeIdentifierSleepAnalysis",
                    "Apple Watch",
                    None,
                    start,
                    end,
                    _APPLE_SLEEP[night.phases[k]],
                    _plus(night.end, 600),
                )
            )
            k = j

    workouts = []
    for s in sorted(sessions, key=lambda x: x.start.astimezone(UTC)):
        end = s.end
        attrs = [
            f"workoutActivityType={quoteattr(_APPLE_ACTIVITY[s.discipline])}",
            f'duration="{s.seconds / 60!r}"',
            'durationUnit="min"',
        ]
        if s.distance is not None:
            attrs += [f'totalDistance="{s.distance:.4f}"', 'totalDistanceUnit="mi"']
        if s.calories is not None:
            attrs += [f'totalEnergyBurned="{s.calories}"', 'totalEnergyBurnedUnit="kcal"']
        attrs += [
            'sourceName="Peloton"',
            'sourceVersion="1903"',
            f'creationDate="{_apple_time(_plus(end, int(rng.integers(30, 240))))}"',
            f'startDate="{_apple_time(s.start)}"',
            f'endDate="{_apple_time(end)}"',
        ]
        workouts.append(
            f" <Workout {' '.join(attrs)}>\n"
            '  <MetadataEntry key="HKIndoorWorkout" value="1"/>\n'
            " </Workout>"
        )
    export = _local(end_day + timedelta(days=1), 7.5, tz)
    head = [
        '<HealthData locale="en_US">',
        f' <ExportDate value="{_apple_time(export)}"/>',
        ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1986-04-12" '
        'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexMale" '
        'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
        'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>',
    ]
    body = [line for lines in groups.values() for line in lines]
    return APPLE_HEALTH_PROLOGUE + "\n".join([*head, *body, *workouts, "</HealthData>"]) + "\n"


# --- entry point -------------------------------------------------------------------------------
def generate_sample_person(
    out_dir: Path,
    *,
    end_day: date,
    seed: int = 7,
    oura_days: int = 90,
    peloton_years: float = 5.0,
    peloton_workouts: int = 833,
    apple_health: bool = False,
    page_size: int = 40,
    timezone: str = "America/New_York",
    heartrate: HeartRateSampling = HeartRateSampling(),
) -> SamplePersonFiles:
    """Write one sample person's raw files under `out_dir`; same arguments, same bytes.

    Oura and Apple Health cover the `oura_days` days ending `end_day`; the Peloton history
    covers `peloton_years` years ending `end_day` with about `peloton_workouts` rows. Heart
    rate is sampled as `heartrate` says (its own random stream: the density changes no other
    file).
    """
    if oura_days < 1:
        raise ValueError(f"oura_days must be at least 1, got {oura_days}")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    if peloton_years <= 0 or peloton_workouts < 0:
        raise ValueError(
            f"peloton_years must be > 0 and peloton_workouts >= 0, got "
            f"{peloton_years} and {peloton_workouts}"
        )
    out_dir = Path(out_dir)
    tz = ZoneInfo(timezone)
    plan_rng, latent_rng, oura_rng, apple_rng, hr_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    window = [end_day - timedelta(days=oura_days - 1 - i) for i in range(oura_days)]
    first = end_day - timedelta(days=max(round(peloton_years * 365.25), 1) - 1)
    ill = _illness_mask(latent_rng, oura_days)
    blocked = {d for d, sick in zip(window, ill.tolist(), strict=True) if sick}
    plan = _plan_training(plan_rng, first, end_day, peloton_workouts, blocked, window[0])
    sessions, days = _simulate(latent_rng, tz, plan, first, window, ill)
    sessions = [s for s in sessions if s.start.date() >= first]

    missing, partial = _ring_gaps(oura_rng, window, ill)
    activities = []
    for i, day in enumerate(days):
        activities.append(_activity(oura_rng, tz, day, _bedtime(days, i, tz)))
    docs = _oura_documents(
        seed, oura_rng, tz, days, activities, missing, partial, hr_rng, heartrate
    )

    oura_dir = out_dir / "oura"
    _write_oura(oura_dir, docs, page_size, seed)
    peloton_csv = out_dir / "peloton" / "workouts.csv"
    _write_peloton(peloton_csv, sessions, tz, first)
    apple_xml = None
    if apple_health:
        apple_xml = out_dir / "apple_health" / "export.xml"
        apple_xml.parent.mkdir(parents=True, exist_ok=True)
        in_window = [s for s in sessions if s.start.date() >= window[0]]
        text = _apple_health_xml(apple_rng, tz, days, activities, in_window, end_day)
        apple_xml.write_text(text, encoding="utf-8")
    return SamplePersonFiles(out_dir, oura_dir, peloton_csv, apple_xml)
