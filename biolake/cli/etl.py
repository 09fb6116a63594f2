"""`biolake etl`: bronze → silver → gold with Spark, then every table's row count."""

from __future__ import annotations

import click

from biolake.cli.context import Context, pass_context, print_tables
from biolake.lake import Lake
from biolake.settings import BiolakeSettings


def run_etl_once(settings: BiolakeSettings, lake: Lake, full: bool) -> dict[str, int]:
    """One ETL run in a Spark session of its own; prints its summary, returns the table rows."""
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


@click.command()
@click.option("--full", is_flag=True, help="Rebuild silver and gold from all of bronze.")
@pass_context
def etl(ctx: Context, full: bool) -> None:
    """Bronze → silver → gold (incremental)."""
    lake = ctx.lake()
    print_tables(lake, run_etl_once(ctx.settings, lake, full))
