"""Bronze objects → one row per raw record, read inside Spark tasks by the source's extractor.

Each task opens its objects straight from the lake and streams their records out in Arrow
batches, so a multi-gigabyte Apple Health export never sits in memory and several objects are
read in parallel. Payloads stay JSON text here; the per-source normalizers type them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from biolake.errors import InputFormatError
from biolake.lake import Lake, LakeConfig

OBJECT_COLUMNS = ["object_key", "person_id", "source", "dataset", "ingested_at"]

RECORD_SCHEMA = StructType(
    [
        StructField("_object_key", StringType(), False),
        StructField("person_id", StringType(), False),
        StructField("_source", StringType(), False),
        StructField("_dataset", StringType(), False),
        StructField("_ingested_at", TimestampType(), False),
        StructField("_record_index", LongType(), False),
        StructField("_position", StringType(), False),
        StructField("_payload", StringType(), True),
        StructField("_error", StringType(), True),
    ]
)
_ARROW_SCHEMA = pa.schema(
    [
        ("_object_key", pa.string()),
        ("person_id", pa.string()),
        ("_source", pa.string()),
        ("_dataset", pa.string()),
        ("_ingested_at", pa.timestamp("us", tz="UTC")),
        ("_record_index", pa.int64()),
        ("_position", pa.string()),
        ("_payload", pa.string()),
        ("_error", pa.string()),
    ]
)
BATCH_ROWS = 20_000


class _ObjectBatches:
    """The records of one object as Arrow batches, built column by column: the object's own
    columns are repeated per batch, only position/payload/error/dataset vary per record (a
    row-dict per record and `from_pylist` cost three times as much)."""

    def __init__(self, obj: dict) -> None:
        self.obj = obj
        self.datasets: list[str] = []
        self.positions: list[str] = []
        self.payloads: list[str | None] = []
        self.errors: list[str | None] = []
        self.first_index = 0

    def add(self, dataset: str, position: str, payload: str | None, error: str | None) -> None:
        self.datasets.append(dataset)
        self.positions.append(position)
        self.payloads.append(payload)
        self.errors.append(error)

    def __len__(self) -> int:
        return len(self.positions)

    def flush(self) -> pa.RecordBatch:
        n = len(self.positions)
        obj = self.obj
        batch = pa.RecordBatch.from_arrays(
            [
                pa.array([obj["object_key"]] * n, pa.string()),
                pa.array([obj["person_id"]] * n, pa.string()),
                pa.array([obj["source"]] * n, pa.string()),
                pa.array(self.datasets, pa.string()),
                pa.array([obj["ingested_at"]] * n, pa.timestamp("us", tz="UTC")),
                pa.array(range(self.first_index, self.first_index + n), pa.int64()),
                pa.array(self.positions, pa.string()),
                pa.array(self.payloads, pa.string()),
                pa.array(self.errors, pa.string()),
            ],
            schema=_ARROW_SCHEMA,
        )
        self.first_index += n
        self.datasets, self.positions, self.payloads, self.errors = [], [], [], []
        return batch


def _object_batches(lake: Lake, obj: dict) -> Iterator[pa.RecordBatch]:
    """Every record of one object (see RECORD_SCHEMA); a file-level failure becomes one error row."""
    from ingest_workers.extractors import extractor_for

    extractor = extractor_for(obj["source"], obj["dataset"])
    batches = _ObjectBatches(obj)
    try:
        with lake.open(obj["object_key"]) as stream:
            for record in extractor(stream, obj["object_key"]):
                batches.add(
                    record.dataset or obj["dataset"],
                    record.position,
                    None if record.payload is None else _payload_json(record.payload),
                    record.error,
                )
                if len(batches) >= BATCH_ROWS:
                    yield batches.flush()
    except InputFormatError as exc:  # the object changed since ingest validated it
        batches.add(obj["dataset"], exc.position or "file", None, exc.reason)
    if len(batches):
        yield batches.flush()


def _payload_json(payload: Any) -> str:
    """A record's payload as compact JSON text (orjson: a tenth of `json.dumps`' time); values
    orjson refuses (integers beyond 64 bits) fall back to the standard library."""
    try:
        return orjson.dumps(payload).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(payload, separators=(",", ":"))


def extract_records(objects: DataFrame, lake_config: LakeConfig) -> DataFrame:
    """One row per record of every object in `objects` (see RECORD_SCHEMA)."""

    def read_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lake = Lake(lake_config)
        for batch in batches:
            for obj in batch.to_pylist():
                yield from _object_batches(lake, obj)

    # spread the objects over partitions so several files are read in parallel
    count = max(1, objects.count())
    return objects.select(*OBJECT_COLUMNS).repartition(min(count, 64)).mapInArrow(
        read_batches, RECORD_SCHEMA
    )
