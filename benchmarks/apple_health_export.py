"""A large Apple Health `export.xml` written as a stream (never held in memory), for the import
benchmark: a Watch + iPhone person's years of records in Apple's layout (docs/DATA-FORMATS.md 4; the real
sample in tests/fixtures/real/apple_health): the HealthKit DTD, then the records grouped by
type, each type in date order, then workouts and activity summaries.

Per day, close to what a real Watch wearer's export holds: heart rate every ~5 minutes awake and
~10 asleep with its motion context, active energy about every minute awake and basal energy
every ~5 minutes (most of a real file's bytes, and not read by this project), steps and walking
distance from watch and phone, resting heart rate, HRV with its beat-to-beat list, sleep stages,
a workout most days with events and statistics, and the activity summary.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np

from ingest_workers.demo.sample_person import APPLE_HEALTH_PROLOGUE

_WATCH = ('sourceName="Apple Watch" sourceVersion="10.1" device="&lt;&lt;HKDevice: 0x3008a1b30&gt;, '
          'name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, '
          'software:10.1&gt;"')
_PHONE = ('sourceName="iPhone" sourceVersion="17.1" device="&lt;&lt;HKDevice: 0x3008a2c10&gt;, '
          'name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, '
          'software:17.1&gt;"')
_OFFSET = "-0500"
_TZ_SECONDS = -5 * 3600
_MOTION = {m: f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{int(m)}"/>\n'
           for m in (False, True)}
_SLEEP = ("HKCategoryValueSleepAnalysisAsleepCore", "HKCategoryValueSleepAnalysisAsleepDeep",
          "HKCategoryValueSleepAnalysisAsleepREM", "HKCategoryValueSleepAnalysisAwake")


def _stamps(epoch: np.ndarray) -> list[str]:
    local = np.round(epoch + _TZ_SECONDS).astype("datetime64[s]")
    return [f"{s[:10]} {s[11:]} {_OFFSET}" for s in np.datetime_as_string(local, unit="s").tolist()]


def _clock(epoch: float) -> str:
    """Apple's beat-to-beat time of day: `7:39:26.70 PM`."""
    seconds = (epoch + _TZ_SECONDS) % 86400
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    return f"{int(hour) % 12 or 12}:{int(minute):02d}:{second:05.2f} {'PM' if hour >= 12 else 'AM'}"


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() - _TZ_SECONDS


class _Day:
    """The random but fixed shape of one day, shared by every record type."""

    def __init__(self, rng: np.random.Generator, day: date) -> None:
        self.day = day
        self.start = _midnight(day)
        self.wake = self.start + 3600 * rng.uniform(6.0, 7.5)
        self.bed = self.start + 3600 * rng.uniform(22.3, 23.6)
        self.rhr = rng.normal(54, 3)
        self.workout = (self.start + 3600 * rng.uniform(16.5, 18.5), 60 * rng.integers(20, 61)) \
            if rng.random() < 0.6 else None


def _quantity(kind: str, unit: str, source: str, start: np.ndarray, end: np.ndarray,
              values: list[str], metadata: list[str] | None = None) -> str:
    """`<Record>` lines; `metadata` holds each record's MetadataEntry lines (or none at all)."""
    begin, finish = _stamps(start), _stamps(end)
    created = _stamps(end + 60)
    head = f' <Record type="{kind}" {source} unit="{unit}" creationDate="'
    if metadata is not None:
        return "".join(
            f'{head}{c}" startDate="{s}" endDate="{e}" value="{v}">\n{m} </Record>\n'
            for c, s, e, v, m in zip(created, begin, finish, values, metadata, strict=True)
        )
    return "".join(
        f'{head}{c}" startDate="{s}" endDate="{e}" value="{v}"/>\n'
        for c, s, e, v in zip(created, begin, finish, values, strict=True)
    )


def _awake_times(rng: np.random.Generator, d: _Day, every_s: float) -> np.ndarray:
    n = int((d.bed - d.wake) / every_s)
    return np.sort(d.wake + rng.uniform(0, d.bed - d.wake, n))


def _heart_rate(rng: np.random.Generator, d: _Day) -> str:
    awake = _awake_times(rng, d, 300)
    night = d.bed - 86400 + np.arange(0, 86400 - (d.bed - d.wake), 600.0)
    t = np.concatenate([night[night < d.wake], awake])
    bpm = np.round(d.rhr + np.where(t < d.wake, 2, 22) + rng.normal(0, 6, len(t)))
    motion = [_MOTION[m] for m in (rng.random(len(t)) < 0.7).tolist()]
    return _quantity("HKQuantityTypeIdentifierHeartRate", "count/min", _WATCH, t, t,
                     [str(int(b)) for b in bpm], motion)


def _energy(rng: np.random.Generator, d: _Day, kind: str, every_s: float, kcal: float) -> str:
    t = _awake_times(rng, d, every_s)
    values = [f"{v:.3f}" for v in rng.gamma(2.0, kcal / 2, len(t))]
    return _quantity(kind, "kcal", _WATCH, t, t + every_s * 0.9, values)


def _steps_and_distance(rng: np.random.Generator, d: _Day) -> str:
    out = []
    for source, every in ((_WATCH, 600), (_PHONE, 900)):
        t = _awake_times(rng, d, every)
        steps = rng.gamma(1.5, 120, len(t))
        out.append(_quantity("HKQuantityTypeIdentifierStepCount", "count", source, t,
                             t + rng.uniform(60, 540, len(t)), [str(int(s) + 1) for s in steps]))
        out.append(_quantity("HKQuantityTypeIdentifierDistanceWalkingRunning", "km", source, t,
                             t + 300, [f"{s * 0.00075:.5f}" for s in steps]))
    return "".join(out)


def _hrv(rng: np.random.Generator, d: _Day) -> str:
    out = []
    for t in np.sort(rng.uniform(d.wake, d.bed, int(rng.integers(3, 6)))):
        beats = np.cumsum(rng.normal(1.05, 0.05, 60))
        beat_lines = "".join(
            f'   <InstantaneousBeatsPerMinute bpm="{int(60 / max(b2 - b1, 0.3))}" '
            f'time="{_clock(t + b1)}"/>\n'
            for b1, b2 in pairwise(beats)
        )
        (stamp,) = _stamps(np.array([t]))
        out.append(
            f' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" {_WATCH} unit="ms" '
            f'creationDate="{stamp}" startDate="{stamp}" endDate="{stamp}" '
            f'value="{rng.lognormal(3.8, 0.25):.4f}">\n  <HeartRateVariabilityMetadataList>\n'
            f"{beat_lines}  </HeartRateVariabilityMetadataList>\n </Record>\n"
        )
    return "".join(out)


def _resting(rng: np.random.Generator, d: _Day) -> str:
    t = np.array([d.wake + 900])
    return _quantity("HKQuantityTypeIdentifierRestingHeartRate", "count/min", _WATCH, t,
                     np.array([d.bed - 1800]), [str(round(d.rhr + rng.normal(3, 1.5)))])


def _sleep(rng: np.random.Generator, d: _Day) -> str:
    start = d.bed - 86400
    bounds = np.concatenate([[start], np.sort(rng.uniform(start, d.wake, 18)), [d.wake]])
    stages = [_SLEEP[i] for i in rng.choice(4, len(bounds) - 1, p=(0.5, 0.15, 0.25, 0.1))]
    begin, finish, created = _stamps(bounds[:-1]), _stamps(bounds[1:]), _stamps(bounds[-1:] + 600)
    return "".join(
        f' <Record type="HKCategoryTypeIdentifierSleepAnalysis" {_WATCH} '
        f'creationDate="{created[0]}" startDate="{s}" endDate="{e}" value="{v}">\n'
        '  <MetadataEntry key="HKTimeZone" value="America/New_York"/>\n </Record>\n'
        for s, e, v in zip(begin, finish, stages, strict=True)
    )


def _workout(rng: np.random.Generator, d: _Day) -> str:
    if d.workout is None:
        return ""
    start, seconds = d.workout
    begin, finish = _stamps(np.array([start, start + seconds]))
    kcal = seconds / 60 * rng.uniform(8, 13)
    return (
        f' <Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="{seconds / 60:.4f}" '
        f'durationUnit="min" sourceName="Peloton" sourceVersion="1903" creationDate="{finish}" '
        f'startDate="{begin}" endDate="{finish}">\n'
        '  <MetadataEntry key="HKIndoorWorkout" value="1"/>\n'
        f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{begin}" duration="{seconds / 60:.4f}" '
        'durationUnit="min"/>\n'
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="{begin}" '
        f'endDate="{finish}" sum="{kcal:.3f}" unit="kcal"/>\n'
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="{begin}" '
        f'endDate="{finish}" average="{rng.normal(142, 8):.2f}" minimum="98" maximum="171" '
        'unit="count/min"/>\n </Workout>\n'
    )


def _summary(rng: np.random.Generator, d: _Day) -> str:
    return (f' <ActivitySummary dateComponents="{d.day.isoformat()}" '
            f'activeEnergyBurned="{rng.normal(650, 120):.3f}" activeEnergyBurnedGoal="680" '
            f'activeEnergyBurnedUnit="kcal" appleExerciseTime="{int(rng.integers(5, 90))}" '
            'appleExerciseTimeGoal="30" appleStandHours="12" appleStandHoursGoal="12"/>\n')


_SECTIONS = (
    lambda rng, d: _heart_rate(rng, d),
    lambda rng, d: _energy(rng, d, "HKQuantityTypeIdentifierActiveEnergyBurned", 60, 0.9),
    lambda rng, d: _energy(rng, d, "HKQuantityTypeIdentifierBasalEnergyBurned", 300, 6.0),
    _steps_and_distance,
    _resting,
    _hrv,
    _sleep,
    _workout,
    _summary,
)
# bytes one day adds over all sections, measured once on a sample; sizes the day count
_PROBE_DAYS = 5


def write_export(path: Path, target_bytes: int, *, end_day: date = date(2025, 3, 31),
                 seed: int = 11) -> dict[str, int]:
    """Write an export of about `target_bytes` to `path`; returns its size and day count."""
    probe = np.random.default_rng(seed)
    per_day = sum(
        len(section(probe, _Day(probe, end_day)).encode()) for section in _SECTIONS
        for _ in range(_PROBE_DAYS)
    ) / _PROBE_DAYS
    days = max(1, round((target_bytes - len(APPLE_HEALTH_PROLOGUE)) / per_day))
    rng = np.random.default_rng(seed)
    first = end_day - timedelta(days=days - 1)
    shape = [_Day(rng, first + timedelta(days=k)) for k in range(days)]
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(APPLE_HEALTH_PROLOGUE)
        out.write('<HealthData locale="en_US">\n'
                  f' <ExportDate value="{end_day.isoformat()} 07:30:00 {_OFFSET}"/>\n'
                  ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1986-04-12" '
                  'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexMale" '
                  'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
                  'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>\n')
        for section in _SECTIONS:  # grouped by type, as Apple writes them
            for d in shape:
                out.write(section(rng, d))
        out.write("</HealthData>\n")
    return {"bytes": path.stat().st_size, "days": days}
