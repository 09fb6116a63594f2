"""Apple Health export records → silver samples, sleep analysis and workouts.

Attributes arrive as text exactly as in export.xml. Dates look like `2016-04-02 10:40:38 +0100`
(the device's offset at recording time): the UTC instant is stored, and `day` is the date as the
device printed it. Units vary per record, so they are read from each record and normalised
(distance to km, energy to kcal, durations to minutes). Duplicates across devices (Watch and
iPhone both counting steps) stay as separate samples with their `source_name`: choosing between
them is a gold-layer decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.validation import LINEAGE, Check, PayloadSpec, parse_payloads

APPLE_WORKOUTS_DATASET = "workouts"
DATE_FORMAT = "yyyy-MM-dd HH:mm:ss Z"
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$"

_RECORD_DDL = (
    "type STRING, unit STRING, value STRING, sourceName STRING, sourceVersion STRING, "
    "device STRING, creationDate STRING, startDate STRING, endDate STRING"
)


def _date_check(name: str) -> Check:
    return Check(lambda: F.col(f"p.{name}").rlike(_DATE_PATTERN),
                 f"attribute '{name}' is not 'YYYY-MM-DD HH:MM:SS ±HHMM'")


def _instant(name: str) -> Column:
    return F.to_timestamp(F.col(f"p.{name}"), DATE_FORMAT)


def _local_day(name: str) -> Column:
    return F.to_date(F.substring(F.col(f"p.{name}"), 1, 10))


def _sample_id(*parts: str) -> Column:
    return F.substring(
        F.sha2(F.concat_ws("|", "person_id", *[F.coalesce(F.col(p), F.lit("")) for p in parts]), 256),
        1, 32,
    )


@dataclass(frozen=True)
class AppleTable:
    table: str
    keys: tuple[str, ...]
    datasets: tuple[str, ...]


APPLE_SAMPLES = AppleTable(
    "apple_health_samples", ("person_id", "sample_id"),
    ("heart_rate", "resting_heart_rate", "hrv_sdnn", "steps"),
)
APPLE_SLEEP = AppleTable("apple_sleep_analysis", ("person_id", "sample_id"), ("sleep_analysis",))
APPLE_TABLES = (APPLE_SAMPLES, APPLE_SLEEP)

_SAMPLES_SPEC = PayloadSpec(
    _RECORD_DDL,
    required=("type", "startDate", "endDate", "value"),
    checks=(
        _date_check("startDate"), _date_check("endDate"),
        Check("cast(p.value AS DOUBLE) IS NOT NULL", "attribute 'value' is not a number"),
    ),
)
_SLEEP_SPEC = PayloadSpec(
    _RECORD_DDL, required=("type", "startDate", "endDate", "value"),
    checks=(_date_check("startDate"), _date_check("endDate")),
)


def normalize_apple_health(records: DataFrame, table: AppleTable) -> tuple[DataFrame, DataFrame]:
    if table is APPLE_SAMPLES:
        valid, rejected = parse_payloads(records, _SAMPLES_SPEC)
        silver = valid.select(
            "person_id",
            _sample_id("_dataset", "p.sourceName", "p.startDate", "p.endDate", "p.value", "p.unit")
            .alias("sample_id"),
            F.col("_dataset").alias("sample_type"),
            F.col("p.value").cast("double").alias("value"),
            F.col("p.unit").alias("unit"),
            _instant("startDate").alias("start_at"),
            _instant("endDate").alias("end_at"),
            _local_day("startDate").alias("day"),
            F.col("p.sourceName").alias("source_name"),
            F.col("p.sourceVersion").alias("source_version"),
            F.regexp_extract("p.device", r"name:([^,>]+)", 1).alias("device_name"),
            F.lit("apple_health").alias("source"),
            *LINEAGE[2:],
        )
        return silver, rejected
    valid, rejected = parse_payloads(records, _SLEEP_SPEC)
    stage = F.regexp_replace(F.col("p.value"), "^HKCategoryValueSleepAnalysis", "")
    silver = valid.select(
        "person_id",
        _sample_id("p.sourceName", "p.startDate", "p.endDate", "p.value").alias("sample_id"),
        F.lower(F.regexp_replace(stage, "([a-z])([A-Z])", "$1_$2")).alias("stage"),
        F.col("p.value").alias("value"),
        _instant("startDate").alias("start_at"),
        _instant("endDate").alias("end_at"),
        _local_day("endDate").alias("day"),  # a night belongs to the day one wakes up
        ((F.unix_timestamp(_instant("endDate")) - F.unix_timestamp(_instant("startDate"))) / 60.0)
        .alias("duration_min"),
        F.col("p.sourceName").alias("source_name"),
        F.lit("apple_health").alias("source"),
        *LINEAGE[2:],
    )
    return silver, rejected


# HKWorkoutActivityType suffix → the discipline names Peloton uses
_DISCIPLINES = {
    "Cycling": "cycling", "TraditionalStrengthTraining": "strength",
    "FunctionalStrengthTraining": "strength", "CoreTraining": "strength", "Yoga": "yoga",
    "Flexibility": "stretching", "MindAndBody": "meditation", "Running": "running",
    "Walking": "walking", "Rowing": "rowing", "HighIntensityIntervalTraining": "cardio",
    "Elliptical": "cardio", "Hiking": "hiking", "Swimming": "swimming", "Other": "other",
}

_WORKOUT_SPEC = PayloadSpec(
    "workoutActivityType STRING, duration STRING, durationUnit STRING, totalDistance STRING, "
    "totalDistanceUnit STRING, totalEnergyBurned STRING, totalEnergyBurnedUnit STRING, "
    "sourceName STRING, startDate STRING, endDate STRING, "
    "statistics ARRAY<STRUCT<type: STRING, average: STRING, unit: STRING>>",
    required=("workoutActivityType", "startDate", "endDate"),
    checks=(_date_check("startDate"), _date_check("endDate")),
)



def normalize_apple_workouts(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Apple Health `<Workout>` records → rows shaped like silver `workouts`."""
    valid, rejected = parse_payloads(records.filter(F.col("_dataset") == APPLE_WORKOUTS_DATASET), _WORKOUT_SPEC)
    activity = F.regexp_replace("p.workoutActivityType", "^HKWorkoutActivityType", "")
    mapping = F.create_map(*[F.lit(x) for kv in _DISCIPLINES.items() for x in kv])
    duration = F.col("p.duration").cast("double")
    duration_unit = F.lower(F.coalesce(F.col("p.durationUnit"), F.lit("min")))
    distance = F.col("p.totalDistance").cast("double")
    distance_unit = F.lower(F.coalesce(F.col("p.totalDistanceUnit"), F.lit("km")))
    energy = F.col("p.totalEnergyBurned").cast("double")
    energy_unit = F.lower(F.coalesce(F.col("p.totalEnergyBurnedUnit"), F.lit("kcal")))
    heart_rate = F.filter("p.statistics", lambda s: s["type"] == "HKQuantityTypeIdentifierHeartRate")
    silver = valid.select(
        "person_id",
        _sample_id("p.sourceName", "p.startDate", "p.workoutActivityType").alias("workout_id"),
        _instant("startDate").alias("started_at"),
        _local_day("startDate").alias("day"),
        F.coalesce(mapping[activity], F.lower(F.regexp_replace(activity, "([a-z])([A-Z])", "$1_$2")))
        .alias("discipline"),
        activity.alias("title"),
        F.lit(None).cast("string").alias("instructor"),
        F.when(duration_unit == "s", duration / 60).when(duration_unit.isin("hr", "h"), duration * 60)
        .otherwise(duration).alias("duration_min"),
        F.lit(None).cast("double").alias("output_kj"),
        F.lit(None).cast("double").alias("avg_watts"),
        F.lit(None).cast("double").alias("avg_cadence_rpm"),
        F.lit(None).cast("double").alias("avg_resistance_pct"),
        F.when(distance_unit == "mi", distance * 1.609344).when(distance_unit == "m", distance / 1000)
        .otherwise(distance).alias("distance_km"),
        F.lit(None).cast("double").alias("avg_speed_kph"),
        F.when(energy_unit == "kj", energy / 4.184).otherwise(energy).alias("calories_kcal"),
        F.element_at(heart_rate, 1)["average"].cast("double").alias("avg_hr"),
        F.lit(None).cast("string").alias("live_on_demand"),
        F.lit(None).cast("string").alias("class_type"),
        F.substring("p.startDate", 21, 5).alias("tz_label"),
        F.substring("p.startDate", 1, 16).alias("started_local"),
        F.lit("apple_health").alias("source"),
        *LINEAGE[2:],
    )
    return silver, rejected
