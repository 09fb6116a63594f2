"""A deterministic synthetic person for the NL-to-SQL tests: 120 days of the core gold table,
with the silver tables questions reach for (workouts, SpO2, sleep periods).

Written with delta-rs (no Spark) in the exact column types Spark gives
`gold/daily_readiness_performance` (see `spark_jobs/gold/daily.py`). The shape is what a real
year looks like in miniature: readiness that follows sleep and training load, a few days with no
data at all, days with workouts but no ring data, a run of falling readiness (the overtraining
view must find it), and a second person whose rows every query must leave alone.

Floats carry odd decimals (hrv 47.31, output 312.58) so a test can recognise a row value if one
ever leaked into a request to the model.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

import pyarrow as pa

AS_OF = date(2025, 3, 31)
DAYS = 120
FIRST_DAY = AS_OF - timedelta(days=DAYS - 1)  # 2024-12-02
MISSING_DAYS = {FIRST_DAY + timedelta(days=n) for n in (17, 45, 46, 88)}  # ring and bike idle
RING_OFF_DAYS = {FIRST_DAY + timedelta(days=n) for n in (30, 71, 104)}  # workouts, no ring data
FALLING_RUN = {FIRST_DAY + timedelta(days=60 + i): 71 - 5 * i for i in range(5)}  # 71 .. 51

SCHEMA = pa.schema(
    [
        ("person_id", pa.string()),
        ("day", pa.date32()),
        ("readiness_score", pa.int32()),
        ("sleep_score", pa.int32()),
        ("activity_score", pa.int32()),
        ("hrv_balance", pa.int32()),
        ("hrv_avg", pa.float64()),
        ("resting_hr", pa.int32()),
        ("temperature_deviation_c", pa.float64()),
        ("total_sleep_hours", pa.float64()),
        ("steps", pa.int64()),
        ("active_calories", pa.int32()),
        ("workout_count", pa.int32()),
        ("workout_minutes", pa.float64()),
        ("total_output_kj", pa.float64()),
        ("avg_watts", pa.float64()),
        ("workout_calories", pa.float64()),
        ("max_avg_hr", pa.float64()),
        ("disciplines", pa.list_(pa.string())),
        ("had_workout", pa.bool_()),
        ("readiness_to_output_ratio", pa.float64()),
        ("combined_wellness_score", pa.float64()),
    ]
)

_SESSIONS = (  # (disciplines, minutes, has output)
    (["cycling"], 45.0, True),
    (["cycling"], 30.0, True),
    (["cycling"], 60.0, True),
    (["strength"], 20.0, False),
    (["cycling", "strength"], 50.0, True),
    (["cycling", "stretching"], 40.0, True),
    (["yoga"], 30.0, False),
    (["meditation"], 10.0, False),
    (["bike_bootcamp"], 45.0, True),
)


def _person_rows(person_id: str, seed: int, days: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for n in range(days):
        day = FIRST_DAY + timedelta(days=n)
        if day in MISSING_DAYS:
            continue
        ring = day not in RING_OFF_DAYS
        wave = math.sin(2 * math.pi * n / 23)
        sleep = min(98, max(45, round(78 + 9 * wave + rng.gauss(0, 6)))) if ring else None
        readiness = (
            min(97, max(48, round(0.55 * sleep + 34 + rng.gauss(0, 5))))
            if sleep is not None
            else None
        )
        readiness = FALLING_RUN.get(day, readiness) if ring else None
        workout = rng.random() < 0.68 or day in RING_OFF_DAYS or day in FALLING_RUN
        row: dict = {
            "person_id": person_id,
            "day": day,
            "readiness_score": readiness,
            "sleep_score": sleep,
            "activity_score": round(60 + 30 * rng.random()) if ring else None,
            "hrv_balance": min(100, round(55 + 40 * rng.random())) if ring else None,
            "hrv_avg": round(38 + 0.25 * (readiness or 70) + 8 * rng.random(), 2) if ring else None,
            "resting_hr": round(62 - 0.12 * (readiness or 70) + 3 * rng.random()) if ring else None,
            "temperature_deviation_c": round(rng.gauss(0, 0.25), 2) if ring else None,
            "total_sleep_hours": round(5.4 + 3.4 * rng.random(), 3) if ring else None,
            "steps": round(3500 + 11000 * rng.random()) if ring else None,
            "active_calories": round(180 + 700 * rng.random()) if ring else None,
        }
        if workout:
            disciplines, minutes, has_output = _SESSIONS[rng.randrange(len(_SESSIONS))]
            count = 2 if len(disciplines) == 2 else 1
            output = round(minutes * (5.1 + 3.2 * rng.random()), 2) if has_output else 0.0
            row.update(
                {
                    "workout_count": count,
                    "workout_minutes": minutes,
                    "total_output_kj": output,
                    "avg_watts": round(output * 1000 / (minutes * 60), 2) if has_output else None,
                    "workout_calories": round(minutes * (7 + 4 * rng.random()), 1),
                    "max_avg_hr": round(118 + 40 * rng.random(), 2),
                    "disciplines": sorted(disciplines),
                    "had_workout": True,
                }
            )
        else:
            row.update(
                {
                    "workout_count": 0,
                    "workout_minutes": 0.0,
                    "total_output_kj": 0.0,
                    "avg_watts": None,
                    "workout_calories": None,
                    "max_avg_hr": None,
                    "disciplines": [],
                    "had_workout": False,
                }
            )
        output, readiness = row["total_output_kj"], row["readiness_score"]
        row["readiness_to_output_ratio"] = output / readiness if output > 0 and readiness else None
        sleep = row["sleep_score"]
        if readiness is not None and sleep is not None:
            row["combined_wellness_score"] = 0.6 * readiness + 0.4 * sleep
        else:
            row["combined_wellness_score"] = None  # ring-off days have neither score
        rows.append(row)
    return rows


def synthetic_gold() -> pa.Table:
    """Person `me` (120 days ending at AS_OF) and the same 120 days of a second person `partner`."""
    rows = _person_rows("me", seed=20250331, days=DAYS) + _person_rows("partner", seed=7, days=DAYS)
    return pa.Table.from_pylist(rows, schema=SCHEMA)


_INSTRUCTORS = ("Alex Toussaint", "Emma Lovewell", "Matt Wilpers", "Robin Arzon", "Ben Alldis")
_TITLES = {
    "cycling": "Ride",
    "strength": "Full Body Strength",
    "stretching": "Post-Ride Stretch",
    "yoga": "Yoga Flow",
    "meditation": "Sleep Meditation",
    "bike_bootcamp": "Bike Bootcamp",
}


def synthetic_workouts(gold: pa.Table) -> pa.Table:
    """Silver `workouts` of `me`: one row per discipline of each workout day, with the columns
    the questions about single workouts read (instructor, title, start, calories, heart rate).

    Its own random stream, so the gold rows stay what they were."""
    rng = random.Random(17)
    rows = []
    for row in gold.to_pylist():
        if row["person_id"] != "me":
            continue
        for i, discipline in enumerate(row["disciplines"]):
            minutes = row["workout_minutes"] / len(row["disciplines"])
            output = row["total_output_kj"] if i == 0 else 0.0
            start = datetime.combine(row["day"], time(6 + 11 * (row["day"].day % 2), 0))
            start += timedelta(minutes=40 * i + rng.randrange(0, 15))
            rows.append(
                {
                    "person_id": "me",
                    "workout_id": f"w-{row['day']:%Y%m%d}-{i}",
                    "started_at": start,
                    "started_local": f"{start - timedelta(hours=5):%Y-%m-%d %H:%M}",
                    "day": row["day"],
                    "discipline": discipline,
                    "title": f"{round(minutes)} min {_TITLES[discipline]}",
                    "instructor": _INSTRUCTORS[rng.randrange(len(_INSTRUCTORS))],
                    "duration_min": minutes,
                    "output_kj": output,
                    "avg_watts": round(output * 1000 / (minutes * 60), 2) if output else None,
                    "calories_kcal": round(minutes * (6 + 5 * rng.random()), 1),
                    "avg_hr": round(105 + 50 * rng.random(), 1)
                    if discipline != "meditation"
                    else None,
                    "source": "peloton_csv",
                    # the ride's bike metrics, derived without drawing from `rng` (the rest of
                    # the person stays as it was)
                    **(
                        {
                            "avg_cadence_rpm": 70.0 + row["day"].day % 25,
                            "avg_resistance_pct": 30.0 + row["day"].month * 2 + i,
                            "distance_km": round(minutes * 0.5 + output / 40, 2),
                            "avg_speed_kph": round(30 + output / 30, 1),
                        }
                        if discipline == "cycling"
                        else {}
                    ),
                }
            )
            if discipline == "cycling" and row["day"].day % 4 == 0:
                # the Peloton app wrote the ride into Apple Health too: the same session, which
                # the core table does not count twice (a start within 10 minutes)
                copy = dict(
                    rows[-1], workout_id=f"ah-{row['day']:%Y%m%d}-{i}", source="apple_health"
                )
                copy.update(title="Cycling", instructor=None, output_kj=None, avg_watts=None,
                            avg_cadence_rpm=None, avg_resistance_pct=None)
                copy["started_at"] = start + timedelta(seconds=50)
                rows.append(copy)
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("person_id", pa.string()),
                ("workout_id", pa.string()),
                ("started_at", pa.timestamp("us", tz="UTC")),
                ("started_local", pa.string()),
                ("day", pa.date32()),
                ("discipline", pa.string()),
                ("title", pa.string()),
                ("instructor", pa.string()),
                ("duration_min", pa.float64()),
                ("output_kj", pa.float64()),
                ("avg_watts", pa.float64()),
                ("calories_kcal", pa.float64()),
                ("avg_hr", pa.float64()),
                ("avg_cadence_rpm", pa.float64()),
                ("avg_resistance_pct", pa.float64()),
                ("distance_km", pa.float64()),
                ("avg_speed_kph", pa.float64()),
                ("source", pa.string()),
            ]
        ),
    )


def synthetic_spo2(gold: pa.Table) -> pa.Table:
    """Silver `oura_daily_spo2`: the ring's nightly SpO2 average on the days with ring data."""
    rng = random.Random(29)
    rows = [
        {
            "person_id": r["person_id"],
            "id": f"spo2-{r['person_id']}-{r['day']:%Y%m%d}",
            "day": r["day"],
            "spo2_average_pct": round(93.2 + 4.5 * rng.random(), 3),
            "breathing_disturbance_index": rng.randrange(0, 12),
        }
        for r in gold.to_pylist()
        if r["sleep_score"] is not None
    ]
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("person_id", pa.string()),
                ("id", pa.string()),
                ("day", pa.date32()),
                ("spo2_average_pct", pa.float64()),
                ("breathing_disturbance_index", pa.int32()),
            ]
        ),
    )


def synthetic_sleep_periods(gold: pa.Table) -> pa.Table:
    """Silver `oura_sleep`: each ring night's long sleep, and a nap on some days."""
    rng = random.Random(41)
    rows = []
    for r in gold.to_pylist():
        if r["total_sleep_hours"] is None:
            continue
        total = round(r["total_sleep_hours"] * 3600)
        periods = [("long_sleep", total)]
        if rng.random() < 0.15:
            periods.append(("late_nap", 1200 + rng.randrange(0, 1800)))
        for n, (kind, seconds) in enumerate(periods):
            rows.append(
                {
                    "person_id": r["person_id"],
                    "id": f"sleep-{r['person_id']}-{r['day']:%Y%m%d}-{n}",
                    "day": r["day"],
                    "type": kind,
                    "total_sleep_s": seconds,
                    "deep_sleep_s": round(seconds * (0.1 + 0.12 * rng.random())),
                    "rem_sleep_s": round(seconds * (0.15 + 0.1 * rng.random())),
                    "average_hrv_ms": r["hrv_avg"],
                    "lowest_hr_bpm": r["resting_hr"],
                }
            )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("person_id", pa.string()),
                ("id", pa.string()),
                ("day", pa.date32()),
                ("type", pa.string()),
                ("total_sleep_s", pa.int64()),
                ("deep_sleep_s", pa.int64()),
                ("rem_sleep_s", pa.int64()),
                ("average_hrv_ms", pa.float64()),
                ("lowest_hr_bpm", pa.int32()),
            ]
        ),
    )


def write_lake(home) -> tuple:
    """(settings, lake) of an embedded lake under `home` holding the synthetic person."""
    from deltalake import write_deltalake

    from biolake.lake import Lake, LakeConfig
    from biolake.settings import BiolakeSettings

    settings = BiolakeSettings(home=home, as_of=AS_OF)
    lake = Lake(LakeConfig.from_settings(settings))
    gold = synthetic_gold()
    write_deltalake(lake.table_uri("gold", "daily_readiness_performance"), gold)
    write_deltalake(lake.table_uri("silver", "workouts"), synthetic_workouts(gold))
    write_deltalake(lake.table_uri("silver", "oura_daily_spo2"), synthetic_spo2(gold))
    write_deltalake(lake.table_uri("silver", "oura_sleep"), synthetic_sleep_periods(gold))
    return settings, lake
