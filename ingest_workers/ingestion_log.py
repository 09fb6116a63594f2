"""The ingestion log: one row per bronze object, kept as the Delta table `_ops/ingestion_log`.

Written with delta-rs (`deltalake`) so ingest workers stay light (no JVM); read by the ETL to find
objects it has not processed yet. Rows are inserted with a MERGE on `object_key`, so logging the
same object twice leaves one row; a row turns from `rejected` to `ingested` when a fixed
parser reads the same bytes again.

`window_start`/`window_end` (nullable; added for the live Oura client) say which local days the
request that returned the object covered; they are set only once every page of that request is
stored, in one commit, so the latest `window_end` of a (person, source, dataset) is its sync
watermark. Tables written before these columns existed gain them on the next write.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from biolake.delta_tables import INGESTION_LOG, read_columns, retry_commit
from biolake.lake import OPS, Lake

# Every object is one commit with one small file: without compaction a year of daily syncs
# leaves thousands of files that every read (each ingest's MERGE, the ETL) goes through.
COMPACT_EVERY_COMMITS = 50

SCHEMA = pa.schema(
    [
        pa.field("object_key", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("original_name", pa.string()),
        pa.field("checksum_sha256", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("record_count", pa.int64()),
        pa.field("error_count", pa.int64()),
        pa.field("status", pa.string(), nullable=False),  # ingested | rejected
        pa.field("error", pa.string()),
        pa.field("started_at", pa.timestamp("us", tz="UTC")),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
        pa.field("window_start", pa.date32()),  # local days the request covered (API sources)
        pa.field("window_end", pa.date32()),
    ]
)


@dataclass(frozen=True)
class IngestionLogEntry:
    object_key: str
    person_id: str
    source: str
    dataset: str
    original_name: str | None
    checksum_sha256: str
    size_bytes: int
    record_count: int
    error_count: int
    status: str
    error: str | None
    started_at: datetime
    finished_at: datetime
    window_start: date | None = None
    window_end: date | None = None


class IngestionLog:
    def __init__(self, lake: Lake) -> None:
        self._lake = lake
        self.uri = lake.table_uri(OPS, INGESTION_LOG)

    def _table(self) -> DeltaTable | None:
        try:
            return DeltaTable(self.uri, storage_options=self._lake.delta_storage_options())
        except TableNotFoundError:
            return None

    def find(self, object_key: str) -> dict | None:
        table = self._table()
        if table is None:
            return None
        import pyarrow.compute as pc

        log = read_columns(table)
        rows = log.filter(pc.equal(log["object_key"].cast(pa.string()), object_key)).to_pylist()
        return rows[0] if rows else None

    def read_all(self) -> pa.Table:
        table = self._table()
        return SCHEMA.empty_table() if table is None else read_columns(table)

    def record(self, entry: IngestionLogEntry) -> None:
        """Log one object (MERGE on `object_key`). Concurrent ingests commit to the same table:
        a MERGE that lost to another writer's commit is re-run on a fresh snapshot
        (`retry_commit`), which the key makes harmless.

        Raises:
            CommitConflictError: it lost on every retry (run the command again).
        """
        batch = pa.Table.from_pylist([asdict(entry)], schema=SCHEMA)

        def merge() -> DeltaTable | None:
            table = self._table()
            if table is None:
                # concurrent creators: delta-rs retries a blind append itself, and the
                # loser's row lands as version 1 (no MERGE needed for a fresh table)
                write_deltalake(
                    self.uri, batch, mode="append", storage_options=self._lake.delta_storage_options()
                )
                return None
            (
                table.merge(
                    batch, predicate="t.object_key = s.object_key", source_alias="s",
                    target_alias="t",
                    merge_schema=True,  # a table from before the window columns gains them
                )
                .when_matched_update_all(predicate="t.status = 'rejected' AND s.status = 'ingested'")
                .when_not_matched_insert_all()
                .execute()
            )
            return table

        table = retry_commit(merge, what=self._what())
        if table is not None:
            self._compact_now_and_then(table)

    def _what(self) -> str:
        return f"the ingestion log ({self.uri})"

    @staticmethod
    def _compact_now_and_then(table: DeltaTable) -> None:
        """Rewrite the small files into one every COMPACT_EVERY_COMMITS commits (delta-rs
        writes a checkpoint every 100 on its own, which bounds the log replay). Best effort:
        a writer racing this one wins, and the next round compacts (a concurrent MERGE that
        read the files compacted away re-runs through `retry_commit`)."""
        if table.version() % COMPACT_EVERY_COMMITS:
            return
        try:
            table.optimize.compact()
        except CommitFailedError:
            pass

    def mark_window(self, object_keys: list[str], window_start: date, window_end: date) -> None:
        """Record that every object of `object_keys` was received for the request covering
        window_start..window_end, in one commit (so a watermark never counts half a window).
        A row keeps the latest window it was seen in.

        Raises:
            CommitConflictError: it lost to other writers on every retry.
        """
        keys = sorted(set(object_keys))
        if not keys:
            return
        marks = pa.table(
            {
                "object_key": pa.array(keys, pa.string()),
                "window_start": pa.array([window_start] * len(keys), pa.date32()),
                "window_end": pa.array([window_end] * len(keys), pa.date32()),
            }
        )

        def merge() -> DeltaTable | None:
            table = self._table()
            if table is None:
                return None
            (
                table.merge(
                    marks, predicate="t.object_key = s.object_key", source_alias="s",
                    target_alias="t", merge_schema=True,
                )
                .when_matched_update(
                    {"window_start": "s.window_start", "window_end": "s.window_end"},
                    predicate="t.window_end IS NULL OR t.window_end < s.window_end",
                )
                .execute()
            )
            return table

        table = retry_commit(merge, what=self._what())
        if table is not None:
            self._compact_now_and_then(table)

    def watermark(self, person_id: str, source: str, dataset: str) -> date | None:
        """The last local day of the latest complete request window, or None (never synced)."""
        log = self.read_all()
        if "window_end" not in log.column_names or log.num_rows == 0:
            return None
        import pyarrow.compute as pc

        mask = pc.and_(
            pc.and_(pc.equal(log["person_id"], person_id), pc.equal(log["source"], source)),
            pc.and_(pc.equal(log["dataset"], dataset), pc.equal(log["status"], "ingested")),
        )
        return pc.max(log.filter(mask)["window_end"]).as_py()
