"""Light, JVM-free access to the lake's Delta tables with delta-rs (`deltalake`).

Used where starting Spark would be absurd: listing tables, counting rows, and reading them into
Arrow for the embedded DuckDB engine. All writing of silver and gold stays in spark_jobs.

`retry_commit` runs an idempotent delta-rs write again when another writer committed first
(docs/WRITERS.md): delta-rs rebases a blind append on its own, but a MERGE or OPTIMIZE that
read files another commit added or removed fails with `CommitFailedError` and must be re-run
from a fresh snapshot.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from biolake.errors import CommitConflictError
from biolake.lake import GOLD, OPS, SILVER, Lake

INGESTION_LOG = "ingestion_log"  # _ops/ingestion_log: one row per bronze object (ingest)
ETL_OBJECTS = "etl_objects"  # _ops/etl_objects: the objects the ETL has built (Spark)

T = TypeVar("T")

# 16 ingests started at once on one lake all landed within 7 attempts on a folder lake and 8
# on SeaweedFS (docs/WRITERS.md); 30 attempts with sleeps of up to 2 s give a bigger storm
# about half a minute to pass
COMMIT_ATTEMPTS = 30
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 2.0


def retry_commit(
    operation: Callable[[], T],
    *,
    what: str,
    attempts: int = COMMIT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `operation` (which must open the table itself, so each try sees the latest
    snapshot) until it commits; after a `CommitFailedError` wait a random time up to
    min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**try) ("full jitter") and try again.

    Args:
        operation: the whole read-and-write, idempotent (a MERGE on a key, a compaction).
        what: the table, for the error, e.g. "the ingestion log (s3://b/lake/_ops/ingestion_log)".
        attempts: tries in all, at least 1.

    Raises:
        CommitConflictError: every try lost to another writer; one line saying what to do.
    """
    rng = rng or random.Random()
    for attempt in range(max(1, attempts)):
        try:
            return operation()
        except CommitFailedError as exc:
            if attempt + 1 >= attempts:
                raise CommitConflictError(
                    f"{what}: other writers committed first {attempts} times in a row "
                    f"({str(exc).splitlines()[0]}); nothing was lost and the operation is "
                    "idempotent: run the same command again, or fewer at once"
                ) from exc
            sleep(rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
    raise AssertionError("unreachable")


def list_tables(lake: Lake, layer: str) -> list[str]:
    """Delta tables directly under a layer (folders holding a _delta_log)."""
    return [name for name in lake.list_dirs(layer) if lake.exists(f"{layer}/{name}/_delta_log")]


def open_table(lake: Lake, layer: str, name: str) -> DeltaTable:
    return DeltaTable(lake.table_uri(layer, name), storage_options=lake.delta_storage_options())


def read_arrow(lake: Lake, layer: str, name: str) -> pa.Table:
    """A whole table's current rows, typed as its Delta schema (see `read_columns` for why not
    `to_pyarrow_table`)."""
    return read_columns(open_table(lake, layer, name))


def read_columns(table: DeltaTable, columns: list[str] | None = None) -> pa.Table:
    """The table's current rows (only `columns`, if given), typed as its Delta schema.

    Read through delta-rs' own query engine rather than `to_pyarrow_table`: a short-lived
    process that scanned with pyarrow's dataset reader over delta-rs' file system sometimes
    aborts as it exits ("terminate called without an active exception", apache/arrow#34314),
    which turned a finished `biolake ingest` into exit code -6. The `_ops` tables every command
    reads are small, so the engine costs nothing that shows."""
    from deltalake import QueryBuilder

    schema = pa.schema(table.schema().to_arrow())
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    select = ", ".join('"' + name.replace('"', '""') + '"' for name in schema.names)
    batches = QueryBuilder().register("t", table).execute(f"SELECT {select} FROM t").read_all()
    return pa.table(batches).select(schema.names).cast(schema)


def row_count(lake: Lake, layer: str, name: str) -> int:
    """Rows of the current snapshot from the log's per-file statistics; no data file is read."""
    actions = pa.table(open_table(lake, layer, name).get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return 0
    counts = actions.column("num_records")
    if counts.null_count:  # a file written without statistics: count it the slow way
        return read_arrow(lake, layer, name).num_rows
    return int(pa.compute.sum(counts).as_py())


def lake_table_rows(lake: Lake) -> dict[str, int]:
    """Rows per table of silver, gold and _ops (`layer.name`), from the Delta logs' file
    statistics: no data file is read and no JVM is started."""
    return {
        f"{layer}.{name}": row_count(lake, layer, name)
        for layer in (SILVER, GOLD, OPS)
        for name in list_tables(lake, layer)
    }


PENDING_COLUMNS = ["object_key", "person_id", "source", "dataset", "finished_at", "status"]


def pending_objects(lake: Lake) -> pa.Table:
    """The objects the ingestion log lists as ingested that the ETL has not processed yet
    (`_ops/etl_objects`): object_key, person_id, source, dataset and ingested_at (the log's
    finished_at). Read with delta-rs: a few thousand rows at most, which Spark would spend
    two table loads and a join on. No ingestion log yet: no rows."""
    schema = pa.schema([("object_key", pa.string()), ("person_id", pa.string()),
                        ("source", pa.string()), ("dataset", pa.string()),
                        ("ingested_at", pa.timestamp("us", tz="UTC"))])
    if not lake.exists(f"{OPS}/{INGESTION_LOG}/_delta_log"):
        return schema.empty_table()
    log = read_columns(open_table(lake, OPS, INGESTION_LOG), PENDING_COLUMNS)
    log = log.filter(pa.compute.equal(log.column("status"), "ingested"))
    if log.num_rows and lake.exists(f"{OPS}/{ETL_OBJECTS}/_delta_log"):
        processed = read_columns(open_table(lake, OPS, ETL_OBJECTS), ["object_key"])
        done = pa.compute.is_in(log.column("object_key"), value_set=processed.column("object_key"))
        log = log.filter(pa.compute.invert(done))
    return pa.table([log.column(c) for c in PENDING_COLUMNS[:5]], schema=schema)


def unprocessed_object_count(lake: Lake) -> int:
    """How many objects the ETL has still to build (`pending_objects`): whether `biolake etl`
    has anything to do is known without starting Spark."""
    return pending_objects(lake).num_rows
