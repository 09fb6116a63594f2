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
from biolake.cli.failures import command_name, debug_requested, describe
from biolake.cli.ingest import auth, auth_oura, ingest, ingest_oura, ingest_peloton
from biolake.cli.serving import ask, eval_group, sql, views
from biolake.errors import BiolakeError

__all__ = ["Context", "auth_oura", "cli", "ingest_oura", "ingest_peloton", "main"]

_invocation: dict[str, str] = {}  # what the failure message names (the lake), set by `cli`


@click.group()
@click.option("--home", type=click.Path(path_type=Path), help="State folder (BIOLAKE_HOME).")
@click.option("--person", "person_id", help="Person id (default: me).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="The 'today' for relative dates.")
@click.option("--engine", type=click.Choice(["duckdb", "trino"]), help="Serving engine.")
@click.option("--debug", is_flag=True, default=None,
              help="Show the Python traceback of an unexpected failure (BIOLAKE_DEBUG).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, person_id: str | None, as_of: Any, engine: str | None,
        debug: bool | None) -> None:
    """Bio-Lakehouse: your Oura, Peloton and Apple Health data in your own lakehouse."""
    ctx.obj = Context(
        {"home": home, "person_id": person_id, "engine": engine, "debug": debug,
         "as_of": as_of.date() if as_of else None}
    )
    _invocation["lake"] = ctx.obj.settings.effective_lake_uri


for command in (ingest, auth, etl, views, sql, insights, report, serve, ask, eval_group, demo):
    cli.add_command(command)


def main() -> None:
    """Known errors print their message; anything else one line from `failures.describe`
    (the traceback only with --debug or BIOLAKE_DEBUG); exit 1, or the error's own code."""
    try:
        cli(standalone_mode=True)
    except BiolakeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 1))  # LakeBusyError: 75, try again later
    except Exception as exc:
        argv = sys.argv[1:]
        if debug_requested(argv):
            raise
        message = describe(exc, command_name(argv, cli.commands), _invocation.get("lake"))
        click.echo(f"error: {message}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
