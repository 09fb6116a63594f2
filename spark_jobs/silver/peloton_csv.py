"""Peloton CSV rows → the silver `workouts` table (source `peloton_csv`).

Time: the CSV prints local wall time plus a label that is either an abbreviation (`PST`, `CDT`)
or a numeric offset (`-07`). The local `day` is the printed date (ARCHITECTURE.md). `started_at`
is the printed time minus the label's nominal offset; labels are not DST-correct (`PST` in July),
so the raw label is kept in `tz_label` for anyone who wants to correct it with a profile zone.

Identity: the CSV has no workout id, so `workout_id` is a hash of the printed local minute, the
title and the instructor; the same workout in two exports gets the same id.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.validation import LINEAGE, Check, PayloadSpec, parse_payloads

SOURCE = "peloton_csv"
KM_PER_MILE = 1.609344

# nominal UTC offsets in minutes of the labels Peloton prints
TZ_ABBREVIATION_OFFSETS_MIN: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
    "BST": 60, "IST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "WET": 0, "WEST": 60,
    "AEST": 600, "AEDT": 660, "ACST": 570, "ACDT": 630, "AWST": 480, "NZST": 720, "NZDT": 780,
    "JST": 540, "KST": 540, "SGT": 480, "HKT": 480,
}

TIMESTAMP_PATTERN = r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(([A-Za-z]{1,5}|[+-]\d{2}(?::?\d{2})?)\)$"

_TEXT_FIELDS = (
    "workout_timestamp", "live_on_demand", "instructor_name", "length_minutes",
    "fitness_discipline", "class_type", "title", "class_timestamp",
)
# canonical field → header as Peloton prints it (for messages people recognise)
_NUMERIC_FIELDS = {
    "total_output_kj": "Total Output", "avg_watts": "Avg. Watts",
    "avg_resistance": "Avg. Resistance", "avg_cadence_rpm": "Avg. Cadence (RPM)",
    "avg_speed_mph": "Avg. Speed (mph)", "avg_speed_kph": "Avg. Speed (kph)",
    "distance_mi": "Distance (mi)", "distance_km": "Distance (km)",
    "calories_kcal": "Calories Burned", "avg_heartrate": "Avg. Heartrate",
    "avg_incline": "Avg. Incline", "length_minutes": "Length (minutes)",
}

PAYLOAD = PayloadSpec(
    ", ".join(f"{f} STRING" for f in dict.fromkeys([*_TEXT_FIELDS, *_NUMERIC_FIELDS])),
    required=("workout_timestamp", "fitness_discipline"),
    checks=(
        Check(lambda: F.col("p.workout_timestamp").rlike(TIMESTAMP_PATTERN),
              "field 'Workout Timestamp' is not 'YYYY-MM-DD HH:MM (TZ)'"),
        *(
            Check(
                f"nullif(nullif(trim(regexp_replace(p.{f}, '%$', '')), ''), 'None') IS NULL "
                f"OR cast(regexp_replace(p.{f}, '%$', '') AS DOUBLE) IS NOT NULL",
                f"field '{header}' is not a number",
            )
            for f, header in _NUMERIC_FIELDS.items()
        ),
    ),
)


def _number(field: str) -> Column:
    """'45%' → 45.0; '', 'None' → NULL."""
    text = F.trim(F.regexp_replace(F.col(f"p.{field}"), "%$", ""))
    return F.when(text.isin("", "None"), F.lit(None)).otherwise(text).cast("double")


def _numeric_offset(label: Column) -> Column:
    """'-07' → '-07:00', '+0530' → '+05:30'; NULL for an abbreviation."""
    digits = F.rpad(F.regexp_replace(label, "[^0-9]", ""), 4, "0")
    formatted = F.concat(
        F.substring(label, 1, 1), F.substring(digits, 1, 2), F.lit(":"), F.substring(digits, 3, 2)
    )
    return F.when(label.rlike(r"^[+-]\d"), formatted)


def peloton_workout_id(person_id: Column, local_minute: Column, title: Column,
                       instructor: Column) -> Column:
    """The id of one Peloton session, from what both the CSV and the API show of it (the local
    'yyyy-MM-dd HH:mm', the title, the instructor), so both land on one silver row."""
    return F.substring(
        F.sha2(F.concat_ws("|", person_id, F.lit("peloton"), local_minute, title,
                           F.coalesce(instructor, F.lit(""))), 256), 1, 32
    )


def _abbreviation_offsets(spark: SparkSession) -> DataFrame:
    # a tiny joined table rather than a 40-entry map literal, which bloats generated code
    rows = [(name, _format_offset(minutes)) for name, minutes in TZ_ABBREVIATION_OFFSETS_MIN.items()]
    return F.broadcast(spark.createDataFrame(rows, "_abbreviation string, _named_offset string"))


def _format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def normalize_peloton_csv(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """CSV records → (silver workouts rows, quarantine rows)."""
    valid, rejected = parse_payloads(records, PAYLOAD)
    stamped = (
        valid.withColumn("_local_text", F.regexp_extract("p.workout_timestamp", TIMESTAMP_PATTERN, 1))
        .withColumn("tz_label", F.regexp_extract("p.workout_timestamp", TIMESTAMP_PATTERN, 2))
        .withColumn("_abbreviation", F.upper("tz_label"))
        .join(_abbreviation_offsets(records.sparkSession), "_abbreviation", "left")
        .withColumn("_offset", F.coalesce(_numeric_offset(F.col("tz_label")), F.col("_named_offset")))
        .withColumn("_local", F.to_timestamp("_local_text", "yyyy-MM-dd HH:mm"))
    )
    unknown_label = F.col("_offset").isNull()
    bad_time = F.col("_local").isNull()
    rejected_time = stamped.filter(unknown_label | bad_time).withColumn(
        "reason",
        F.when(bad_time, F.lit("field 'Workout Timestamp' is not a valid date and time"))
        .otherwise(F.concat(F.lit("field 'Workout Timestamp' has an unknown time zone label '"),
                            F.col("tz_label"), F.lit("'"))),
    ).select(*rejected.columns)

    instructor = F.nullif(F.trim("p.instructor_name"), F.lit(""))
    title = F.trim("p.title")
    distance_km = F.coalesce(_number("distance_km"), _number("distance_mi") * KM_PER_MILE)
    speed_kph = F.coalesce(_number("avg_speed_kph"), _number("avg_speed_mph") * KM_PER_MILE)
    silver = stamped.filter(~unknown_label & ~bad_time).select(
        "person_id",
        peloton_workout_id(F.col("person_id"), F.col("_local_text"), title, instructor)
        .alias("workout_id"),
        F.to_timestamp(F.concat("_local_text", "_offset"), "yyyy-MM-dd HH:mmXXX").alias("started_at"),
        F.to_date("_local").alias("day"),
        F.lower(F.regexp_replace(F.trim("p.fitness_discipline"), r"[^A-Za-z0-9]+", "_")).alias("discipline"),
        title.alias("title"),
        instructor.alias("instructor"),
        _number("length_minutes").alias("duration_min"),
        _number("total_output_kj").alias("output_kj"),
        _number("avg_watts").alias("avg_watts"),
        _number("avg_cadence_rpm").alias("avg_cadence_rpm"),
        _number("avg_resistance").alias("avg_resistance_pct"),
        distance_km.alias("distance_km"),
        speed_kph.alias("avg_speed_kph"),
        _number("calories_kcal").alias("calories_kcal"),
        _number("avg_heartrate").alias("avg_hr"),
        F.nullif(F.trim("p.live_on_demand"), F.lit("")).alias("live_on_demand"),
        F.nullif(F.trim("p.class_type"), F.lit("")).alias("class_type"),
        "tz_label",
        F.col("_local_text").alias("started_local"),
        F.lit(SOURCE).alias("source"),
        *LINEAGE[2:],
    )
    return silver, rejected.unionByName(rejected_time)
