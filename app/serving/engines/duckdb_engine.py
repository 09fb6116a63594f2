"""The embedded serving engine: DuckDB over the lake's Delta tables.

Tables are read with delta-rs into Arrow (DuckDB's own Delta extension would be downloaded at
run time, which a closed machine cannot do) and exposed as `lake.<table>`; the nine gold views
are created as `gold.<view>` from the same Trino SQL files Trino uses, transpiled by sqlglot.
Queries are checked read-only and run with DuckDB's file and network access switched off, each
on its own cursor (no session waits for another's query), interrupted after the statement
timeout (BIOLAKE_QUERY_TIMEOUT_S).
"""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa
import sqlglot

from app.serving.engines.base import DEFAULT_TIMEOUT_S, QueryResult, jsonable, timeout_message
from app.serving.gold_views import GOLD_SCHEMA, LAKE_SCHEMA, load_views
from app.serving.sql_guard import DIALECT, check_read_only
from biolake.delta_tables import list_tables, read_arrow
from biolake.errors import QueryError, QueryTimeoutError
from biolake.lake import GOLD, OPS, SILVER, Lake

SERVED_LAYERS = (GOLD, SILVER, OPS)
SEARCH_PATH = f"SET search_path = '{GOLD_SCHEMA},{LAKE_SCHEMA}'"


def to_duckdb(trino_sql: str) -> str:
    return sqlglot.transpile(trino_sql, read=DIALECT, write="duckdb")[0]


class DuckDBEngine:
    """The embedded engine: the lake's Delta tables in an in-memory DuckDB, the nine gold views
    transpiled from their Trino SQL.

    Args:
        lake: the lake whose silver, gold and _ops tables are read (delta-rs into Arrow).
        timeout_s: a query still running after this many seconds is interrupted.
    """

    name = "duckdb"

    def __init__(self, lake: Lake, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._connection = duckdb.connect(":memory:")
        self.timeout_s = timeout_s
        # each query runs on a cursor of its own (a connection to the same database), so the
        # dashboard's sessions never queue behind one another; the Arrow tables are registered
        # on every cursor (a registration is local to its connection, and costs no copy)
        self._arrow: dict[str, pa.Table] = {}
        self._cursor_lock = threading.Lock()  # only around creating a cursor
        self._tables: list[str] = []
        self._views: list[str] = []
        self._connection.execute(f"CREATE SCHEMA {LAKE_SCHEMA}")
        self._connection.execute(f"CREATE SCHEMA {GOLD_SCHEMA}")
        for layer in SERVED_LAYERS:
            for name in list_tables(lake, layer):
                if name in self._tables:
                    continue
                arrow_name = f"__arrow_{layer.strip('_')}_{name}"
                self._arrow[arrow_name] = read_arrow(lake, layer, name)
                self._connection.register(arrow_name, self._arrow[arrow_name])
                self._connection.execute(
                    f'CREATE VIEW {LAKE_SCHEMA}."{name}" AS SELECT * FROM "{arrow_name}"'
                )
                self._tables.append(name)
        if "daily_readiness_performance" in self._tables:
            for view in load_views():
                self._connection.execute(
                    f'CREATE VIEW {GOLD_SCHEMA}."{view.name}" AS {to_duckdb(view.sql)}'
                )
                self._views.append(view.name)
        # unqualified names find the gold views first, then the lake's tables
        self._connection.execute(SEARCH_PATH)
        # from here on: no file, extension or network access from SQL, and no way back (both
        # settings are the database's, so they hold on every cursor too)
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cursor_lock:
            cursor = self._connection.cursor()
        for name, table in self._arrow.items():
            cursor.register(name, table)
        cursor.execute(SEARCH_PATH)  # the search path is per connection
        return cursor

    def _run(self, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """Run on a fresh cursor, interrupted by a timer after `timeout_s`.

        Raises:
            QueryTimeoutError: it ran longer than `timeout_s` and was interrupted.
            QueryError: DuckDB could not run it.
        """
        cursor = self._cursor()
        timed_out = threading.Event()

        def interrupt() -> None:
            timed_out.set()
            cursor.interrupt()

        timer = threading.Timer(self.timeout_s, interrupt)
        timer.daemon = True
        timer.start()
        try:
            result = cursor.execute(sql, params) if params else cursor.execute(sql)
            columns = [d[0] for d in result.description]
            return columns, result.fetchall()
        except duckdb.Error as exc:
            if timed_out.is_set():
                raise QueryTimeoutError(timeout_message(self.name, self.timeout_s)) from exc
            raise QueryError(f"DuckDB could not run the query: {exc}") from exc
        finally:
            timer.cancel()
            cursor.close()

    def relations(self) -> set[str]:
        names = {f"{LAKE_SCHEMA}.{t}" for t in self._tables}
        names |= {f"{GOLD_SCHEMA}.{v}" for v in self._views}
        return names | set(self._tables) | set(self._views)

    def columns(self) -> list[tuple[str, str, str, str]]:
        _, rows = self._run(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema IN (?, ?) "
            "ORDER BY table_schema, table_name, ordinal_position", [GOLD_SCHEMA, LAKE_SCHEMA],
        )
        return [(str(s), str(t), str(c), str(d)) for s, t, c, d in rows]

    def query(self, sql: str) -> QueryResult:
        """Run one read-only SELECT (Trino SQL) and return every row.

        Raises:
            ReadOnlyViolation: the SQL is not one SELECT over the served relations.
            QueryTimeoutError: it ran longer than `timeout_s` (interrupted).
            QueryError: DuckDB could not run it.
        """
        parsed = check_read_only(sql, self.relations())
        executed = parsed.sql(dialect="duckdb")
        columns, fetched = self._run(executed)
        rows = [[jsonable(v) for v in row] for row in fetched]
        return QueryResult(columns, rows, sql, executed, self.name)
