"""Parse JSON payloads against an explicit schema and split valid rows from rejected ones.

A rejected row keeps its raw payload, its file and position, and the first reason it failed;
it goes to `_ops/quarantine`, never silently away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, MapType, StringType, StructType, _parse_datatype_string

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


def _type_checks(schema: StructType) -> list[Check]:
    """A scalar that is present in the JSON but did not parse has the wrong type (any JSON
    scalar reads as a string, so string fields need no check)."""
    checks = []
    for f in schema.fields:
        if isinstance(f.dataType, StructType | ArrayType | MapType | StringType):
            continue
        checks.append(
            Check(
                f"get_json_object(_payload, '$.{f.name}') IS NULL OR p.`{f.name}` IS NOT NULL",
                f"field '{f.name}' is not a {f.dataType.simpleString()}",
            )
        )
    return checks


def parse_payloads(records: DataFrame, spec: PayloadSpec) -> tuple[DataFrame, DataFrame]:
    """(rows with the parsed struct `p`, quarantine rows). Extraction errors are quarantined too."""
    parsed = records.withColumn("p", F.from_json("_payload", spec.schema))
    checks = [
        Check("_error IS NULL", "__extraction_error__"),
        *[Check(f"p.`{name}` IS NOT NULL", f"missing required field '{name}'") for name in spec.required],
        *_type_checks(spec.schema),
        *spec.checks,
    ]
    reason = F.coalesce(
        *[
            F.when(~F.coalesce(c.column(), F.lit(True)), F.lit(c.reason))
            for c in checks
        ]
    )
    reason = F.when(reason == "__extraction_error__", F.col("_error")).otherwise(reason)
    tagged = parsed.withColumn("reason", reason)
    valid = tagged.filter(F.col("reason").isNull()).drop("reason")
    rejected = tagged.filter(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)
    return valid, rejected


def utc_timestamp(column: Column) -> Column:
    """ISO 8601 with offset ('2024-11-11T09:07:00+02:00') → TIMESTAMP (UTC session)."""
    return F.to_timestamp(column)


def utc_offset(column: Column) -> Column:
    """The offset the source printed ('+02:00'); kept because local time is not recoverable otherwise."""
    return F.nullif(F.regexp_extract(column, r"([+-]\d{2}:?\d{2}|Z)$", 1), F.lit(""))
