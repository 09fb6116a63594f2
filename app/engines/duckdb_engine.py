"""The embedded serving engine: DuckDB over the lake's Delta tables.

Tables are read with delta-rs into Arrow (DuckDB's own Delta extension would be downloaded at
run time, which a closed machine cannot do) and registered under their table names. Queries are
written in Trino SQL, checked read-only, transpiled by sqlglot and run with DuckDB's access to
files and the network switched off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot

from app.sql_guard import DIALECT, check_read_only
from biolake.delta_tables import list_tables, read_arrow
from biolake.errors import QueryError
from biolake.lake import GOLD, OPS, SILVER, Lake

SERVED_LAYERS = (GOLD, SILVER, OPS)


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    sql: str
    executed_sql: str
    engine: str

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "sql": self.sql,
                "executed_sql": self.executed_sql, "engine": self.engine}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, lake: Lake) -> None:
        self._lake = lake
        self._tables: dict[str, pa.Table] = {}
        for layer in SERVED_LAYERS:
            for name in list_tables(lake, layer):
                self._tables.setdefault(name, read_arrow(lake, layer, name))
        self._connection = duckdb.connect(":memory:")
        for name, table in self._tables.items():
            self._connection.register(name, table)
        # after registration: no file, extension or network access from SQL
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")

    @property
    def relations(self) -> set[str]:
        return set(self._tables)

    def query(self, sql: str) -> QueryResult:
        parsed = check_read_only(sql, self.relations)
        executed = parsed.sql(dialect="duckdb")
        try:
            cursor = self._connection.execute(executed)
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB could not run the query: {exc}") from exc
        columns = [d[0] for d in cursor.description]
        rows = [[_jsonable(v) for v in row] for row in cursor.fetchall()]
        return QueryResult(columns, rows, sql, executed, self.name)


def transpile_to_duckdb(sql: str) -> str:
    return sqlglot.transpile(sql, read=DIALECT, write="duckdb")[0]
