"""What every `biolake` command shares: the settings built once from the global options, the
lake, and the few ways a command prints what happened (ingest outcomes, sync reports, tables)."""

from __future__ import annotations

import sys
from typing import Any

import click

from biolake.lake import Lake, LakeConfig
from biolake.settings import BiolakeSettings


class Context:
    """The settings of one `biolake` invocation (global options over BIOLAKE_* variables)."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.settings = BiolakeSettings(**{k: v for k, v in overrides.items() if v is not None})

    def lake(self) -> Lake:
        return Lake(LakeConfig.from_settings(self.settings))


pass_context = click.make_pass_decorator(Context)


def report_outcomes(outcomes: list) -> None:
    """One line per stored file; exit 1 if any file failed (its error on stderr)."""
    for o in outcomes:
        line = (f"{o.status:<17} {o.source}/{o.dataset:<26} {o.original_name}  "
                f"records={o.record_count} record_errors={o.error_count}")
        click.echo(line)
        if o.error:
            click.echo(f"error: {o.error}", err=True)
    if any(o.failed for o in outcomes):
        sys.exit(1)


def report_sync(report: Any) -> None:
    """A live sync's report: its lines on stdout and stderr; exit 1 if any part failed."""
    out, err = report.lines()
    for line in out:
        click.echo(line)
    for line in err:
        click.echo(line, err=True)
    if report.failed:
        sys.exit(1)


def print_tables(lake: Lake, rows: dict[str, int]) -> None:
    """Every table of the lake with its row count."""
    click.echo(f"lake: {lake.config.uri}")
    for name, count in rows.items():
        click.echo(f"  {name:<45} {count:>8} rows")
