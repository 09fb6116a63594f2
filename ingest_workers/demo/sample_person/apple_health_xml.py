"""The Apple Health export.xml of the days: heart rate, resting heart rate, HRV (SDNN), steps
and sleep stages from the watch (and steps from the phone), and the Peloton workouts.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.activity_day import bedtime_of
from ingest_workers.demo.sample_person.helpers import local_time, plus, seconds_between
from ingest_workers.demo.sample_person.state import Activity, Day, Session

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


def _apple_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S %z")


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


def apple_health_xml(
    rng: np.random.Generator,
    tz: ZoneInfo,
    days: list[Day],
    activities: list[Activity],
    sessions: list[Session],
    end_day: date,
) -> str:
    groups: dict[str, list[str]] = {k: [] for k in ("hr", "rhr", "hrv", "steps", "sleep")}
    hr_type = "HKQuantityTypeIdentifierHeartRate"
    for i, day in enumerate(days):
        bedtime = bedtime_of(days, i, tz)
        awake_s = max(seconds_between(day.night.end, bedtime), 3600)
        for offset in np.sort(rng.uniform(600, awake_s - 300, 8)):
            t = plus(day.night.end, float(offset)).replace(microsecond=0)
            bpm = round(day.rhr + 22 + rng.normal(0, 6))
            groups["hr"].append(
                _record(
                    hr_type,
                    "Apple Watch",
                    "count/min",
                    t,
                    t,
                    str(bpm),
                    plus(t, int(rng.integers(5, 300))),
                    {"HKMetadataKeyHeartRateMotionContext": "1" if rng.random() < 0.7 else "0"},
                )
            )
        for s in day.sessions:
            if s.aborted or s.seconds < 300:
                continue
            for frac in (0.4, 0.8):
                t = plus(s.start, int(s.seconds * frac))
                groups["hr"].append(
                    _record(
                        hr_type,
                        "Apple Watch",
                        "count/min",
                        t,
                        t,
                        str(round(s.true_hr + rng.normal(0, 4))),
                        plus(t, 120),
                        {"HKMetadataKeyHeartRateMotionContext": "2"},
                    )
                )
        rhr_start = plus(day.night.end, 900).replace(microsecond=0)
        groups["rhr"].append(
            _record(
                "HKQuantityTypeIdentifierRestingHeartRate",
                "Apple Watch",
                "count/min",
                rhr_start,
                plus(bedtime, -1800),
                str(round(day.rhr + 3 + rng.normal(0, 1.5))),
                plus(bedtime, -1700),
            )
        )
        # SDNN is a different statistic from Oura's RMSSD; it tracks it loosely.
        for hour in np.sort(rng.uniform(0, awake_s / 3600 - 1, int(rng.integers(2, 5)))):
            t = plus(day.night.end, float(hour) * 3600).replace(microsecond=0)
            value = day.hrv * 0.9 * math.exp(rng.normal(0, 0.18))
            groups["hrv"].append(
                _record(
                    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                    "Apple Watch",
                    "ms",
                    t,
                    plus(t, 60),
                    f"{value:.4f}",
                    plus(t, 90),
                )
            )
        act = activities[i]
        hourly = act.slot_steps.reshape(24, 12).sum(axis=1)
        for h, steps in enumerate(hourly.tolist()):
            if steps < 20:
                continue
            start = plus(act.start, h * 3600 + int(rng.integers(0, 600)))
            end = plus(start, int(rng.integers(1200, 3000)))
            groups["steps"].append(
                _record(
                    "HKQuantityTypeIdentifierStepCount",
                    "Apple Watch",
                    "count",
                    start,
                    end,
                    str(round(steps)),
                    plus(end, 60),
                )
            )
            if rng.random() < 0.5:  # the phone in a pocket counts part of the same steps
                groups["steps"].append(
                    _record(
                        "HKQuantityTypeIdentifierStepCount",
                        "iPhone",
                        "count",
                        plus(start, 30),
                        plus(end, -30),
                        str(round(steps * rng.uniform(0.4, 0.8))),
                        plus(end, 300),
                    )
                )
        night = day.night
        k = 0
        while k < len(night.phases):
            j = k
            while j < len(night.phases) and night.phases[j] == night.phases[k]:
                j += 1
            start = plus(night.start, 300 * k)
            end = plus(night.start, min(300 * j, night.time_in_bed))
            groups["sleep"].append(
                _record(
                    "HKCategoryTypeIdentifierSleepAnalysis",
                    "Apple Watch",
                    None,
                    start,
                    end,
                    _APPLE_SLEEP[night.phases[k]],
                    plus(night.end, 600),
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
            f'creationDate="{_apple_time(plus(end, int(rng.integers(30, 240))))}"',
            f'startDate="{_apple_time(s.start)}"',
            f'endDate="{_apple_time(end)}"',
        ]
        workouts.append(
            f" <Workout {' '.join(attrs)}>\n"
            '  <MetadataEntry key="HKIndoorWorkout" value="1"/>\n'
            " </Workout>"
        )
    export = local_time(end_day + timedelta(days=1), 7.5, tz)
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
