"""`biolake ingest ...` and `biolake auth ...`: raw files and API pages into bronze, each logged
once; after an ingest in a cluster, the ETL started at once."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from biolake.cli.context import Context, pass_context, report_outcomes, report_sync
from biolake.errors import BiolakeError


@click.group()
def ingest() -> None:
    """Store raw files in bronze (content-addressed) and log every object."""


def _starts_etl_after(command: Callable[..., None]) -> Callable[..., None]:
    """With BIOLAKE_ETL_TRIGGER_CRONJOB set (the chart sets it on ingest CronJobs), an ingest
    after which the lake holds objects the ETL has not built starts the ETL at once, also when
    part of the ingest failed (what landed is worth building) and also when this run stored
    nothing (a previous run's trigger may have failed after its objects landed). A failure to
    start it fails the command; the data stays in bronze and the Job's retry starts the ETL."""

    @functools.wraps(command)
    def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> None:
        from biolake.delta_tables import unprocessed_object_count
        from ingest_workers.etl_trigger import etl_trigger_from_settings, ingested_object_count

        if not ctx.settings.etl_trigger_cronjob:
            return command(ctx, *args, **kwargs)
        lake = ctx.lake()
        before = ingested_object_count(lake)
        try:
            command(ctx, *args, **kwargs)
        finally:
            new = ingested_object_count(lake) - before
            waiting = unprocessed_object_count(lake)
            counts = f"{waiting} objects wait for the ETL, {max(new, 0)} new"
            if waiting <= 0:
                click.echo("etl: every object is built; no ETL Job started")
            else:
                try:
                    trigger = etl_trigger_from_settings(ctx.settings)
                    assert trigger is not None
                    where = click.get_current_context().command_path
                    outcome = trigger.start_etl(f"{counts}, after `{where}`")
                except BiolakeError as exc:  # EtlTriggerError, TokenStoreError ...
                    click.echo(f"error: {exc}", err=True)
                    sys.exit(1)
                click.echo(f"{outcome.describe()} ({counts})")

    return wrapper


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

        report_outcomes(ingest_oura_saved_responses(ctx.lake(), from_dir, ctx.settings.person_id))
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
    report_sync(report)


# -- auth -----------------------------------------------------------------------------------------
@click.group()
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

    report_outcomes(run(ctx.lake(), path, ctx.settings.person_id))


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
        report_sync(report)
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

    report_outcomes(ingest_peloton_csv(ctx.lake(), csv_path, ctx.settings.person_id))


@ingest.command("apple-health")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
@_starts_etl_after
def ingest_apple_health(ctx: Context, path: Path) -> None:
    """Apple Health export.zip or export.xml."""
    from ingest_workers.file_ingest import ingest_apple_health as run

    report_outcomes(run(ctx.lake(), path, ctx.settings.person_id))
