"""What the numbers mean: `biolake insights`, `biolake report` and the dashboard, `biolake serve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from biolake.cli.context import Context, pass_context


@click.command()
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=1),
              help="Calendar days in the period, ending on --as-of (default: today).")
@pass_context
def insights(ctx: Context, output: str, days: int) -> None:
    """Five statistical insights on the person's gold daily rows (read-only)."""
    from app.insights import Period, as_json, as_text, load_daily_rows, run_all
    from app.serving.query_service import QueryService

    settings = ctx.settings
    period = Period.ending(settings.today, days)
    rows = load_daily_rows(QueryService(settings, ctx.lake()), settings.person_id, period)
    found = run_all(rows, period)
    if output == "json":
        document = {**as_json(found, settings.person_id, period, len(rows)), "engine": settings.engine}
        click.echo(json.dumps(document))
        return
    click.echo(as_text(found, settings.person_id, period, len(rows)), nl=False)


@click.command()
@click.option("--week-ending", "week_ending", type=click.DateTime(["%Y-%m-%d"]),
              help="The Sunday that ends the week (default: the last complete week before --as-of).")
@click.option("--local-only", is_flag=True,
              help="Nothing leaves this machine: write the report only to the local folder (not "
                   "to the lake) and use the template narrative (no Claude request).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Local folder (default: <home>/reports/weekly).")
@pass_context
def report(ctx: Context, week_ending: Any, local_only: bool, out_dir: Path | None) -> None:
    """The weekly report: one self-contained HTML file (insights, KPIs, charts, narrative),
    written locally and to <lake>/reports/weekly/<week>.html. With BIOLAKE_ANTHROPIC_API_KEY set,
    Claude writes the narrative from the week's aggregates (never daily rows); otherwise, and
    when Claude fails, templates do. The report says which."""
    from app.serving.query_service import QueryService
    from reports.narrative import choose_narrator
    from reports.week import Week, default_week
    from reports.weekly import generate_weekly_report

    settings, lake = ctx.settings, ctx.lake()
    week = Week.ending(week_ending.date()) if week_ending else default_week(settings.today)
    narrator, why_not = choose_narrator(settings, local_only)
    written, built = generate_weekly_report(
        QueryService(settings, lake), settings.person_id, week,
        out_dir or settings.home.expanduser() / "reports" / "weekly",
        None if local_only else lake, narrator=narrator, why_not=why_not,
    )
    click.echo(f"report {week.label} ({week.start} to {week.end}): {written.local_path}")
    click.echo(f"  narrative: {built.narrative.source} ({built.narrative.note})")
    if written.lake_key:
        click.echo(f"  in the lake: {lake.uri_of(written.lake_key)}")


@click.command()
@click.option("--host", help="Address to bind (default: 127.0.0.1; any other needs "
                             "authentication: a password, or BIOLAKE_DASHBOARD_AUTH=oauth).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: 5006).")
@click.option("--show", is_flag=True, help="Open a browser.")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None, show: bool) -> None:
    """The dashboard: overview, ask, insights, weekly reports and data (Panel). Authentication:
    BIOLAKE_DASHBOARD_AUTH=auto|basic|oauth|none (README, "The dashboard and the weekly
    report")."""
    from app.dashboard.server import HEALTH_PATH, make_server

    settings = ctx.settings
    host, port = host or settings.dashboard_host, port if port is not None else settings.dashboard_port
    server = make_server(settings, ctx.lake(), host, port, show=show)
    server.start()
    click.echo(f"dashboard: http://{host}:{server.port}/  (health: {HEALTH_PATH})")
    server.io_loop.start()
