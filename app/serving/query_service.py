"""Answering read-only SQL: the guard, a result cache, and the configured engine.

The cache key is the engine, the query in canonical Trino form and the version of every Delta
table in the lake, so a new ETL run (a new table version) can never serve a stale answer.
Results are cached under `<home>/cache/sql` with owner-only permissions: they are health data.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from app.serving.engines.base import QueryEngine, QueryResult
from app.serving.gold_views import GOLD_SCHEMA, LAKE_SCHEMA, VIEW_NAMES
from app.serving.sql_guard import DIALECT, check_read_only
from biolake.delta_tables import list_tables, open_table
from biolake.files import write_private
from biolake.lake import GOLD, OPS, SILVER, Lake
from biolake.settings import BiolakeSettings

LAYERS = (SILVER, GOLD, OPS)


def served_relations(lake: Lake) -> set[str]:
    """Every accepted spelling of the relations served: gold views, then the lake's tables."""
    tables = {name for layer in LAYERS for name in list_tables(lake, layer)}
    names = {f"{GOLD_SCHEMA}.{v}" for v in VIEW_NAMES} | {f"{LAKE_SCHEMA}.{t}" for t in tables}
    return names | set(VIEW_NAMES) | tables


def table_versions(lake: Lake) -> dict[str, int]:
    return {
        f"{layer}/{name}": open_table(lake, layer, name).version()
        for layer in LAYERS for name in list_tables(lake, layer)
    }


class QueryCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def key(engine: str, canonical_sql: str, versions: dict[str, int]) -> str:
        material = json.dumps([engine, canonical_sql, sorted(versions.items())])
        return hashlib.sha256(material.encode()).hexdigest()

    def get(self, key: str) -> QueryResult | None:
        path = self.directory / f"{key}.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        data["cached"] = True
        return QueryResult(**data)

    def put(self, key: str, result: QueryResult) -> None:
        document = {k: v for k, v in result.as_json().items() if k != "cached"}
        write_private(self.directory / f"{key}.json", json.dumps(document).encode())


def make_engine(settings: BiolakeSettings, lake: Lake) -> QueryEngine:
    if settings.engine == "trino":
        from app.serving.engines.trino_engine import TrinoEngine

        return TrinoEngine(settings.trino_url, settings.trino_user, settings.trino_catalog,
                           timeout_s=settings.query_timeout_s)
    from app.serving.engines.duckdb_engine import DuckDBEngine

    return DuckDBEngine(lake, timeout_s=settings.query_timeout_s)


class QueryService:
    """Read-only SQL for every caller (CLI, dashboard, insights, NL answers): the guard, then
    the cache, then the configured engine (built on first use).

    Args:
        settings: `engine` chooses DuckDB or Trino; `home` holds the result cache.
        lake: the lake served.
        use_cache: keep answers per engine, canonical query and table versions.
    """

    def __init__(self, settings: BiolakeSettings, lake: Lake, use_cache: bool = True) -> None:
        self._settings = settings
        self._lake = lake
        self._engine: QueryEngine | None = None
        self._engine_lock = threading.Lock()  # two threads asking first still build one engine
        self._cache = QueryCache(settings.home.expanduser() / "cache" / "sql") if use_cache else None

    @property
    def engine(self) -> QueryEngine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = make_engine(self._settings, self._lake)
            return self._engine

    def query(self, sql: str) -> QueryResult:
        """Answer one SELECT, from the cache when no table changed since.

        Raises:
            ReadOnlyViolation: the SQL is not one read-only SELECT over the served relations.
            QueryError: the engine could not run it.
        """
        # the guard runs before the cache: a refused query is never answered, cached or not
        canonical = check_read_only(sql, served_relations(self._lake)).sql(dialect=DIALECT)
        if self._cache is None:
            return self.engine.query(sql)
        key = QueryCache.key(self._settings.engine, canonical, table_versions(self._lake))
        cached = self._cache.get(key)
        if cached is not None:
            return QueryResult(cached.columns, cached.rows, sql, cached.executed_sql, cached.engine, True)
        result = self.engine.query(sql)
        self._cache.put(key, result)
        return result
