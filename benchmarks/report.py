"""The Markdown of a benchmark run: one table of figures (what, data, runs, result, target),
then the per-query serving table. The same text goes to `benchmarks/results/<date>.md` and into
the README between the BENCHMARK markers."""

from __future__ import annotations

from typing import Any


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _verdict(figure: dict[str, Any]) -> str:
    if figure["met"] is None:
        return figure["target"]
    return f"{figure['target']} ({'met' if figure['met'] else '**missed**'})"


def _ms(p: dict[str, float]) -> str:
    return f"{p['p50']:.0f} / {p['p95']:.0f}" if p["p50"] >= 10 else f"{p['p50']:.1f} / {p['p95']:.1f}"


def serving_table(serving: dict[str, Any]) -> list[str]:
    runs = serving["runs"]
    lines = [
        f"Per query, p50 / p95 in ms (DuckDB {runs['duckdb']} runs, warm Trino {runs['trino']}, "
        f"Spark SQL {runs['spark']}, each after one warm-up run; engines take turns query by "
        "query). Ratio = engine p50 ÷ Spark SQL p50 (below 1 is faster than Spark SQL).",
        "",
        "| query | DuckDB | Trino | Spark SQL | DuckDB ÷ Spark | Trino ÷ Spark |",
        "|---|---|---|---|---|---|",
    ]
    for q in serving["queries"]:
        spark = q["spark_ms"]["p50"]
        name = f"view `{q['name']}`" if q["kind"] == "view" else q["name"]
        lines.append(
            f"| {_cell(name)} | {_ms(q['duckdb_ms'])} | {_ms(q['trino_ms'])} | "
            f"{_ms(q['spark_ms'])} | {q['duckdb_ms']['p50'] / spark:.3f} | "
            f"{q['trino_ms']['p50'] / spark:.2f} |"
        )
    return lines


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Measured {result['date']} by `make bench` on {result['machine']}; the whole run took "
        f"**{result['total_wall_s'] / 60:.1f} min** (load average {result['load_average']['start']:.1f} "
        f"at the start, {result['load_average']['end']:.1f} at the end: other jobs shared the 2 cores).",
        "",
        "| # | measurement | data | runs | result | target |",
        "|---|---|---|---|---|---|",
    ]
    # in the order (1 end to end ... 7 dashboard), whatever order they ran in
    for f in sorted(result["figures"], key=lambda f: f["section"]):
        lines.append(
            f"| {_cell(f['section'])} | {_cell(f['what'])} | {_cell(f['data'])} | "
            f"{_cell(f['runs'])} | {_cell(f['result'])} | {_cell(_verdict(f))} |"
        )
    if result.get("serving"):
        lines += ["", *serving_table(result["serving"])]
    if result.get("notes"):
        lines += ["", *[f"- {note}" for note in result["notes"]]]
    return "\n".join(lines)
