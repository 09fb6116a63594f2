"""The `biolake` command: the only module that wires every package together.

Builds the settings once from the global options (over BIOLAKE_* variables) and passes them
down; every command works in both modes (embedded and cluster). Errors go to stderr with a
non-zero exit and name the file, line or field. One module per group of commands:

    ingest.py    ingest oura | oura-export | peloton | apple-health;  auth oura
    etl.py       etl
    serving.py   views apply, sql, ask, eval nl2sql
    explain.py   insights, report, serve
    demo.py      demo
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from biolake.cli.context import Context
from biolake.cli.demo import demo
from biolake.cli.etl import etl
from biolake.cli.explain import insights, report, serve
from biolake.cli.ingest import auth, auth_oura, ingest, ingest_oura, ingest_peloton
from biolake.cli.serving import ask, eval_group, sql, views
from biolake.errors import BiolakeError

__all__ = ["Context", "auth_oura", "cli", "ingest_oura", "ingest_peloton", "main"]


@click.group()
@click.option("--home", type=click.Path(path_type=Path), help="State folder (BIOLAKE_HOME).")
@click.option("--person", "person_id", help="Person id (default: me).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="The 'today' for relative dates.")
@click.option("--engine", type=click.Choice(["duckdb", "trino"]), help="Serving engine.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, person_id: str | None, as_of: Any, engine: str | None) -> None:
    """Bio-Lakehouse: your Oura, Peloton and Apple Health data in your own lakehouse."""
    ctx.obj = Context(
        {"home": home, "person_id": person_id, "engine": engine,
         "as_of": as_of.date() if as_of else None}
    )


for command in (ingest, auth, etl, views, sql, insights, report, serve, ask, eval_group, demo):
    cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except BiolakeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 1))  # LakeBusyError: 75, try again later


if __name__ == "__main__":
    main()
