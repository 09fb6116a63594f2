"""`biolake etl`: bronze → silver → gold with Spark, then every table's row count."""

from __future__ import annotations

import time

import click

from biolake.cli.context import Context, pass_context, print_tables
from biolake.delta_tables import lake_table_rows, unprocessed_object_count
from biolake.lake import Lake
from biolake.lease import Holder, holding, lake_lease
from biolake.settings import BiolakeSettings

JVM_LOG_TAIL_LINES = 30


def run_etl_once(
    settings: BiolakeSettings, lake: Lake, full: bool, wait_s: float | None = None,
    quiet: bool = False,
) -> dict[str, int]:
    """One ETL run in a Spark session of its own, holding the lake's ETL lease (one ETL per
    lake: biolake/lease.py); prints its summary, returns the table rows. With nothing new to
    build (and not `full`) no Spark session starts and no lease is taken.

    Raises:
        LakeBusyError: another ETL holds the lease after `wait_s` (default: the setting).
    """
    waiting_objects = unprocessed_object_count(lake)
    if not full and waiting_objects == 0:
        # nothing new: said from the Delta logs with delta-rs, without starting a JVM
        click.echo("etl: 0 new objects, 0 records, 0 quarantined, 0 gold days rebuilt")
        return lake_table_rows(lake)
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    wait_s = settings.etl_wait_s if wait_s is None else wait_s
    lease = lake_lease(lake, "etl", settings.lease_ttl_s)

    def waiting(holder: Holder) -> None:
        click.echo(f"etl: waiting up to {wait_s:g} s for the ETL running {holder.describe()}",
                   err=True)

    def progress(step: str, seconds: float, jobs: int | None = None) -> None:
        # plain lines, so a CronJob's log reads the same as a terminal
        spark_jobs = "" if jobs is None else f"  ({jobs} Spark job{'' if jobs == 1 else 's'})"
        click.echo(f"etl: {step:<40} {seconds:7.1f} s{spark_jobs}")

    with holding(lease, activity="an ETL", wait_s=wait_s, on_wait=waiting):
        if not quiet:
            what = "everything in bronze" if full else f"{waiting_objects} new objects"
            click.echo(f"etl: starting Spark for {what}")
        started = time.perf_counter()
        # the JVM's own lines go to a log file; --debug keeps them on the terminal
        jvm_log = None if settings.debug else settings.home.expanduser() / "logs" / "spark-etl.log"
        spark = build_spark_session(settings, "biolake-etl", jvm_log=jvm_log)
        if not quiet:
            progress("spark session", time.perf_counter() - started)
        try:
            report = run_etl(spark, lake, full=full, on_step=None if quiet else progress)
        except Exception:
            if jvm_log is not None:  # its last lines too: a pod's log file goes with the pod
                tail = jvm_log.read_text(errors="replace").splitlines()[-JVM_LOG_TAIL_LINES:]
                click.echo(f"etl: the last lines of Spark's own log ({jvm_log}):", err=True)
                click.echo("\n".join(f"  {line}" for line in tail), err=True)
            raise
        finally:
            spark.stop()
    if getattr(lease, "lost", False):
        click.echo("warning: the ETL lease expired during the run (renewals failed for longer "
                   f"than {settings.lease_ttl_s:g} s); run `biolake etl` again to be sure", err=True)
    click.echo(
        f"etl: {report.objects_processed} new objects, {report.records_read} records, "
        f"{report.records_quarantined} quarantined, {report.gold_days_rebuilt} gold days rebuilt"
    )
    return report.table_rows


@click.command()
@click.option("--full", is_flag=True, help="Rebuild silver and gold from all of bronze.")
@click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=None,
              help="Seconds to wait for an ETL already running on the lake (default: "
              "BIOLAKE_ETL_WAIT_S, 0); still busy then: exit code 75.")
@click.option("--quiet", is_flag=True, help="No line per step; only the summary.")
@pass_context
def etl(ctx: Context, full: bool, wait_s: float | None, quiet: bool) -> None:
    """Bronze → silver → gold (incremental). One ETL per lake at a time: a second one waits
    (--wait) or exits with code 75, and the objects it would have read are built by the
    running one or the next."""
    lake = ctx.lake()
    print_tables(lake, run_etl_once(ctx.settings, lake, full, wait_s, quiet=quiet))
