"""`biolake views apply` on Trino: register the lake's Delta tables and create the gold views.

Runs as the writer user, the only user allowed to call `register_table` and replace views.
Idempotent: a table already registered at the same location and a view whose SQL is unchanged
are left alone, so a second run changes nothing; a table whose location moved is registered
again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import trino

from app.serving.engines.trino_engine import connect
from app.serving.gold_views import GOLD_SCHEMA, LAKE_SCHEMA, load_views
from biolake.delta_tables import list_tables
from biolake.errors import QueryError
from biolake.lake import GOLD, OPS, SILVER, Lake

_LOCATION = re.compile(r"location = '([^']+)'")
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,127}")
# how a view names a lake table: lake.daily_readiness_performance (optionally quoted)
_VIEW_TABLE_REFERENCE = re.compile(r'\blake\."?([a-z][a-z0-9_]*)"?')


def lake_location(lake: Lake) -> str:
    """How Trino names the lake root: s3://bucket/prefix, or local:// for a folder lake (the
    catalog's local file system is rooted at the lake folder, so Trino sees nothing else)."""
    if lake.is_s3:
        return lake.config.uri
    return "local://"


def trino_location(lake: Lake, key: str) -> str:
    """The location Trino uses for a lake key such as `gold/daily_readiness_performance`."""
    return f"{lake_location(lake)}/{key}"


def _literal(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class ApplyReport:
    registered: list[str] = field(default_factory=list)
    reregistered: list[str] = field(default_factory=list)
    tables_unchanged: list[str] = field(default_factory=list)
    views_replaced: list[str] = field(default_factory=list)
    views_unchanged: list[str] = field(default_factory=list)
    # views not created because a table they read is not in the lake yet (a new, empty lake:
    # the first ETL builds the tables, and its `views apply` then creates them)
    views_waiting: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.registered or self.reregistered or self.views_replaced)


class _Writer:
    def __init__(self, url: str, user: str, catalog: str) -> None:
        self.catalog = catalog
        self._connection = connect(url, user, catalog)

    def run(self, sql: str, params: tuple = ()) -> list[list]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params or None)
            return cursor.fetchall()
        except trino.exceptions.TrinoQueryError as exc:
            raise QueryError(f"Trino: {exc.message} (while running: {sql[:120]})") from exc


def apply_to_trino(lake: Lake, url: str, writer_user: str, catalog: str = "lakehouse",
                   views_dir: Path | None = None) -> ApplyReport:
    """Register every Delta table of the lake in `catalog.lake` and create or replace the gold
    views in `catalog.gold`, as `writer_user` (idempotent).

    Args:
        lake: the lake whose silver, gold and _ops tables are registered.
        url: the Trino coordinator, e.g. http://trino:8080.
        writer_user: the only Trino user allowed to register tables and replace views.
        catalog: the Delta Lake catalog's name.
        views_dir: the view SQL files; default: those shipped in the package.

    Raises:
        QueryError: Trino refused a statement or could not be reached.
        FileNotFoundError: a view file is missing from `views_dir`, or one is unexpected.
    """
    writer = _Writer(url, writer_user, catalog)
    report = ApplyReport()
    for schema in (LAKE_SCHEMA, GOLD_SCHEMA):
        writer.run(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{schema}")
    registered = {
        row[0] for row in writer.run(
            f"SELECT table_name FROM {catalog}.information_schema.tables "
            "WHERE table_schema = ? AND table_type = 'BASE TABLE'", (LAKE_SCHEMA,),
        )
    }
    in_lake: set[str] = set()
    for layer in (SILVER, GOLD, OPS):
        for name in list_tables(lake, layer):
            in_lake.add(name)
            if not _TABLE_NAME.fullmatch(name):
                raise QueryError(f"{layer}/{name}: not a table name this project writes; not registered")
            location = trino_location(lake, f"{layer}/{name}")
            if name in registered:
                ddl = writer.run(f'SHOW CREATE TABLE {catalog}.{LAKE_SCHEMA}."{name}"')[0][0]
                current = _LOCATION.search(ddl)
                if current and current.group(1).rstrip("/") == location:
                    report.tables_unchanged.append(name)
                    continue
                writer.run(
                    f"CALL {catalog}.system.unregister_table("
                    f"schema_name => {_literal(LAKE_SCHEMA)}, table_name => {_literal(name)})"
                )
                report.reregistered.append(name)
            else:
                report.registered.append(name)
            # CALL takes no prepared parameters: names are checked, strings quoted as literals
            writer.run(
                f"CALL {catalog}.system.register_table(schema_name => {_literal(LAKE_SCHEMA)}, "
                f"table_name => {_literal(name)}, table_location => {_literal(location)})"
            )
    # Trino stores views re-formatted, so a view carries the hash of its source file as its
    # comment, and an unchanged file is recognised by that
    existing = {
        name: comment for name, comment in writer.run(
            "SELECT table_name, comment FROM system.metadata.table_comments "
            "WHERE catalog_name = ? AND schema_name = ?", (catalog, GOLD_SCHEMA),
        )
    }
    for view in (load_views(views_dir) if views_dir else load_views()):
        missing = sorted(set(_VIEW_TABLE_REFERENCE.findall(view.sql)) - in_lake)
        if missing:
            report.views_waiting[view.name] = missing
            continue
        stamp = f"biolake view sha256:{hashlib.sha256(view.sql.encode()).hexdigest()}"
        if existing.get(view.name) == stamp:
            report.views_unchanged.append(view.name)
            continue
        # view names come from the fixed list in app.serving.gold_views, never from input
        writer.run(
            f'CREATE OR REPLACE VIEW {catalog}.{GOLD_SCHEMA}."{view.name}" '
            f"COMMENT {_literal(stamp)} SECURITY DEFINER AS {view.sql}"
        )
        report.views_replaced.append(view.name)
    return report
