"""Trino as the serving engine: read-only queries as the `analyst` user.

Trino itself refuses the analyst anything but reading (trino/etc/rules.json); the SQL guard
refuses it before the query leaves this process, so a refused query never reaches the server.
"""

from __future__ import annotations

from urllib.parse import urlparse

import requests
import trino

from app.serving.engines.base import DEFAULT_TIMEOUT_S, QueryResult, jsonable, timeout_message
from app.serving.gold_views import GOLD_SCHEMA, LAKE_SCHEMA
from app.serving.sql_guard import DIALECT, check_read_only
from biolake.errors import QueryError, QueryTimeoutError

CLIENT_GRACE_S = 5.0  # the server's limit answers first; the client's is for a silent server


def connect(url: str, user: str, catalog: str, schema: str | None = None,
            timeout_s: float | None = None) -> trino.dbapi.Connection:
    """A connection; with `timeout_s`, Trino itself fails a query after that much execution
    time (session property `query_max_execution_time`, which can only lower the server's
    `query.max-execution-time`), and the client gives up on a request that gets no answer
    for a little longer (its `request_timeout`, per HTTP request)."""
    parsed = urlparse(url)
    limits: dict = {}
    if timeout_s is not None:
        limits = {"session_properties": {"query_max_execution_time": f"{max(1, round(timeout_s))}s"},
                  "request_timeout": timeout_s + CLIENT_GRACE_S}
    return trino.dbapi.connect(
        host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 8080),
        http_scheme=parsed.scheme or "http", user=user, catalog=catalog, schema=schema,
        source="biolake", **limits,
    )


class TrinoEngine:
    """Trino as the serving engine: queries as the read-only analyst user.

    Args:
        url: the coordinator, e.g. http://trino:8080.
        user: the Trino user (the analyst; Trino's rules.json refuses it anything but reading).
        catalog: the Delta Lake catalog holding `lake.*` and `gold.*`.
    """

    name = "trino"

    def __init__(self, url: str, user: str = "analyst", catalog: str = "lakehouse",
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._catalog = catalog
        self._url = url
        self.timeout_s = timeout_s
        self._connection = connect(url, user, catalog, GOLD_SCHEMA, timeout_s=timeout_s)
        self._relations: set[str] | None = None

    def _fetch(self, sql: str, params: tuple = ()) -> tuple[list[str], list[list]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params or None)
            rows = cursor.fetchall()
        except trino.exceptions.TrinoQueryError as exc:
            if exc.error_name == "EXCEEDED_TIME_LIMIT":
                raise QueryTimeoutError(timeout_message(self.name, self.timeout_s)) from exc
            raise QueryError(f"Trino refused or failed the query: {exc.message}") from exc
        except trino.exceptions.HttpError as exc:
            raise QueryError(f"Trino is not reachable: {exc}") from exc
        except requests.exceptions.Timeout as exc:  # no answer within the request timeout
            raise QueryTimeoutError(timeout_message(self.name, self.timeout_s)) from exc
        except requests.exceptions.ConnectionError as exc:
            raise QueryError(f"Trino is not reachable at {self._url}: {exc}") from exc
        return [d[0] for d in cursor.description or []], rows

    def relations(self) -> set[str]:
        if self._relations is None:
            _, rows = self._fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN (?, ?)", (GOLD_SCHEMA, LAKE_SCHEMA),
            )
            names: set[str] = set()
            for schema, table in rows:
                names |= {f"{schema}.{table}", f"{self._catalog}.{schema}.{table}"}
                if schema == GOLD_SCHEMA or not any(r[1] == table and r[0] == GOLD_SCHEMA for r in rows):
                    names.add(table)
            self._relations = names
        return self._relations

    def columns(self) -> list[tuple[str, str, str, str]]:
        _, rows = self._fetch(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN (?, ?) ORDER BY table_schema, table_name, ordinal_position",
            (GOLD_SCHEMA, LAKE_SCHEMA),
        )
        return [(str(s), str(t), str(c), str(d)) for s, t, c, d in rows]

    def query(self, sql: str) -> QueryResult:
        """Run one read-only SELECT and return every row.

        Raises:
            ReadOnlyViolation: the SQL is not one SELECT over the served relations.
            QueryError: Trino refused or failed the query, or could not be reached.
        """
        parsed = check_read_only(sql, self.relations())
        executed = parsed.sql(dialect=DIALECT)
        columns, rows = self._fetch(executed)
        return QueryResult(columns, [[jsonable(v) for v in row] for row in rows], sql, executed, self.name)
