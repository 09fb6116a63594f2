"""Parse JSON payloads against an explicit schema and split valid rows from rejected ones.

A rejected row keeps its raw payload, its file and position, and the first reason it failed;
it goes to `_ops/quarantine`, never silently away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    MapType,
    StringType,
    StructField,
    StructType,
    _parse_datatype_string,
)

LINEAGE = ["person_id", "_source", "_object_key", "_ingested_at", "_record_index"]
QUARANTINE_COLUMNS = [
    "person_id", "_source", "_dataset", "_object_key", "_position", "_payload", "_ingested_at",
    "reason",
]


@dataclass(frozen=True)
class Check:
    """`condition` must hold (NULL counts as holding); otherwise the row fails with `reason`.

    A condition is SQL over the parsed payload `p`, or a function returning a Column where SQL
    string escaping would get in the way (regular expressions); a function because Columns can
    only be built once a SparkSession exists.
    """

    condition: str | Callable[[], Column]
    reason: str

    def column(self) -> Column:
        return F.expr(self.condition) if isinstance(self.condition, str) else self.condition()


@dataclass(frozen=True)
class PayloadSpec:
    """How to read one dataset's payloads: schema, required fields, extra checks."""

    ddl: str
    required: tuple[str, ...] = ()
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def schema(self) -> StructType:
        schema = _parse_datatype_string(self.ddl)
        assert isinstance(schema, StructType)
        return schema


def _scalar_fields(schema: StructType) -> list[str]:
    """Fields whose JSON value must have a particular type (any JSON scalar reads as a string,
    so string and nested fields need no type check)."""
    return [f.name for f in schema.fields
            if not isinstance(f.dataType, StructType | ArrayType | MapType | StringType)]


def _type_checks(schema: StructType) -> list[Check]:
    """A scalar that is present in the JSON (`raw`, the payload read as text) but did not parse
    into its type (`p`) has the wrong type."""
    return [
        Check(f"raw.`{name}` IS NULL OR p.`{name}` IS NOT NULL",
              f"field '{name}' is not a {schema[name].dataType.simpleString()}")
        for name in _scalar_fields(schema)
    ]


def parse_payloads(records: DataFrame, spec: PayloadSpec) -> tuple[DataFrame, DataFrame]:
    """(rows with the parsed struct `p`, quarantine rows). Extraction errors are quarantined too.

    Each payload is parsed once into `p` and, when some field needs a type check, once more as
    text (`raw`): the checks then read those two columns.
    """
    schema = spec.schema
    typed_fields = _scalar_fields(schema)
    parsed = records.withColumn("p", F.from_json("_payload", schema))
    if typed_fields:
        raw = StructType([StructField(name, StringType()) for name in typed_fields])
        parsed = parsed.withColumn("raw", F.from_json("_payload", raw))
    checks = [
        *[Check(f"p.`{name}` IS NOT NULL", f"missing required field '{name}'") for name in spec.required],
        *_type_checks(schema),
        *spec.checks,
    ]
    failures = [F.when(~F.coalesce(c.column(), F.lit(True)), F.lit(c.reason)) for c in checks]
    reason = F.coalesce(*failures) if failures else F.lit(None).cast("string")
    # an extraction error is the reason itself (its payload is NULL, so no check would say why)
    reason = F.when(F.col("_error").isNotNull(), F.col("_error")).otherwise(reason)
    # The optimizer pushes a filter below the projection that defines its columns, pasting
    # `p`'s from_json into every check: each payload parsed a dozen times (7.6 s instead of
    # 2.6 s for 800k heart-rate samples). A non-deterministic column in the projection stops
    # that push.
    # (The column must still be used above the filter, or pruning removes it first.)
    tagged = parsed.withColumn("reason", reason).withColumn("_partition", F.spark_partition_id())
    valid = tagged.filter(F.col("reason").isNull() & (F.col("_partition") >= 0))
    valid = valid.drop("reason", "raw", "_partition")
    rejected = tagged.filter(F.col("reason").isNotNull() & (F.col("_partition") >= 0))
    rejected = rejected.select(*QUARANTINE_COLUMNS)
    return valid, rejected


def utc_timestamp(column: Column) -> Column:
    """ISO 8601 with offset ('2024-11-11T09:07:00+02:00') → TIMESTAMP (UTC session)."""
    return F.to_timestamp(column)


def utc_offset(column: Column) -> Column:
    """The offset the source printed ('+02:00'); kept because local time is not recoverable otherwise."""
    return F.nullif(F.regexp_extract(column, r"([+-]\d{2}:?\d{2}|Z)$", 1), F.lit(""))
