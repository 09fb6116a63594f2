"""Serving: the nine gold views and ten dashboard queries on DuckDB (embedded), on a warm Trino
and on Spark SQL over the same Delta tables, side by side in one process so ratios hold.

Spark SQL gets what Trino gets: every Delta table of the lake registered as `lake.<table>`, and
`gold.<view>` created from the same Trino SQL files, transpiled by sqlglot (as the DuckDB engine
does). Each query runs once per engine to warm it, then `runs` times per engine, the engines
taking turns query by query so a change of machine load hits them alike.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlglot

from benchmarks.dashboard_queries import dashboard_queries
from benchmarks.measure import percentiles, timed
from benchmarks.pipeline import AS_OF, _context


class SparkSqlEngine:
    """Spark SQL over the lake's Delta tables with the gold views, for comparison only."""

    name = "spark"

    def __init__(self, spark, lake) -> None:
        from app.serving.gold_views import GOLD_SCHEMA, LAKE_SCHEMA, load_views
        from biolake.delta_tables import list_tables
        from biolake.lake import GOLD, OPS, SILVER

        self.spark = spark
        for schema in (LAKE_SCHEMA, GOLD_SCHEMA):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
        registered = set()
        for layer in (GOLD, SILVER, OPS):
            for name in list_tables(lake, layer):
                if name not in registered:  # a gold table shadows nothing: names are unique
                    spark.sql(f"CREATE TABLE IF NOT EXISTS {LAKE_SCHEMA}.`{name}` USING DELTA "
                              f"LOCATION '{lake.spark_table_uri(layer, name)}'")
                    registered.add(name)
        for view in load_views():
            spark.sql(f"CREATE OR REPLACE VIEW {GOLD_SCHEMA}.`{view.name}` AS {to_spark(view.sql)}")
        spark.sql(f"USE {GOLD_SCHEMA}")

    def query(self, sql: str) -> list:
        return self.spark.sql(to_spark(sql)).collect()


def to_spark(trino_sql: str) -> str:
    return sqlglot.transpile(trino_sql, read="trino", write="spark")[0]


def queries(person_id: str = "me") -> list[tuple[str, str, str]]:
    """(kind, name, Trino SQL): the nine views, then the ten dashboard queries."""
    from app.serving.gold_views import VIEW_NAMES

    views = [("view", name, f"SELECT * FROM gold.{name}") for name in VIEW_NAMES]
    return views + [("dashboard", name, sql) for name, sql in dashboard_queries(person_id, AS_OF)]


def serving(home: Path, runs: dict[str, int]) -> dict[str, Any]:
    from app.serving.engines.duckdb_engine import DuckDBEngine
    from app.serving.engines.trino_engine import TrinoEngine
    from app.serving.local_trino import TrinoServer
    from app.serving.trino_catalog import apply_to_trino
    from spark_jobs.session import build_spark_session

    settings, lake = _context(home)
    out: dict[str, Any] = {"runs": runs, "queries": []}
    out["duckdb_load_s"], duck = timed(lambda: DuckDBEngine(lake))
    # the session catalog keeps its databases under ./spark-warehouse: a folder of our own
    scratch = tempfile.mkdtemp(prefix="bench-spark-sql-")
    os.chdir(scratch)
    out["spark_start_s"], spark = timed(lambda: build_spark_session(settings, "biolake-bench-sql"))
    out["spark_register_s"], spark_engine = timed(lambda: SparkSqlEngine(spark, lake))
    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    with tempfile.TemporaryDirectory(prefix="bench-trino-") as run_dir:
        server = TrinoServer(lake, cache, Path(run_dir))
        out["trino_start_s"], _ = timed(server.start)
        try:
            out["trino_apply_s"], _ = timed(lambda: apply_to_trino(lake, server.url, "biolake_writer"))
            trino = TrinoEngine(server.url, "analyst")
            engines = {"duckdb": duck.query, "trino": trino.query, "spark": spark_engine.query}
            for kind, name, sql in queries(settings.person_id):
                row: dict[str, Any] = {"kind": kind, "name": name}
                for engine, run in engines.items():
                    row[f"{engine}_warmup_ms"] = timed(lambda r=run, s=sql: r(s))[0] * 1000
                samples: dict[str, list[float]] = {e: [] for e in engines}
                for k in range(max(runs.values())):
                    for engine, run in engines.items():
                        if k < runs[engine]:
                            samples[engine].append(timed(lambda r=run, s=sql: r(s))[0] * 1000)
                for engine in engines:
                    row[f"{engine}_ms"] = percentiles(samples[engine])
                out["queries"].append(row)
        finally:
            server.stop()
            spark.stop()
            shutil.rmtree(scratch, ignore_errors=True)
    return out
