"""Read-only answers: `biolake views apply`, `biolake sql`, `biolake ask` and `biolake eval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from biolake.cli.context import Context, pass_context


@click.group()
def views() -> None:
    """The nine gold views on the serving engine."""


@views.command("apply")
@pass_context
def views_apply(ctx: Context) -> None:
    """Register the lake's tables and create or replace the gold views (idempotent)."""
    settings, lake = ctx.settings, ctx.lake()
    if settings.engine == "trino":
        from app.serving.trino_catalog import apply_to_trino

        report = apply_to_trino(lake, settings.trino_url, settings.trino_writer_user,
                                settings.trino_catalog, views_dir=settings.views_dir)
        click.echo(
            f"trino: {len(report.registered)} tables registered, {len(report.reregistered)} "
            f"re-registered, {len(report.tables_unchanged)} unchanged; "
            f"{len(report.views_replaced)} views created or replaced, "
            f"{len(report.views_unchanged)} unchanged"
        )
        if report.views_waiting:
            tables = sorted({t for needed in report.views_waiting.values() for t in needed})
            click.echo(
                f"{len(report.views_waiting)} views wait for tables the lake does not have yet "
                f"({', '.join(tables)}): the first ETL that builds them applies them"
            )
        return
    from app.serving.engines.duckdb_engine import DuckDBEngine
    from app.serving.gold_views import VIEW_NAMES

    engine = DuckDBEngine(lake, timeout_s=settings.query_timeout_s)  # views from trino/views via sqlglot
    for name in VIEW_NAMES:
        rows = engine.query(f"SELECT count(*) FROM gold.{name}").rows[0][0]
        click.echo(f"  gold.{name:<36} {rows:>8} rows")
    click.echo("duckdb: the views are built from trino/views/*.sql each time a query runs")


@click.command()
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


@click.command()
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
    if answer.interpretation:
        click.echo(f"({answer.interpretation})")
    click.echo(answer.answer)
    if answer.fallback_reason:
        click.echo(f"note: answered offline because {answer.fallback_reason}", err=True)
    click.echo(f"  {answer.translator} SQL on {answer.engine} ({answer.elapsed_ms} ms): {answer.sql}")
    for row in answer.rows[:10]:
        click.echo("  " + "  ".join(str(v) for v in row))
    if len(answer.rows) > 10:
        click.echo(f"  ... {len(answer.rows)} rows (--format json for all)")


@click.group("eval")
def eval_group() -> None:
    """Measure a part of the system against its benchmark."""


@eval_group.command("nl2sql")
@click.option("--translator", type=click.Choice(["offline", "claude"]), default="offline",
              show_default=True)
@click.option("--questions", type=click.Path(exists=True, path_type=Path),
              help="Benchmark file, or a folder of them such as benchmarks/nl2sql "
                   "(default: app/nl2sql/questions.yaml).")
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
