"""Silver → gold `daily_readiness_performance`: one row per person per local day with any data.

Precedence when a source holds two documents for one day (a rescored day re-pulled from the API,
the same day in the export): the document from the object ingested last wins, then the later
Oura timestamp. Sleep measures come from the day's main sleep period (the longest `long_sleep`
or `sleep` period; `rest` and `deleted` periods never count), total sleep adds the naps.
Workouts from Apple Health that overlap a workout of another source (start within 10 minutes of
local wall-clock time) are the same session written into Health by the Peloton app and are not
counted twice. Wall-clock time, because Peloton's CSV labels are not DST-correct.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

KEYS = ["person_id", "day"]
MAIN_SLEEP_TYPES = ("long_sleep", "sleep")
COUNTED_SLEEP_TYPES = ("long_sleep", "sleep", "late_nap")
DUPLICATE_WINDOW_S = 600


def _one_per_day(df: DataFrame, *order: str) -> DataFrame:
    window = Window.partitionBy(*KEYS).orderBy(*[F.col(c).desc_nulls_last() for c in order])
    return df.withColumn("_n", F.row_number().over(window)).filter("_n = 1").drop("_n")


def _wall_clock_s(alias: str) -> Column:
    return F.unix_timestamp(F.col(f"{alias}.started_local"), "yyyy-MM-dd HH:mm")


def countable_workouts(workouts: DataFrame) -> DataFrame:
    """Workouts minus Apple Health copies of workouts another source already has."""
    apple = workouts.filter(F.col("source") == "apple_health").alias("a")
    others = workouts.filter(F.col("source") != "apple_health").alias("o")
    copies = apple.join(
        others,
        (F.col("a.person_id") == F.col("o.person_id"))
        & (F.abs(_wall_clock_s("a") - _wall_clock_s("o")) <= DUPLICATE_WINDOW_S),
        "left_semi",
    )
    return workouts.join(copies.select("person_id", "workout_id"), ["person_id", "workout_id"], "left_anti")


def daily_readiness_performance(
    readiness: DataFrame,
    daily_sleep: DataFrame,
    sleep_periods: DataFrame,
    activity: DataFrame,
    workouts: DataFrame,
) -> DataFrame:
    """The core gold table from the silver tables (already limited to the days to rebuild)."""
    ready = _one_per_day(readiness, "_ingested_at", "timestamp_utc", "id").select(
        *KEYS,
        F.col("score").alias("readiness_score"),
        F.col("hrv_balance"),
        F.col("temperature_deviation_c"),
    )
    sleep_score = _one_per_day(daily_sleep, "_ingested_at", "timestamp_utc", "id").select(
        *KEYS, F.col("score").alias("sleep_score")
    )
    active = _one_per_day(activity, "_ingested_at", "timestamp_utc", "id").select(
        *KEYS,
        F.col("score").alias("activity_score"),
        F.col("steps"),
        F.col("active_calories_kcal").alias("active_calories"),
    )
    periods = sleep_periods.withColumn("type", F.coalesce("type", F.lit("sleep")))
    main_sleep = _one_per_day(
        periods.filter(F.col("type").isin(*MAIN_SLEEP_TYPES)), "total_sleep_s", "bedtime_end_utc"
    ).select(*KEYS, F.col("average_hrv_ms").alias("hrv_avg"), F.col("lowest_hr_bpm").alias("resting_hr"))
    sleep_total = (
        periods.filter(F.col("type").isin(*COUNTED_SLEEP_TYPES))
        .groupBy(*KEYS)
        .agg((F.sum("total_sleep_s") / 3600.0).alias("total_sleep_hours"))
    )
    training = (
        countable_workouts(workouts)
        .groupBy(*KEYS)
        .agg(
            F.count("*").cast("int").alias("workout_count"),
            F.coalesce(F.sum("duration_min"), F.lit(0.0)).alias("workout_minutes"),
            F.coalesce(F.sum("output_kj"), F.lit(0.0)).alias("total_output_kj"),
            F.avg(F.when(F.col("avg_watts") > 0, F.col("avg_watts"))).alias("avg_watts"),
            F.sum("calories_kcal").alias("workout_calories"),
            F.max("avg_hr").alias("max_avg_hr"),
            F.array_sort(F.collect_set("discipline")).alias("disciplines"),
        )
    )
    days = (
        ready.select(*KEYS)
        .union(sleep_score.select(*KEYS))
        .union(active.select(*KEYS))
        .union(main_sleep.select(*KEYS))
        .union(sleep_total.select(*KEYS))
        .union(training.select(*KEYS))
        .distinct()
    )
    joined = (
        days.join(ready, KEYS, "left")
        .join(sleep_score, KEYS, "left")
        .join(active, KEYS, "left")
        .join(main_sleep, KEYS, "left")
        .join(sleep_total, KEYS, "left")
        .join(training, KEYS, "left")
    )
    readiness_col, sleep_col = F.col("readiness_score"), F.col("sleep_score")
    output = F.coalesce(F.col("total_output_kj"), F.lit(0.0))
    return joined.select(
        *KEYS,
        readiness_col,
        sleep_col,
        "activity_score",
        "hrv_balance",
        "hrv_avg",
        "resting_hr",
        "temperature_deviation_c",
        "total_sleep_hours",
        "steps",
        "active_calories",
        F.coalesce("workout_count", F.lit(0)).alias("workout_count"),
        F.coalesce("workout_minutes", F.lit(0.0)).alias("workout_minutes"),
        output.alias("total_output_kj"),
        "avg_watts",
        "workout_calories",
        "max_avg_hr",
        F.coalesce("disciplines", F.array().cast("array<string>")).alias("disciplines"),
        (F.coalesce("workout_count", F.lit(0)) > 0).alias("had_workout"),
        F.when((output > 0) & (readiness_col > 0), output / readiness_col).alias("readiness_to_output_ratio"),
        F.when(readiness_col.isNotNull() & sleep_col.isNotNull(), 0.6 * readiness_col + 0.4 * sleep_col)
        .otherwise(F.coalesce(readiness_col.cast("double"), sleep_col.cast("double")))
        .alias("combined_wellness_score"),
    )
