"""The live schema a translator may use: the serving engine's catalog and the views' docs.

The columns come from the engine that will run the SQL (DuckDB's catalog; Trino's
`information_schema.columns` of the gold and lake schemas), so the prompt shows what exists now,
not what a document says. The lookup runs our own fixed SQL and does not pass the guard; the
SQL a translator writes does, and may only use the gold views and the silver/gold tables: the
operational tables (`_ops`: ingestion log, quarantine) are not for questions.

`version` fingerprints everything the prompt shows, so a cached translation is never reused
across a schema change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from app.serving.engines.base import QueryEngine, QueryResult
from app.serving.gold_views import GOLD_SCHEMA, GoldView, load_views
from biolake.delta_tables import list_tables
from biolake.lake import OPS, Lake

ShareData = Literal["none", "aggregates", "samples"]
CORE = "daily_readiness_performance"


@dataclass(frozen=True)
class LiveSchema:
    columns: tuple[tuple[str, str, str, str], ...]  # (schema, relation, column, type)
    views: tuple[GoldView, ...]
    allowed_relations: frozenset[str]

    @property
    def version(self) -> str:
        material = json.dumps([self.columns, [(v.name, v.sql) for v in self.views]])
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def relations(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, relation, column, data_type in self.columns:
            if relation in self.allowed_relations:
                grouped.setdefault((schema, relation), []).append((column, data_type))
        return grouped

    def describe(self) -> str:
        """The schema section of the prompt: every relation's columns, views with their docs."""
        docs = {v.name: v.documentation for v in self.views}
        parts = []
        for (schema, relation), columns in sorted(
            self.relations().items(), key=lambda kv: (kv[0][0] != GOLD_SCHEMA, kv[0])
        ):
            listing = "\n".join(f"  {name} {data_type}" for name, data_type in columns)
            header = f"{schema}.{relation}"
            if schema == GOLD_SCHEMA and relation in docs:
                parts.append(f"### {header} (gold view)\n{listing}\n{docs[relation]}")
            else:
                parts.append(f"### {header} (lake table)\n{listing}")
        return "\n\n".join(parts)


def load_schema(engine: QueryEngine, lake: Lake) -> LiveSchema:
    operational = set(list_tables(lake, OPS))
    allowed = frozenset(
        name for name in engine.relations() if name.rsplit(".", 1)[-1] not in operational
    )
    return LiveSchema(tuple(engine.columns()), tuple(load_views()), allowed)


def data_context(
    schema: LiveSchema, mode: ShareData, person_id: str, run_query: Callable[[str], QueryResult]
) -> str:
    """What of the data itself the prompt may show: nothing by default.

    `aggregates`: per measure of the core table its count, minimum, maximum and mean, and the
    first and last day; `samples`: the 5 latest rows. Both only when the user opted in."""
    if mode == "none":
        return ""
    columns = schema.relations().get((GOLD_SCHEMA, CORE), [])
    person = exp.column("person_id").eq(exp.Literal.string(person_id))
    if mode == "samples":
        tree = (
            exp.select("*")
            .from_(CORE)
            .where(person)
            .order_by(exp.Ordered(this=exp.column("day"), desc=True))
            .limit(5)
        )
        result = run_query(tree.sql(dialect="trino"))
        rows = "\n".join(
            json.dumps(dict(zip(result.columns, row, strict=True))) for row in result.rows
        )
        return f"The 5 latest rows of {CORE} (shared because the user allowed samples):\n{rows}"
    numeric = [
        name
        for name, data_type in columns
        if data_type.upper().split("(")[0] in ("INTEGER", "BIGINT", "DOUBLE", "REAL", "INT")
    ]
    projections: list[exp.Expression] = [
        exp.alias_(exp.Min(this=exp.column("day")), "first_day"),
        exp.alias_(exp.Max(this=exp.column("day")), "last_day"),
    ]
    for name in numeric:
        column = exp.column(name)
        projections += [
            exp.alias_(exp.Count(this=column), f"{name}__count"),
            exp.alias_(exp.Min(this=column.copy()), f"{name}__min"),
            exp.alias_(exp.Max(this=column.copy()), f"{name}__max"),
            exp.alias_(exp.Avg(this=column.copy()), f"{name}__mean"),
        ]
    result = run_query(exp.select(*projections).from_(CORE).where(person).sql(dialect="trino"))
    summary = dict(zip(result.columns, result.rows[0], strict=True)) if result.rows else {}
    return (
        f"Aggregates of {CORE} (shared because the user allowed aggregates):\n{json.dumps(summary)}"
    )
