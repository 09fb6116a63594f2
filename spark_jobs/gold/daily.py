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

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

KEYS = ["person_id", "day"]
MAIN_SLEEP_TYPES = ("long_sleep", "sleep")
COUNTED_SLEEP_TYPES = ("long_sleep", "sleep", "late_nap")
DUPLICATE_WINDOW_S = 600


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


def _tagged(df: DataFrame, tag: str, **columns: Column) -> DataFrame:
    """One input's rows for the single aggregation: the keys, its tag and its own columns
    (named apart from every other input's, so the union never merges two types)."""
    return df.select(*KEYS, F.lit(tag).alias("_part"), *[c.alias(n) for n, c in columns.items()])


def _latest(tag: str, value: Column, order: Column) -> Column:
    """The part's value from its row with the greatest `order` (a struct: compared field by
    field, a null field lowest, i.e. each field descending with nulls last)."""
    return F.max_by(value, F.when(F.col("_part") == tag, order))


def _of(tag: str, column: str) -> Column:
    return F.when(F.col("_part") == tag, F.col(column))


def daily_readiness_performance(
    readiness: DataFrame,
    daily_sleep: DataFrame,
    sleep_periods: DataFrame,
    activity: DataFrame,
    workouts: DataFrame,
) -> DataFrame:
    """The core gold table from the silver tables (already limited to the days to rebuild).

    One aggregation over the five inputs' rows, tagged and unioned: each day's values are
    picked with `max_by` on the precedence, rather than a window per input and a chain of
    joins (a dozen shuffles for a few hundred rows). A day is a row when any input has it;
    sleep periods count only when of a counted type."""
    by_document = F.struct("_ingested_at", "timestamp_utc", "id")
    periods = sleep_periods.withColumn("type", F.coalesce("type", F.lit("sleep"))).filter(
        F.col("type").isin(*COUNTED_SLEEP_TYPES)
    )
    parts = [
        _tagged(readiness, "r", _r=F.struct(F.col("score").alias("readiness_score"),
                                            F.col("hrv_balance"), F.col("temperature_deviation_c")),
                _order_r=by_document),
        _tagged(daily_sleep, "s", _s=F.col("score"), _order_s=by_document),
        _tagged(activity, "a", _a=F.struct(F.col("score").alias("activity_score"), F.col("steps"),
                                           F.col("active_calories_kcal").alias("active_calories")),
                _order_a=by_document),
        _tagged(periods, "p", _p=F.struct(F.col("average_hrv_ms").alias("hrv_avg"),
                                          F.col("lowest_hr_bpm").alias("resting_hr")),
                _main=F.col("type").isin(*MAIN_SLEEP_TYPES),
                _sleep_s=F.col("total_sleep_s"),
                _order_p=F.struct("total_sleep_s", "bedtime_end_utc")),
        _tagged(countable_workouts(workouts), "w", _duration=F.col("duration_min"),
                _output=F.col("output_kj"), _watts=F.col("avg_watts"),
                _calories=F.col("calories_kcal"), _hr=F.col("avg_hr"),
                _discipline=F.col("discipline")),
    ]
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part, allowMissingColumns=True)
    workout = F.col("_part") == "w"
    days = rows.groupBy(*KEYS).agg(
        _latest("r", F.col("_r"), F.col("_order_r")).alias("_r"),
        _latest("s", F.col("_s"), F.col("_order_s")).alias("sleep_score"),
        _latest("a", F.col("_a"), F.col("_order_a")).alias("_a"),
        F.max_by(F.col("_p"), F.when((F.col("_part") == "p") & F.col("_main"), F.col("_order_p")))
        .alias("_p"),
        (F.sum(_of("p", "_sleep_s")) / 3600.0).alias("total_sleep_hours"),
        F.count(F.when(workout, 1)).cast("int").alias("workout_count"),
        F.sum(_of("w", "_duration")).alias("workout_minutes"),
        F.sum(_of("w", "_output")).alias("total_output_kj"),
        F.avg(F.when(workout & (F.col("_watts") > 0), F.col("_watts"))).alias("avg_watts"),
        F.sum(_of("w", "_calories")).alias("workout_calories"),
        F.max(_of("w", "_hr")).alias("max_avg_hr"),
        F.array_sort(F.collect_set(_of("w", "_discipline"))).alias("disciplines"),
    )
    readiness_col, sleep_col = F.col("_r.readiness_score"), F.col("sleep_score")
    output = F.coalesce(F.col("total_output_kj"), F.lit(0.0))
    return days.select(
        *KEYS,
        readiness_col.alias("readiness_score"),
        sleep_col,
        F.col("_a.activity_score").alias("activity_score"),
        F.col("_r.hrv_balance").alias("hrv_balance"),
        F.col("_p.hrv_avg").alias("hrv_avg"),
        F.col("_p.resting_hr").alias("resting_hr"),
        F.col("_r.temperature_deviation_c").alias("temperature_deviation_c"),
        "total_sleep_hours",
        F.col("_a.steps").alias("steps"),
        F.col("_a.active_calories").alias("active_calories"),
        F.col("workout_count"),
        F.coalesce("workout_minutes", F.lit(0.0)).alias("workout_minutes"),
        output.alias("total_output_kj"),
        "avg_watts",
        "workout_calories",
        "max_avg_hr",
        F.col("disciplines"),
        (F.col("workout_count") > 0).alias("had_workout"),
        F.when((output > 0) & (readiness_col > 0), output / readiness_col).alias("readiness_to_output_ratio"),
        F.when(readiness_col.isNotNull() & sleep_col.isNotNull(), 0.6 * readiness_col + 0.4 * sleep_col)
        .otherwise(F.coalesce(readiness_col.cast("double"), sleep_col.cast("double")))
        .alias("combined_wellness_score"),
    )
