"""The ingestion log: one row per bronze object, kept as the Delta table `_ops/ingestion_log`.

Written with delta-rs (`deltalake`) so ingest workers stay light (no JVM); read by the ETL to find
objects it has not processed yet. Rows are inserted with a MERGE on `object_key`, so logging the
same object twice leaves one row; a row turns from `rejected` to `ingested` when a fixed
parser reads the same bytes again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from biolake.lake import OPS, Lake

TABLE = "ingestion_log"

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


class IngestionLog:
    def __init__(self, lake: Lake) -> None:
        self._lake = lake
        self.uri = lake.table_uri(OPS, TABLE)

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

        log = table.to_pyarrow_table()
        rows = log.filter(pc.equal(log["object_key"].cast(pa.string()), object_key)).to_pylist()
        return rows[0] if rows else None

    def read_all(self) -> pa.Table:
        table = self._table()
        return SCHEMA.empty_table() if table is None else table.to_pyarrow_table()

    def record(self, entry: IngestionLogEntry) -> None:
        batch = pa.Table.from_pylist([asdict(entry)], schema=SCHEMA)
        table = self._table()
        if table is None:
            write_deltalake(
                self.uri, batch, mode="append", storage_options=self._lake.delta_storage_options()
            )
            return
        (
            table.merge(batch, predicate="t.object_key = s.object_key", source_alias="s", target_alias="t")
            .when_matched_update_all(predicate="t.status = 'rejected' AND s.status = 'ingested'")
            .when_not_matched_insert_all()
            .execute()
        )
