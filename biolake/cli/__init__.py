"""The `biolake` command. Builds the settings once and passes them down; every command works in
both modes. Errors go to stderr with a non-zero exit and name the file, line or field.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from biolake.errors import BiolakeError
from biolake.lake import Lake, LakeConfig
from biolake.settings import BiolakeSettings


class Context:
    def __init__(self, overrides: dict[str, Any]) -> None:
        self.settings = BiolakeSettings(**{k: v for k, v in overrides.items() if v is not None})

    def lake(self) -> Lake:
        return Lake(LakeConfig.from_settings(self.settings))


pass_context = click.make_pass_decorator(Context)


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


# -- ingest ---------------------------------------------------------------------------------------
@cli.group()
def ingest() -> None:
    """Store raw files in bronze (content-addressed) and log every object."""


def _starts_etl_after(command: Callable[..., None]) -> Callable[..., None]:
    """With BIOLAKE_ETL_TRIGGER_CRONJOB set (the chart sets it on ingest CronJobs), an ingest
    that stored new objects starts the ETL at once, also when part of it failed: what landed
    is worth building. A failure to start it fails the command (the data stays in bronze and
    the scheduled ETL builds it)."""

    @functools.wraps(command)
    def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> None:
        from ingest_workers.etl_trigger import etl_trigger_from_settings, ingested_object_count

        if not ctx.settings.etl_trigger_cronjob:
            return command(ctx, *args, **kwargs)
        lake = ctx.lake()
        before = ingested_object_count(lake)
        try:
            command(ctx, *args, **kwargs)
        finally:
            new = ingested_object_count(lake) - before
            if new <= 0:
                click.echo("etl: nothing new was stored; no ETL Job started")
            else:
                try:
                    trigger = etl_trigger_from_settings(ctx.settings)
                    assert trigger is not None
                    where = click.get_current_context().command_path
                    outcome = trigger.start_etl(f"{new} new objects from `{where}`")
                except BiolakeError as exc:  # EtlTriggerError, TokenStoreError ...
                    click.echo(f"error: {exc}", err=True)
                    sys.exit(1)
                click.echo(f"{outcome.describe()} ({new} new objects)")

    return wrapper


def _report_outcomes(outcomes: list) -> None:
    for o in outcomes:
        line = (f"{o.status:<17} {o.source}/{o.dataset:<26} {o.original_name}  "
                f"records={o.record_count} record_errors={o.error_count}")
        click.echo(line)
        if o.error:
            click.echo(f"error: {o.error}", err=True)
    if any(o.failed for o in outcomes):
        sys.exit(1)


@ingest.command("oura")
@click.option("--from-dir", "from_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Saved Oura API v2 list responses, <endpoint>[_*].json (no network).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Live: first local day (default: each endpoint's watermark minus the look-back).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Live: last local day (default: today).")
@click.option("--endpoint", "endpoints", multiple=True, help="Live: only this endpoint (repeatable).")
@pass_context
@_starts_etl_after
def ingest_oura(ctx: Context, from_dir: Path | None, since: Any, until: Any, endpoints: tuple[str, ...]) -> None:
    """Oura API v2: live (tokens from `biolake auth oura`), or responses saved as files."""
    if from_dir is not None:
        if since or until or endpoints:
            raise click.UsageError("--since, --until and --endpoint apply to the live API, not --from-dir")
        from ingest_workers.file_ingest import ingest_oura_saved_responses

        _report_outcomes(ingest_oura_saved_responses(ctx.lake(), from_dir, ctx.settings.person_id))
        return
    from ingest_workers.oura.api_files import OURA_ENDPOINTS
    from ingest_workers.oura.sync import run_live_sync

    unknown = sorted(set(endpoints) - set(OURA_ENDPOINTS))
    if unknown:
        raise click.BadParameter(f"unknown {unknown}; known: {', '.join(OURA_ENDPOINTS)}",
                                 param_hint="--endpoint")
    first, last = (since.date() if since else None), (until.date() if until else None)
    if first and first > (last or ctx.settings.today):
        raise click.BadParameter(f"{first} is after the last day {last or ctx.settings.today}",
                                 param_hint="--since")
    report = run_live_sync(
        ctx.settings, ctx.lake(), since=first, until=last, endpoints=endpoints or OURA_ENDPOINTS,
        runtime=getattr(ctx, "oura_runtime", None),  # tests share a fake clock with the simulator
    )
    out, err = report.lines()
    for line in out:
        click.echo(line)
    for line in err:
        click.echo(line, err=True)
    if report.failed:
        sys.exit(1)


# -- auth -----------------------------------------------------------------------------------------
@cli.group()
def auth() -> None:
    """Connect accounts that sources read through an API (OAuth)."""


@auth.command("oura")
@click.option("--timeout", default=600, show_default=True, help="Seconds to wait for Oura's redirect.")
@click.option("--no-listen", is_flag=True, help="No local callback listener: paste the redirected URL.")
@pass_context
def auth_oura(ctx: Context, timeout: int, no_listen: bool) -> None:
    """Connect your Oura account (OAuth2) and store the tokens; works without a browser too."""
    from ingest_workers.oura.authorization import run_authorization

    run_authorization(
        ctx.settings, show=click.echo, paste=sys.stdin, timeout_s=timeout,
        listen=not no_listen, runtime=getattr(ctx, "oura_runtime", None),
    )


@ingest.command("oura-export")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@pass_context
@_starts_etl_after
def ingest_oura_export(ctx: Context, path: Path) -> None:
    """Oura membership export (zip or folder)."""
    from ingest_workers.file_ingest import ingest_oura_export as run

    _report_outcomes(run(ctx.lake(), path, ctx.settings.person_id))


@ingest.command("peloton")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='Peloton "Download Workouts" CSV.')
@click.option("--api", "use_api", is_flag=True,
              help="Sync from Peloton's API (BIOLAKE_PELOTON_REFRESH_TOKEN, then the token store).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="--api: (re)read every workout from this local day on (default: only new ones).")
@click.option("--inbox", "use_inbox", is_flag=True,
              help="Ingest the CSVs dropped under <lake>/inbox/peloton/ and move them out.")
@pass_context
@_starts_etl_after
def ingest_peloton(
    ctx: Context, csv_path: Path | None, use_api: bool, since: Any, use_inbox: bool
) -> None:
    """Peloton workouts: a CSV file, the live API, or the CSV inbox (exactly one of them)."""
    chosen = [name for name, on in (("--csv", csv_path is not None), ("--api", use_api),
                                    ("--inbox", use_inbox)) if on]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --csv FILE, --api or --inbox"
                               + (f" (got {' and '.join(chosen)})" if chosen else ""))
    if since and not use_api:
        raise click.UsageError("--since applies to --api only")
    if use_api:
        from ingest_workers.peloton.sync import run_peloton_sync

        report = run_peloton_sync(
            ctx.settings, ctx.lake(), since=since.date() if since else None,
            runtime=getattr(ctx, "peloton_runtime", None),  # tests share a fake clock
        )
        out, err = report.lines()
        for line in out:
            click.echo(line)
        for line in err:
            click.echo(line, err=True)
        if report.failed:
            sys.exit(1)
        return
    if use_inbox:
        from ingest_workers.peloton.inbox import ingest_peloton_inbox

        results = ingest_peloton_inbox(ctx.lake(), ctx.settings.person_id)
        for r in results:
            status = r.outcome.status if r.outcome else "rejected"
            records = r.outcome.record_count if r.outcome else 0
            click.echo(f"{status:<17} {r.key} -> {r.moved_to}  records={records}")
            if r.error:
                click.echo(f"error: {r.key}: {r.error}", err=True)
        click.echo(f"inbox: {len(results)} files, {sum(r.failed for r in results)} rejected")
        if any(r.failed for r in results):
            sys.exit(1)
        return
    from ingest_workers.file_ingest import ingest_peloton_csv

    _report_outcomes(ingest_peloton_csv(ctx.lake(), csv_path, ctx.settings.person_id))


@ingest.command("apple-health")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
@_starts_etl_after
def ingest_apple_health(ctx: Context, path: Path) -> None:
    """Apple Health export.zip or export.xml."""
    from ingest_workers.file_ingest import ingest_apple_health as run

    _report_outcomes(run(ctx.lake(), path, ctx.settings.person_id))


# -- etl ------------------------------------------------------------------------------------------
def _run_etl(settings: BiolakeSettings, lake: Lake, full: bool) -> dict[str, int]:
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    spark = build_spark_session(settings, "biolake-etl")
    try:
        report = run_etl(spark, lake, full=full)
    finally:
        spark.stop()
    click.echo(
        f"etl: {report.objects_processed} new objects, {report.records_read} records, "
        f"{report.records_quarantined} quarantined, {report.gold_days_rebuilt} gold days rebuilt"
    )
    return report.table_rows


def _print_tables(lake: Lake, rows: dict[str, int]) -> None:
    click.echo(f"lake: {lake.config.uri}")
    for name, count in rows.items():
        click.echo(f"  {name:<45} {count:>8} rows")


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild silver and gold from all of bronze.")
@pass_context
def etl(ctx: Context, full: bool) -> None:
    """Bronze → silver → gold (incremental)."""
    lake = ctx.lake()
    _print_tables(lake, _run_etl(ctx.settings, lake, full))


# -- serving ------------------------------------------------------------------------------------
@cli.group()
def views() -> None:
    """The nine gold views on the serving engine."""


@views.command("apply")
@pass_context
def views_apply(ctx: Context) -> None:
    """Register the lake's tables and create or replace the gold views (idempotent)."""
    settings, lake = ctx.settings, ctx.lake()
    if settings.engine == "trino":
        from app.serving.trino_catalog import apply_to_trino

        report = apply_to_trino(lake, settings.trino_url, settings.trino_writer_user, settings.trino_catalog)
        click.echo(
            f"trino: {len(report.registered)} tables registered, {len(report.reregistered)} "
            f"re-registered, {len(report.tables_unchanged)} unchanged; "
            f"{len(report.views_replaced)} views created or replaced, "
            f"{len(report.views_unchanged)} unchanged"
        )
        return
    from app.serving.engines.duckdb_engine import DuckDBEngine
    from app.serving.gold_views import VIEW_NAMES

    engine = DuckDBEngine(lake)  # builds every view from trino/views through sqlglot
    for name in VIEW_NAMES:
        rows = engine.query(f"SELECT count(*) FROM gold.{name}").rows[0][0]
        click.echo(f"  gold.{name:<36} {rows:>8} rows")
    click.echo("duckdb: the views are built from trino/views/*.sql each time a query runs")


@cli.command()
@click.argument("query")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table")
@pass_context
def sql(ctx: Context, query: str, output: str) -> None:
    """Run one read-only SELECT on the serving engine."""
    from app.serving.query_service import QueryService

    result = QueryService(ctx.settings, ctx.lake()).query(query)
    if output == "json":
        click.echo(json.dumps(result.as_json(), default=str))
        return
    widths = [max(len(str(c)), *(len(str(r[i])) for r in result.rows)) if result.rows else len(str(c))
              for i, c in enumerate(result.columns)]
    click.echo("  ".join(str(c).ljust(w) for c, w in zip(result.columns, widths, strict=True)))
    for row in result.rows:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    click.echo(f"({len(result.rows)} rows, {result.engine})")


# -- insights -------------------------------------------------------------------------------------
@cli.command()
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


@cli.command()
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
    from reports.weekly import Week, default_week, generate_weekly_report

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


@cli.command()
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


# -- NL-to-SQL ------------------------------------------------------------------------------------
@cli.command()
@click.argument("question")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@pass_context
def ask(ctx: Context, question: str, output: str) -> None:
    """Answer a question in plain English (Claude with an API key, else the offline translator)."""
    from app.nl2sql.ask import Asker

    answer = Asker(ctx.settings, ctx.lake()).ask(question)
    if output == "json":
        click.echo(json.dumps(answer.as_json(), default=str))
        return
    click.echo(answer.answer)
    if answer.fallback_reason:
        click.echo(f"note: answered offline because {answer.fallback_reason}", err=True)
    click.echo(f"  {answer.translator} SQL on {answer.engine} ({answer.elapsed_ms} ms): {answer.sql}")
    for row in answer.rows[:10]:
        click.echo("  " + "  ".join(str(v) for v in row))
    if len(answer.rows) > 10:
        click.echo(f"  ... {len(answer.rows)} rows (--format json for all)")


@cli.group("eval")
def eval_group() -> None:
    """Measure a part of the system against its benchmark."""


@eval_group.command("nl2sql")
@click.option("--translator", type=click.Choice(["offline", "claude"]), default="offline",
              show_default=True)
@click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Benchmark file (default: app/nl2sql/questions.yaml).")
@click.option("--min-accuracy", type=click.FloatRange(0, 1), help="Exit 1 below this accuracy.")
@pass_context
def eval_nl2sql(ctx: Context, translator: str, questions: Path | None, min_accuracy: float | None) -> None:
    """Execution accuracy: each question's gold SQL and the translator's SQL, same rows?"""
    from app.nl2sql.benchmark import evaluate, load_benchmark

    benchmark = load_benchmark(questions) if questions else load_benchmark()
    report = evaluate(ctx.settings, ctx.lake(), translator, benchmark)
    for line in report.lines():
        click.echo(line)
    if min_accuracy is not None and report.accuracy < min_accuracy:
        sys.exit(1)


# -- demo -----------------------------------------------------------------------------------------
@cli.command()
@click.option("--no-serve", is_flag=True, help="Stop after building the lake.")
@click.option("--seed", default=7, show_default=True, help="Sample person seed.")
@click.option("--apple-health/--no-apple-health", default=True, show_default=True)
@pass_context
def demo(ctx: Context, no_serve: bool, seed: int, apple_health: bool) -> None:
    """Generate a sample person, ingest, build and print every table's row count."""
    from ingest_workers.file_ingest import (
        ingest_apple_health as ingest_apple,
    )
    from ingest_workers.file_ingest import (
        ingest_peloton_csv,
    )
    from ingest_workers.demo.oura_demo import sync_sample_person
    from ingest_workers.demo.sample_person import generate_sample_person

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
        _report_outcomes(outcomes)
    _print_tables(lake, _run_etl(settings, lake, full=False))
    if not no_serve:
        ctx_obj = click.get_current_context()
        ctx_obj.invoke(serve)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except BiolakeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
