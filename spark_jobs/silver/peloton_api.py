"""Peloton API records → the silver `workouts` table (source `peloton_api`), in exactly the
columns of the CSV rows (`peloton_normalizer`), so one table holds both.

Inputs (ingest_workers/peloton/api_json.py): one record per workout of a stored workouts page,
and one per stored performance graph, `{workout_id, performance_graph}`.

Columns:
    started_at        `start_time` (epoch seconds) as a UTC timestamp
    day               the local date of `started_at` in the workout's IANA `timezone`
    started_local     the local wall time 'yyyy-MM-dd HH:mm' in that zone; tz_label = the zone
    discipline        `fitness_discipline` lower-case, as the API gives it (`bike_bootcamp`)
    title, instructor `ride.title`, `ride.instructor.name` (what the CSV prints); duration_min
                      = `ride.duration` / 60 (the class length, as the CSV's Length)
    output_kj         `total_work` (joules) / 1000; NULL when it is 0 and the graph has no output
                      metric (no output measured: the CSV prints nothing there either)
    averages          the graph's metric `average_value`s (output → avg_watts, cadence,
                      resistance, speed, heart_rate), else its `average_summaries`
    distance_km       the `distance` summary, converted from mi (or m) by its display unit;
                      avg_speed_kph likewise from mph; calories_kcal from the `calories` summary
    live_on_demand, class_type   NULL: the API has no documented field for them ⚠

Rows: only COMPLETE workouts (one still running is skipped, not rejected: a later sync stores
it complete). A workout needs its performance graph in the same batch: the sync stores a page's
graphs before the page, so a new workout and its graph are processed together; a page stored
again later (its bytes change whenever a new workout shifts the pages) lists workouts whose
graphs were processed long ago, and those are left as they are in silver rather than
overwritten without their averages. The graph of a workout listed in no page of the batch is
dropped. (A sync interleaved with a running ETL can split a workout from its graph; `biolake etl
--full` reads all of bronze together and restores it.) Records that do not parse, or name an
unknown time zone or unit, go to quarantine with the reason.

Identity and precedence against the CSV: `workout_id` is the CSV's hash of (person, local minute,
title, instructor) — `peloton_normalizer.peloton_workout_id` — computed from the API's own
local minute (in the workout's zone), title and instructor, so the CSV row and the API row of
one session share a key and silver keeps one row. Which one is kept is the lake-wide rule of
`delta_io.upsert`: the row from the object ingested last wins (then the later record). Syncing
the API after dropping an export therefore replaces the CSV's rounded kJ and its DST-blind
start time with the API's exact values; a *new* export ingested after the sync puts the CSV's
values back for the sessions it contains. The CSV stays the only source of sessions the API no
longer lists. ⚠ The key matches only when the export was printed in the workout's zone and the
CSV title equals the ride title (not so for Just Ride, whose CSV title carries its length).
"""

from __future__ import annotations

from zoneinfo import available_timezones

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from biolake.sources import PELOTON_API as SOURCE
from biolake.sources import PELOTON_GRAPH_DATASET as GRAPH_DATASET
from biolake.sources import PELOTON_WORKOUTS_DATASET as WORKOUTS_DATASET
from spark_jobs.silver.peloton_csv import KM_PER_MILE, peloton_workout_id
from spark_jobs.validation import LINEAGE, QUARANTINE_COLUMNS, Check, PayloadSpec, parse_payloads

COMPLETE = "COMPLETE"

WORKOUT = PayloadSpec(
    "id STRING, status STRING, start_time DOUBLE, timezone STRING, fitness_discipline STRING, "
    "title STRING, name STRING, total_work DOUBLE, "
    "ride STRUCT<title: STRING, duration: DOUBLE, instructor: STRUCT<name: STRING>>",
    required=("id", "start_time", "timezone", "fitness_discipline"),
)
_SUMMARY = "ARRAY<STRUCT<slug: STRING, display_unit: STRING, value: DOUBLE>>"
GRAPH = PayloadSpec(
    "workout_id STRING, performance_graph STRUCT<"
    "metrics: ARRAY<STRUCT<slug: STRING, display_unit: STRING, average_value: DOUBLE>>, "
    f"summaries: {_SUMMARY}, average_summaries: {_SUMMARY}>",
    required=("workout_id", "performance_graph"),
    checks=(
        Check("NOT exists(p.performance_graph.summaries, s -> s.slug = 'distance' "
              "AND lower(s.display_unit) NOT IN ('mi', 'km', 'm'))",
              "field 'summaries.distance.display_unit' is not mi, km or m"),
        Check("NOT exists(p.performance_graph.metrics, m -> m.slug = 'speed' "
              "AND lower(m.display_unit) NOT IN ('mph', 'kph', 'km/h'))",
              "field 'metrics.speed.display_unit' is not mph or kph"),
    ),
)


def _first(array: Column, slug: str) -> Column:
    """The first element of an array of {slug, ...} with this slug (NULL if none; never an
    index error, whatever the ANSI setting)."""
    return F.get(F.filter(array, lambda item: item["slug"] == slug), 0)


def _average(slug: str) -> Column:
    metric = _first(F.col("g.metrics"), slug)["average_value"]
    return F.coalesce(metric, _first(F.col("g.average_summaries"), f"avg_{slug}")["value"])


def _unit(slug: str) -> Column:
    metric = _first(F.col("g.metrics"), slug)["display_unit"]
    summary = _first(F.col("g.average_summaries"), f"avg_{slug}")["display_unit"]
    return F.lower(F.coalesce(metric, summary))


def _distance_km() -> Column:
    summary = _first(F.col("g.summaries"), "distance")
    unit = F.lower(summary["display_unit"])
    value = summary["value"]
    return (F.when(unit == "mi", value * KM_PER_MILE).when(unit == "m", value / 1000.0)
            .otherwise(value))


def _time_zones(spark: SparkSession) -> DataFrame:
    # a broadcast table of zone names: an unknown name would fail from_utc_timestamp for the
    # whole job, so it is found by a join and quarantined instead
    return F.broadcast(
        spark.createDataFrame(
            [(z,) for z in sorted(available_timezones() | {"UTC"})], "_zone string"
        )
    )


def _latest_graphs(graphs: DataFrame) -> DataFrame:
    """One graph per workout: the one ingested last (a workout can be re-synced)."""
    window = Window.partitionBy("person_id", "p.workout_id").orderBy(
        F.col("_ingested_at").desc(), F.col("_object_key").desc(), F.col("_record_index").desc()
    )
    return (
        graphs.withColumn("_rank", F.row_number().over(window)).filter("_rank = 1")
        .select(F.col("person_id").alias("_g_person_id"),
                F.col("p.workout_id").alias("_g_workout_id"),
                F.col("p.performance_graph").alias("g"))
    )


def normalize_peloton_api(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """API records → (silver workouts rows, quarantine rows)."""
    spark = records.sparkSession
    workouts, rejected_workouts = parse_payloads(
        records.filter(F.col("_dataset") == WORKOUTS_DATASET), WORKOUT
    )
    graphs, rejected_graphs = parse_payloads(
        records.filter(F.col("_dataset") == GRAPH_DATASET), GRAPH
    )

    zoned = workouts.join(_time_zones(spark), F.col("p.timezone") == F.col("_zone"), "left")
    unknown_zone = zoned.filter(F.col("_zone").isNull()).withColumn(
        "reason", F.concat(F.lit("field 'timezone' is not an IANA time zone: '"),
                           F.col("p.timezone"), F.lit("'")),
    ).select(*QUARANTINE_COLUMNS)

    complete = zoned.filter(
        F.col("_zone").isNotNull() & F.coalesce(F.upper("p.status") == COMPLETE, F.lit(True))
    )
    joined = complete.join(
        _latest_graphs(graphs),
        (F.col("person_id") == F.col("_g_person_id")) & (F.col("p.id") == F.col("_g_workout_id")),
        "inner",
    )
    started_at = F.timestamp_seconds(F.col("p.start_time"))
    local = F.from_utc_timestamp(started_at, F.col("p.timezone"))
    started_local = F.date_format(local, "yyyy-MM-dd HH:mm")
    title = F.trim(F.coalesce("p.ride.title", "p.title", "p.name"))
    instructor = F.nullif(F.trim("p.ride.instructor.name"), F.lit(""))
    no_output = (F.col("p.total_work") == 0) & _first(F.col("g.metrics"), "output").isNull()
    speed = _average("speed")
    silver = joined.select(
        "person_id",
        peloton_workout_id(F.col("person_id"), started_local, title, instructor)
        .alias("workout_id"),
        started_at.alias("started_at"),
        F.to_date(local).alias("day"),
        F.lower(F.trim("p.fitness_discipline")).alias("discipline"),
        title.alias("title"),
        instructor.alias("instructor"),
        (F.col("p.ride.duration") / 60.0).alias("duration_min"),
        F.when(~no_output, F.col("p.total_work") / 1000.0).alias("output_kj"),
        _average("output").alias("avg_watts"),
        _average("cadence").alias("avg_cadence_rpm"),
        _average("resistance").alias("avg_resistance_pct"),
        _distance_km().alias("distance_km"),
        F.when(_unit("speed") == "mph", speed * KM_PER_MILE).otherwise(speed)
        .alias("avg_speed_kph"),
        _first(F.col("g.summaries"), "calories")["value"].alias("calories_kcal"),
        _average("heart_rate").alias("avg_hr"),
        F.lit(None).cast("string").alias("live_on_demand"),
        F.lit(None).cast("string").alias("class_type"),
        F.col("p.timezone").alias("tz_label"),
        started_local.alias("started_local"),
        F.lit(SOURCE).alias("source"),
        *LINEAGE[2:],
    )
    return silver, rejected_workouts.unionByName(unknown_zone).unionByName(rejected_graphs)
