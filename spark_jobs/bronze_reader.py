"""Bronze objects → one row per raw record, read inside Spark tasks by the source's extractor.

Each task opens its objects straight from the lake and streams their records out in Arrow
batches, so a multi-gigabyte Apple Health export never sits in memory and several objects are
read in parallel. Payloads stay JSON text here; the per-source normalizers type them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
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


def pending_objects(ingestion_log: DataFrame, processed: DataFrame | None) -> DataFrame:
    """Objects logged as ingested that the ETL has not processed yet."""
    objects = ingestion_log.filter(F.col("status") == "ingested").select(
        "object_key", "person_id", "source", "dataset", F.col("finished_at").alias("ingested_at")
    )
    if processed is None:
        return objects
    return objects.join(processed.select("object_key"), "object_key", "left_anti")


def _records_of_object(lake: Lake, obj: dict) -> Iterator[dict]:
    """Every record of one object as a row dict; a file-level failure becomes one error row."""
    from ingest_workers.extractors import extractor_for

    extractor = extractor_for(obj["source"], obj["dataset"])
    base = {
        "_object_key": obj["object_key"],
        "person_id": obj["person_id"],
        "_source": obj["source"],
        "_ingested_at": obj["ingested_at"],
    }
    index = 0
    try:
        with lake.open(obj["object_key"]) as stream:
            for record in extractor(stream, obj["object_key"]):
                yield {
                    **base,
                    "_dataset": record.dataset or obj["dataset"],
                    "_record_index": index,
                    "_position": record.position,
                    "_payload": None if record.payload is None else json.dumps(record.payload),
                    "_error": record.error,
                }
                index += 1
    except InputFormatError as exc:  # the object changed since ingest validated it
        yield {**base, "_dataset": obj["dataset"], "_record_index": index,
               "_position": exc.position or "file", "_payload": None, "_error": exc.reason}


def extract_records(objects: DataFrame, lake_config: LakeConfig) -> DataFrame:
    """One row per record of every object in `objects` (see RECORD_SCHEMA)."""

    def read_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lake = Lake(lake_config)
        for batch in batches:
            for obj in batch.to_pylist():
                rows: list[dict] = []
                for row in _records_of_object(lake, obj):
                    rows.append(row)
                    if len(rows) >= BATCH_ROWS:
                        yield pa.RecordBatch.from_pylist(rows, schema=_ARROW_SCHEMA)
                        rows = []
                if rows:
                    yield pa.RecordBatch.from_pylist(rows, schema=_ARROW_SCHEMA)

    # spread the objects over partitions so several files are read in parallel
    count = max(1, objects.count())
    return objects.select(*OBJECT_COLUMNS).repartition(min(count, 64)).mapInArrow(
        read_batches, RECORD_SCHEMA
    )
