"""Oura API v2 documents (from the API or the membership export) → typed silver tables.

Each endpoint is declared once: its payload schema (the fields this project keeps; unknown
fields are ignored because Oura's schemas churn), its required fields, its range checks, its
silver columns and its natural key. Oura's own `day` is authoritative for daily documents;
timestamps are stored in UTC next to the offset Oura printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_jobs.validation import LINEAGE, Check, PayloadSpec, parse_payloads

_SCORE = "INT"


def _score_check(path: str) -> Check:
    return Check(f"p.{path} IS NULL OR p.{path} BETWEEN 0 AND 100", f"field '{path}' is outside 0-100")


_DAY_CHECK = Check("to_date(p.day, 'yyyy-MM-dd') IS NOT NULL", "field 'day' is not a YYYY-MM-DD date")


def _ts_check(name: str) -> Check:
    return Check(f"p.{name} IS NULL OR to_timestamp(p.{name}) IS NOT NULL",
                 f"field '{name}' is not an ISO 8601 date-time")


@dataclass(frozen=True)
class OuraTable:
    endpoint: str
    table: str
    keys: tuple[str, ...]
    payload: PayloadSpec
    columns: dict[str, str]  # silver column → SQL expression over the parsed payload `p`


_READINESS_CONTRIBUTORS = (
    "activity_balance", "body_temperature", "hrv_balance", "previous_day_activity",
    "previous_night", "recovery_index", "resting_heart_rate", "sleep_balance", "sleep_regularity",
)
_SLEEP_CONTRIBUTORS = (
    "deep_sleep", "efficiency", "latency", "rem_sleep", "restfulness", "timing", "total_sleep",
)


def _struct(names: tuple[str, ...], kind: str = "INT") -> str:
    return "STRUCT<" + ", ".join(f"{n}: {kind}" for n in names) + ">"


OURA_TABLES: tuple[OuraTable, ...] = (
    OuraTable(
        "daily_readiness", "oura_daily_readiness", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, score INT, temperature_deviation DOUBLE, "
            f"temperature_trend_deviation DOUBLE, timestamp STRING, contributors {_struct(_READINESS_CONTRIBUTORS)}",
            required=("id", "day"),
            checks=(_DAY_CHECK, _score_check("score"), _ts_check("timestamp")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "score": "p.score",
            "temperature_deviation_c": "p.temperature_deviation",
            "temperature_trend_deviation_c": "p.temperature_trend_deviation",
            **{n: f"p.contributors.{n}" for n in _READINESS_CONTRIBUTORS},
            "timestamp_utc": "to_timestamp(p.timestamp)",
        },
    ),
    OuraTable(
        "daily_sleep", "oura_daily_sleep", ("person_id", "id"),
        PayloadSpec(
            f"id STRING, day STRING, score INT, timestamp STRING, contributors {_struct(_SLEEP_CONTRIBUTORS)}",
            required=("id", "day"),
            checks=(_DAY_CHECK, _score_check("score"), _ts_check("timestamp")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "score": "p.score",
            **{n: f"p.contributors.{n}" for n in _SLEEP_CONTRIBUTORS},
            "timestamp_utc": "to_timestamp(p.timestamp)",
        },
    ),
    OuraTable(
        "sleep", "oura_sleep", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, type STRING, period INT, bedtime_start STRING, bedtime_end STRING, "
            "time_in_bed BIGINT, total_sleep_duration BIGINT, deep_sleep_duration BIGINT, "
            "light_sleep_duration BIGINT, rem_sleep_duration BIGINT, awake_time BIGINT, latency BIGINT, "
            "efficiency INT, average_hrv DOUBLE, average_heart_rate DOUBLE, lowest_heart_rate INT, "
            "average_breath DOUBLE, restless_periods INT, low_battery_alert BOOLEAN, "
            "readiness STRUCT<score: INT>",
            required=("id", "day", "bedtime_start", "bedtime_end"),
            checks=(_DAY_CHECK, _ts_check("bedtime_start"), _ts_check("bedtime_end"),
                    Check("p.total_sleep_duration IS NULL OR p.total_sleep_duration >= 0",
                          "field 'total_sleep_duration' is negative")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "type": "p.type", "period": "p.period",
            "bedtime_start_utc": "to_timestamp(p.bedtime_start)",
            "bedtime_end_utc": "to_timestamp(p.bedtime_end)",
            "utc_offset": r"nullif(regexp_extract(p.bedtime_start, '([+-]\\d{2}:?\\d{2}|Z)$', 1), '')",
            "time_in_bed_s": "p.time_in_bed", "total_sleep_s": "p.total_sleep_duration",
            "deep_sleep_s": "p.deep_sleep_duration", "light_sleep_s": "p.light_sleep_duration",
            "rem_sleep_s": "p.rem_sleep_duration", "awake_s": "p.awake_time", "latency_s": "p.latency",
            "efficiency": "p.efficiency", "average_hrv_ms": "p.average_hrv",
            "average_hr_bpm": "p.average_heart_rate", "lowest_hr_bpm": "p.lowest_heart_rate",
            "average_breath_per_min": "p.average_breath", "restless_periods": "p.restless_periods",
            "low_battery_alert": "p.low_battery_alert", "readiness_score": "p.readiness.score",
        },
    ),
    OuraTable(
        "daily_activity", "oura_daily_activity", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, score INT, steps BIGINT, active_calories INT, total_calories INT, "
            "target_calories INT, equivalent_walking_distance BIGINT, high_activity_time BIGINT, "
            "medium_activity_time BIGINT, low_activity_time BIGINT, sedentary_time BIGINT, "
            "resting_time BIGINT, non_wear_time BIGINT, average_met_minutes DOUBLE, "
            "inactivity_alerts INT, timestamp STRING",
            required=("id", "day"),
            checks=(_DAY_CHECK, _score_check("score"), _ts_check("timestamp"),
                    Check("p.steps IS NULL OR p.steps >= 0", "field 'steps' is negative")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "score": "p.score", "steps": "p.steps",
            "active_calories_kcal": "p.active_calories", "total_calories_kcal": "p.total_calories",
            "target_calories_kcal": "p.target_calories",
            "equivalent_walking_distance_m": "p.equivalent_walking_distance",
            "high_activity_s": "p.high_activity_time", "medium_activity_s": "p.medium_activity_time",
            "low_activity_s": "p.low_activity_time", "sedentary_s": "p.sedentary_time",
            "resting_s": "p.resting_time", "non_wear_s": "p.non_wear_time",
            "average_met_minutes": "p.average_met_minutes", "inactivity_alerts": "p.inactivity_alerts",
            "timestamp_utc": "to_timestamp(p.timestamp)",
        },
    ),
    OuraTable(
        "heartrate", "oura_heartrate", ("person_id", "timestamp_utc", "hr_source"),
        PayloadSpec(
            "timestamp STRING, bpm INT, source STRING",
            required=("timestamp", "bpm"),
            checks=(_ts_check("timestamp"),
                    Check("p.bpm BETWEEN 20 AND 250", "field 'bpm' is outside 20-250")),
        ),
        {
            "timestamp_utc": "to_timestamp(p.timestamp)", "bpm": "p.bpm",
            "hr_source": "coalesce(p.source, 'unknown')",
        },
    ),
    OuraTable(
        "daily_spo2", "oura_daily_spo2", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, spo2_percentage STRUCT<average: DOUBLE>, breathing_disturbance_index INT",
            required=("id", "day"), checks=(_DAY_CHECK,),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "spo2_average_pct": "p.spo2_percentage.average",
            "breathing_disturbance_index": "p.breathing_disturbance_index",
        },
    ),
    OuraTable(
        "workout", "oura_workout", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, activity STRING, intensity STRING, source STRING, "
            "start_datetime STRING, end_datetime STRING, calories DOUBLE, distance DOUBLE, label STRING",
            required=("id", "day", "start_datetime"),
            checks=(_DAY_CHECK, _ts_check("start_datetime"), _ts_check("end_datetime")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "activity": "lower(p.activity)",
            "intensity": "p.intensity", "workout_source": "p.source", "label": "p.label",
            "start_utc": "to_timestamp(p.start_datetime)", "end_utc": "to_timestamp(p.end_datetime)",
            "utc_offset": r"nullif(regexp_extract(p.start_datetime, '([+-]\\d{2}:?\\d{2}|Z)$', 1), '')",
            "duration_min": "(unix_timestamp(to_timestamp(p.end_datetime)) - unix_timestamp(to_timestamp(p.start_datetime))) / 60.0",
            "calories_kcal": "p.calories", "distance_km": "p.distance / 1000.0",
        },
    ),
    OuraTable(
        "session", "oura_session", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, type STRING, start_datetime STRING, end_datetime STRING, mood STRING",
            required=("id", "day"), checks=(_DAY_CHECK, _ts_check("start_datetime")),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "type": "p.type", "mood": "p.mood",
            "start_utc": "to_timestamp(p.start_datetime)", "end_utc": "to_timestamp(p.end_datetime)",
        },
    ),
    OuraTable(
        "daily_stress", "oura_daily_stress", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, stress_high BIGINT, recovery_high BIGINT, day_summary STRING",
            required=("id", "day"), checks=(_DAY_CHECK,),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "stress_high_s": "p.stress_high",
            "recovery_high_s": "p.recovery_high", "day_summary": "p.day_summary",
        },
    ),
    OuraTable(
        "daily_resilience", "oura_daily_resilience", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, level STRING, "
            "contributors STRUCT<sleep_recovery: DOUBLE, daytime_recovery: DOUBLE, stress: DOUBLE>",
            required=("id", "day"), checks=(_DAY_CHECK,),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "level": "p.level",
            "sleep_recovery": "p.contributors.sleep_recovery",
            "daytime_recovery": "p.contributors.daytime_recovery", "stress": "p.contributors.stress",
        },
    ),
    OuraTable(
        # real responses lack `id` (the spec requires one): keyed by day instead
        "daily_cardiovascular_age", "oura_daily_cardiovascular_age", ("person_id", "day"),
        PayloadSpec(
            "id STRING, day STRING, vascular_age INT, pulse_wave_velocity DOUBLE",
            required=("day",), checks=(_DAY_CHECK,),
        ),
        {
            "id": "p.id", "day": "to_date(p.day)", "vascular_age": "p.vascular_age",
            "pulse_wave_velocity_mps": "p.pulse_wave_velocity",
        },
    ),
    OuraTable(
        "vO2_max", "oura_vo2_max", ("person_id", "id"),
        PayloadSpec(
            "id STRING, day STRING, vo2_max DOUBLE, timestamp STRING",
            required=("id", "day"), checks=(_DAY_CHECK,),
        ),
        {"id": "p.id", "day": "to_date(p.day)", "vo2_max": "p.vo2_max",
         "timestamp_utc": "to_timestamp(p.timestamp)"},
    ),
)
OURA_TABLE_BY_ENDPOINT = {t.endpoint: t for t in OURA_TABLES}


def normalize_oura(records: DataFrame, table: OuraTable) -> tuple[DataFrame, DataFrame]:
    """Records of one endpoint → (silver rows, quarantine rows)."""
    valid, rejected = parse_payloads(records, table.payload)
    silver = valid.select(
        *LINEAGE[:1],
        *[F.expr(expr).alias(name) for name, expr in table.columns.items()],
        F.col("_source").alias("source"),
        *LINEAGE[2:],
    )
    return silver, rejected
