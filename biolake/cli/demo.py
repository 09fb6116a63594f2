"""`biolake demo`: a sample person generated, ingested (Oura through the live client against the
local simulator), built, counted and served: the whole product on one laptop."""

from __future__ import annotations

import sys
from datetime import date

import click

from biolake.cli.context import Context, pass_context, print_tables, report_outcomes
from biolake.cli.etl import run_etl_once
from biolake.cli.explain import serve
from biolake.errors import BiolakeError
from biolake.lake import Lake
from biolake.settings import BiolakeSettings


def write_demo_report(settings: BiolakeSettings, lake: Lake) -> None:
    """The last complete week's report, into the lake as `biolake report` writes it (the
    dashboard's Reports tab shows it): charts by kaleido with the system Chromium, the template
    narrative (nothing is sent to Claude). Without Chromium the demo says so and goes on."""
    from app.serving.query_service import QueryService
    from reports.week import default_week
    from reports.weekly import generate_weekly_report

    week = default_week(settings.today)
    try:
        written, _ = generate_weekly_report(
            QueryService(settings, lake), settings.person_id, week,
            settings.home.expanduser() / "reports" / "weekly", lake)
    except (BiolakeError, OSError) as exc:
        click.echo(f"weekly report {week.label} not written: {exc}; `biolake report` writes it later")
        return
    click.echo(f"weekly report {week.label} ({week.start} to {week.end}): "
               f"{lake.uri_of(written.lake_key)}")


@click.command()
@click.option("--no-serve", is_flag=True, help="Stop after building the lake.")
@click.option("--seed", default=7, show_default=True, help="Sample person seed.")
@click.option("--apple-health/--no-apple-health", default=True, show_default=True)
@pass_context
def demo(ctx: Context, no_serve: bool, seed: int, apple_health: bool) -> None:
    """Generate a sample person, ingest, build, print every table's row count and write the
    last complete week's report."""
    from ingest_workers.demo.oura_demo import sync_sample_person
    from ingest_workers.demo.sample_person import generate_sample_person
    from ingest_workers.file_ingest import ingest_apple_health as ingest_apple
    from ingest_workers.file_ingest import ingest_peloton_csv

    settings, lake = ctx.settings, ctx.lake()
    end_day: date = settings.today
    files = generate_sample_person(
        settings.home.expanduser() / "demo-input" / f"seed-{seed}-{end_day}", end_day=end_day,
        seed=seed, apple_health=apple_health,
    )
    click.echo(f"sample person written to {files.root}")
    # Oura through the live client, against the simulator serving the sample person
    oura = sync_sample_person(settings, lake, files.oura_dir, getattr(ctx, "oura_runtime", None))
    oura_out, oura_err = oura.lines()
    click.echo(oura_out[-1])
    if oura.failed:
        for line in oura_err:
            click.echo(line, err=True)
        sys.exit(1)
    outcomes = ingest_peloton_csv(lake, files.peloton_csv, settings.person_id)
    if files.apple_health_xml is not None:
        outcomes += ingest_apple(lake, files.apple_health_xml, settings.person_id)
    new = sum(o.status == "ingested" for o in outcomes)
    click.echo(f"ingest: {len(outcomes)} files, {new} new")
    if any(o.failed for o in outcomes):
        report_outcomes(outcomes)
    print_tables(lake, run_etl_once(settings, lake, full=False))
    write_demo_report(settings, lake)
    if not no_serve:
        ctx_obj = click.get_current_context()
        ctx_obj.invoke(serve)
