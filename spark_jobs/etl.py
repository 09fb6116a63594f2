"""`biolake etl`: bronze → silver → gold, incremental by default, `--full` to rebuild from bronze.

Order of work, chosen so a crash at any point loses nothing and a rerun changes nothing:
1. find ingested objects not yet in `_ops/etl_objects` (all of them with --full);
2. extract their records once (persisted), normalize per dataset, MERGE into silver;
3. rebuild the gold rows of exactly the (person, day)s those records touched;
4. write quarantine rows, then mark the objects processed. A crash before step 4 means the
   objects are read again next time, and the MERGEs make that harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from biolake.delta_tables import ETL_OBJECTS, lake_table_rows, pending_objects
from biolake.lake import GOLD, OPS, SILVER, Lake
from biolake.sources import APPLE_HEALTH, OURA_API, OURA_EXPORT, PELOTON_API, PELOTON_CSV
from spark_jobs import delta_io
from spark_jobs.bronze_reader import RECORD_SCHEMA, extract_records
from spark_jobs.gold.daily import KEYS, daily_readiness_performance
from spark_jobs.silver.apple_health import (
    APPLE_TABLES,
    APPLE_WORKOUTS_DATASET,
    normalize_apple_health,
    normalize_apple_workouts,
)
from spark_jobs.silver.oura import OURA_TABLES, normalize_oura
from spark_jobs.silver.peloton_api import normalize_peloton_api
from spark_jobs.silver.peloton_csv import normalize_peloton_csv
from spark_jobs.validation import QUARANTINE_COLUMNS, PayloadSpec, parse_payloads

QUARANTINE = "quarantine"
GOLD_DAILY = "daily_readiness_performance"
WORKOUTS = "workouts"
WORKOUT_KEYS = ["person_id", "workout_id"]
SILVER_TABLES_AT_ONCE = 3
# the silver tables gold is computed from (`daily_readiness_performance`'s arguments): only
# their rows decide which gold days change
GOLD_INPUTS = ("oura_daily_readiness", "oura_daily_sleep", "oura_sleep", "oura_daily_activity",
               WORKOUTS)


@dataclass
class EtlReport:
    objects_processed: int = 0
    records_read: int = 0
    records_quarantined: int = 0
    gold_days_rebuilt: int = 0
    table_rows: dict[str, int] = field(default_factory=dict)
    # wall seconds per step ("extract", "silver.<table>", "gold", "quarantine", "mark_processed"),
    # for `make bench`; the silver tables are built a few at a time, so their steps overlap
    seconds: dict[str, float] = field(default_factory=dict)
    # Spark jobs per step: at personal scale each job's fixed cost (planning, scheduling, a
    # Delta log read) is most of a step's time, so this says where the time goes
    spark_jobs: dict[str, int] = field(default_factory=dict)
    # told each step's name, seconds and Spark jobs as it finishes (the CLI prints them)
    on_step: Callable[[str, float, int], None] | None = field(default=None, repr=False,
                                                              compare=False)
    spark: SparkSession | None = field(default=None, repr=False, compare=False)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Time a step and count its Spark jobs (a job group per step; job groups are per
        thread, so the silver tables built side by side are counted apart)."""
        context = self.spark.sparkContext if self.spark is not None else None
        group = f"biolake-etl-{step}-{id(self)}"
        if context is not None:
            context.setJobGroup(group, f"biolake etl: {step}")
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            jobs = 0
            if context is not None:
                jobs = len(context.statusTracker().getJobIdsForGroup(group))
                context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            self.seconds[step] = self.seconds.get(step, 0.0) + elapsed
            self.spark_jobs[step] = self.spark_jobs.get(step, 0) + jobs
            if self.on_step is not None:
                self.on_step(step, elapsed, jobs)


@dataclass(frozen=True)
class _SilverTarget:
    """One silver table fed by some (source, dataset) pairs through one normalizer."""

    table: str
    keys: list[str]
    selects: list[tuple[str, str | None]]  # (source, dataset or None for any dataset)
    normalize: object  # Callable[[DataFrame], tuple[DataFrame, DataFrame]]


def _silver_targets() -> list[_SilverTarget]:
    targets = [
        _SilverTarget(
            t.table, list(t.keys), [(OURA_API, t.endpoint), (OURA_EXPORT, t.endpoint)],
            lambda records, t=t: normalize_oura(records, t),
        )
        for t in OURA_TABLES
    ]
    targets.append(
        _SilverTarget(
            WORKOUTS, WORKOUT_KEYS,
            [(PELOTON_CSV, None), (PELOTON_API, None), (APPLE_HEALTH, APPLE_WORKOUTS_DATASET)],
            normalize_workouts,
        )
    )
    targets += [
        _SilverTarget(
            apple.table, list(apple.keys), [(APPLE_HEALTH, d) for d in apple.datasets],
            lambda records, a=apple: normalize_apple_health(records, a),
        )
        for apple in APPLE_TABLES
    ]
    return targets


def normalize_workouts(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Silver `workouts` is fed by the Peloton CSV, the Peloton API (same session, same
    `workout_id`: see peloton_api_normalizer) and by Apple Health workouts."""
    peloton, peloton_rejected = normalize_peloton_csv(records.filter(F.col("_source") == PELOTON_CSV))
    api, api_rejected = normalize_peloton_api(records.filter(F.col("_source") == PELOTON_API))
    apple, apple_rejected = normalize_apple_workouts(records.filter(F.col("_source") == APPLE_HEALTH))
    return (
        peloton.unionByName(api.select(*peloton.columns)).unionByName(apple.select(*peloton.columns)),
        peloton_rejected.unionByName(api_rejected).unionByName(apple_rejected),
    )


def _selected(selects: list[tuple[str, str | None]]) -> Column:
    condition = F.lit(False)
    for source, dataset in selects:
        clause = F.col("_source") == source
        if dataset is not None:
            clause = clause & (F.col("_dataset") == dataset)
        condition = condition | clause
    return condition


def _select(records: DataFrame, selects: list[tuple[str, str | None]]) -> DataFrame:
    return records.filter(_selected(selects))


def _unrouted(records: DataFrame, targets: list[_SilverTarget]) -> DataFrame:
    """Records no silver table reads (e.g. an Apple Health record without a type): quarantined
    with their extraction error, never dropped in silence."""
    routed = _selected([select for target in targets for select in target.selects])
    return records.filter(~routed).select(
        *[c for c in QUARANTINE_COLUMNS if c != "reason"],
        F.coalesce("_error", F.concat(F.lit("no silver table reads dataset '"), "_dataset", F.lit("'")))
        .alias("reason"),
    )


def _silver_or_empty(spark: SparkSession, lake: Lake, target: _SilverTarget) -> DataFrame:
    table = delta_io.read_table(spark, lake.spark_table_uri(SILVER, target.table))
    if table is not None:
        return table
    empty = spark.createDataFrame([], RECORD_SCHEMA)
    return target.normalize(empty)[0]  # type: ignore[operator]


def _empty_quarantine(spark: SparkSession) -> DataFrame:
    """A quarantine table exists from the first run on, so readers never miss it."""
    empty = spark.createDataFrame([], RECORD_SCHEMA)
    return parse_payloads(empty, PayloadSpec("x STRING"))[1]


def _reset(lake: Lake) -> None:
    """--full: drop everything derived from bronze (bronze and the ingestion log stay). The
    processed marks go first: a crash part way leaves the objects unmarked (or, during their
    own removal, an earlier version of the marks) with the tables they stand for still there,
    each table whole at some version (`Lake.delete_delta_table`). The next run then builds
    those objects again by MERGE, which is harmless."""
    tables = [f"{OPS}/{ETL_OBJECTS}"]
    tables += [f"{layer}/{name}" for layer in (SILVER, GOLD) for name in lake.list_dirs(layer)]
    tables.append(f"{OPS}/{QUARANTINE}")
    for table in tables:
        lake.delete_delta_table(table)
    for prefix in (SILVER, GOLD):  # anything else a crashed run left there
        lake.delete_prefix(prefix)


def run_etl(spark: SparkSession, lake: Lake, *, full: bool = False,
            on_step: Callable[[str, float, int], None] | None = None) -> EtlReport:
    """Build silver and gold from the bronze objects the ingestion log lists and the ETL has
    not processed yet (all of them with `full`), then mark them processed.

    Args:
        spark: a Delta-enabled session (`spark_jobs.session.build_spark_session`).
        lake: the lake to read bronze from and write silver, gold and _ops to.
        full: drop silver, gold and the processed marks first and rebuild from all of bronze.
        on_step: called with each step's name, seconds and Spark jobs as it finishes (progress
            output).

    Returns:
        What was read, quarantined and rebuilt, each table's row count and the step timings.

    Raises:
        pyspark.errors.PySparkException, py4j.protocol.Py4JJavaError: Spark or Delta failed; the
            processed marks are written last, so a rerun redoes the interrupted work.
    """
    report = EtlReport(on_step=on_step, spark=spark)
    with report.timed("find_objects"):
        if full:
            _reset(lake)
        # a few thousand rows at most, read with delta-rs: Spark would load two Delta tables
        # and join them to find the same
        pending = pending_objects(lake)
        report.objects_processed = pending.num_rows
        if report.objects_processed == 0:
            report.table_rows = table_row_counts(spark, lake)
            return report
        objects = spark.createDataFrame(pending).persist(StorageLevel.MEMORY_AND_DISK)

    with report.timed("extract"):
        records = extract_records(objects, lake.config).persist(StorageLevel.MEMORY_AND_DISK)
        present = {
            (row["_source"], row["_dataset"]): row["count"]
            for row in records.groupBy("_source", "_dataset").count().collect()
        }
    report.records_read = sum(present.values())

    targets = _silver_targets()
    present_targets = [
        target for target in targets
        if any((s, d) in present or (d is None and any(k[0] == s for k in present))
               for s, d in target.selects)
    ]

    def build_silver(target: _SilverTarget) -> tuple[DataFrame | None, DataFrame | None]:
        """MERGE one silver table; (its touched days or None, its rejected rows or None)."""
        with report.timed(f"{SILVER}.{target.table}"):
            silver, rejected = target.normalize(_select(records, target.selects))  # type: ignore[operator]
            feeds_gold = target.table in GOLD_INPUTS
            if feeds_gold:
                # a day's rows are few: kept from the write for gold's list of days, which would
                # otherwise plan and run this table's whole parse again inside gold's job. The
                # others are not persisted: a second copy of 8 million heart-rate rows costs
                # more than it saves (Delta's MERGE materialises its source itself)
                silver = silver.persist(StorageLevel.MEMORY_AND_DISK)
            delta_io.upsert(spark, silver, lake.spark_table_uri(SILVER, target.table), target.keys)
            rejected = rejected.persist(StorageLevel.MEMORY_AND_DISK)
            # counted here, so the quarantine write unions only the tables that rejected rows
            return (silver.select(*KEYS) if feeds_gold else None,
                    rejected if rejected.count() else None)

    # The silver tables are independent: built a few at a time, one table's planning, code
    # generation and Delta commit overlap another's Spark tasks (most tables are too small to
    # keep both cores busy on their own). The step timings then overlap too.
    with ThreadPoolExecutor(max_workers=SILVER_TABLES_AT_ONCE) as pool:
        built = list(pool.map(build_silver, present_targets))
    touched_days = [days for days, _ in built if days is not None]
    rejected_parts = [rejected for _, rejected in built if rejected is not None]

    with report.timed("quarantine"):
        unrouted = _unrouted(records, targets).persist(StorageLevel.MEMORY_AND_DISK)
        if unrouted.count():
            rejected_parts.append(unrouted)

    with report.timed(GOLD):
        report.gold_days_rebuilt = _rebuild_gold(spark, lake, targets, touched_days)

    with report.timed("quarantine"):
        _write_quarantine(spark, lake, rejected_parts, report)
    with report.timed("mark_processed"):
        _mark_processed(spark, lake, objects, records)
    spark.catalog.clearCache()
    report.table_rows = table_row_counts(spark, lake)
    return report


def _write_quarantine(
    spark: SparkSession, lake: Lake, rejected_parts: list[DataFrame], report: EtlReport
) -> None:
    if rejected_parts or not lake.exists(f"{OPS}/{QUARANTINE}/_delta_log"):
        rejected_parts = rejected_parts or [_empty_quarantine(spark)]
        quarantine = rejected_parts[0]
        for part in rejected_parts[1:]:
            quarantine = quarantine.unionByName(part)
        quarantine = quarantine.withColumn("quarantined_at", F.lit(datetime.now(UTC)))
        quarantine = quarantine.persist(StorageLevel.MEMORY_AND_DISK)
        report.records_quarantined = quarantine.count()
        delta_io.insert_new(
            spark, quarantine, lake.spark_table_uri(OPS, QUARANTINE),
            ["_object_key", "_position", "_dataset", "reason"],
        )


def _rebuild_gold(
    spark: SparkSession, lake: Lake, targets: list[_SilverTarget], touched: list[DataFrame]
) -> int:
    if not touched:
        return 0
    days = touched[0]
    for part in touched[1:]:
        days = days.union(part)
    days = days.distinct().persist(StorageLevel.MEMORY_AND_DISK)
    by_table = {t.table: t for t in targets}

    def silver_for(table: str) -> DataFrame:
        return _silver_or_empty(spark, lake, by_table[table]).join(days, KEYS, "left_semi")

    gold = daily_readiness_performance(
        readiness=silver_for("oura_daily_readiness"),
        daily_sleep=silver_for("oura_daily_sleep"),
        sleep_periods=silver_for("oura_sleep"),
        activity=silver_for("oura_daily_activity"),
        workouts=silver_for(WORKOUTS),
    )
    # Delta's MERGE reads its source twice (to find the files it touches, then to write):
    # computed once here, the gold rows' dozen shuffles are not run twice
    gold = gold.persist(StorageLevel.MEMORY_AND_DISK)
    delta_io.merge_replace(spark, gold, lake.spark_table_uri(GOLD, GOLD_DAILY), KEYS)
    return days.count()


def _mark_processed(spark: SparkSession, lake: Lake, objects: DataFrame, records: DataFrame) -> None:
    counts = records.groupBy(F.col("_object_key").alias("object_key")).agg(
        F.count("*").alias("record_count"),
        F.sum(F.col("_error").isNotNull().cast("long")).alias("extraction_errors"),
    )
    done = (
        objects.join(counts, "object_key", "left")
        .select(
            "object_key", "person_id", "source", "dataset",
            F.coalesce("record_count", F.lit(0)).alias("record_count"),
            F.coalesce("extraction_errors", F.lit(0)).alias("extraction_errors"),
            F.lit(datetime.now(UTC)).alias("processed_at"),
        )
    )
    # appended, not merged: these objects were found missing from the table at the start, and
    # one ETL at a time writes a lake (the ETL lease)
    delta_io.append(done, lake.spark_table_uri(OPS, ETL_OBJECTS))


def table_row_counts(spark: SparkSession, lake: Lake) -> dict[str, int]:
    """Rows per table, from the Delta logs' file statistics (no data file is read)."""
    return lake_table_rows(lake)
