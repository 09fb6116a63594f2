"""`make bench`: speed of the pipeline, the serving engines and the answer path, measured side by
side in one run on this machine, written to `benchmarks/results/<date>.json` and `.md` and into
the README's benchmark table (between the BENCHMARK markers).

Measured now (each figure says what, on what data and how many runs):
  1. end to end, embedded: the demo person (90 days of Oura via the simulator, ~833 Peloton
     workouts, Apple Health), split into generate+ingest, Spark session start, ETL, views;
  4. serving: each gold view on DuckDB and on warm Trino (p50/p95 of N runs);
  5. answer path: `ask` with the offline translator on the benchmark questions, cold and cached.
Not measured yet (the benchmark issue lists them): incremental cost vs history length, the
10 people x 2 years scale run, the 1 GB Apple Health import, the dashboard in a browser, and
the Spark SQL ratio for the views.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2025, 3, 31)
TARGETS = {"end_to_end_s": 45.0, "duckdb_view_p50_ms": 50.0, "trino_view_p50_ms": 500.0,
           "ask_p50_ms": 300.0}


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "runs": len(ordered)}


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_end_to_end(home: Path) -> dict:
    from biolake.cli import Context
    from ingest_workers.file_ingest import ingest_apple_health, ingest_peloton_csv
    from ingest_workers.oura_demo import sync_sample_person
    from ingest_workers.sample_person import generate_sample_person
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    ctx = Context({"home": home, "as_of": AS_OF})
    settings, lake = ctx.settings, ctx.lake()

    def ingest() -> None:
        files = generate_sample_person(home / "input", end_day=AS_OF, seed=7, apple_health=True)
        sync_sample_person(settings, lake, files.oura_dir)
        ingest_peloton_csv(lake, files.peloton_csv, settings.person_id)
        ingest_apple_health(lake, files.apple_health_xml, settings.person_id)

    ingest_s, _ = _timed(ingest)
    session_s, spark = _timed(lambda: build_spark_session(settings, "biolake-bench"))
    etl_s, report = _timed(lambda: run_etl(spark, lake))
    spark.stop()

    def views() -> None:
        from app.engines.duckdb_engine import DuckDBEngine
        from app.gold_views import VIEW_NAMES

        engine = DuckDBEngine(lake)
        for name in VIEW_NAMES:
            engine.query(f"SELECT count(*) FROM gold.{name}")

    views_s, _ = _timed(views)
    total = ingest_s + session_s + etl_s + views_s
    return {
        "what": "demo person end to end, embedded (one run, cold JVM)",
        "data": f"{report.records_read} records from {report.objects_processed} bronze objects",
        "generate_and_ingest_s": ingest_s, "spark_session_start_s": session_s, "etl_s": etl_s,
        "views_duckdb_s": views_s, "total_s": total,
        "target_s": TARGETS["end_to_end_s"], "met": total <= TARGETS["end_to_end_s"],
        "lake": lake,
    }


def bench_serving(lake, runs: int) -> dict:
    from app.engines.duckdb_engine import DuckDBEngine
    from app.engines.trino_engine import TrinoEngine
    from app.gold_views import VIEW_NAMES
    from app.trino_catalog import apply_to_trino
    from biolake.trino_server import TrinoServer

    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    load_s, duck = _timed(lambda: DuckDBEngine(lake))
    results: dict = {"duckdb_load_s": load_s, "views": {}}
    with tempfile.TemporaryDirectory() as run_dir:
        server = TrinoServer(lake, cache, Path(run_dir))
        start_s, _ = _timed(server.start)
        results["trino_start_s"] = start_s
        try:
            apply_to_trino(lake, server.url, "biolake_writer")
            trino = TrinoEngine(server.url, "analyst")
            for name in VIEW_NAMES:
                sql = f"SELECT * FROM gold.{name}"
                trino.query(sql)  # warm
                duck_samples = [_timed(lambda s=sql: duck.query(s))[0] * 1000 for _ in range(runs)]
                trino_samples = [_timed(lambda s=sql: trino.query(s))[0] * 1000 for _ in range(runs)]
                results["views"][name] = {"duckdb_ms": _percentiles(duck_samples),
                                          "trino_ms": _percentiles(trino_samples)}
        finally:
            server.stop()
    return results


def bench_ask(settings_home: Path, lake, runs: int) -> dict:
    from app.nl2sql.ask import Asker
    from biolake.settings import BiolakeSettings

    questions = yaml.safe_load((REPO / "benchmarks" / "nl2sql" / "questions.yaml").read_text())
    items = questions["questions"] if isinstance(questions, dict) else questions
    texts = [q["question"] for q in items][:runs]
    settings = BiolakeSettings(home=settings_home, as_of=AS_OF)
    asker = Asker(settings, lake)
    cold = [_timed(lambda q=q: asker.ask(q))[0] * 1000 for q in texts]
    cached = [_timed(lambda q=q: asker.ask(q))[0] * 1000 for q in texts]
    return {"what": "biolake ask, offline translator, DuckDB, in-process",
            "questions": len(texts), "cold_ms": _percentiles(cold), "cached_ms": _percentiles(cached)}


def _markdown(result: dict) -> str:
    e2e, serving, ask = result["end_to_end"], result["serving"], result["ask"]
    ok = lambda met: "met" if met else "**missed**"  # noqa: E731
    lines = [
        f"Measured {result['date']} on {result['machine']} by `make bench`.",
        "",
        "| measurement | value | target |",
        "|---|---|---|",
        f"| demo end to end, embedded (1 run, cold JVM): ingest {e2e['generate_and_ingest_s']:.1f} s, "
        f"Spark start {e2e['spark_session_start_s']:.1f} s, ETL {e2e['etl_s']:.1f} s, views "
        f"{e2e['views_duckdb_s']:.1f} s | {e2e['total_s']:.1f} s | ≤ 45 s ({ok(e2e['met'])}) |",
    ]
    duck_p50 = max(v["duckdb_ms"]["p50"] for v in serving["views"].values())
    trino_p50 = max(v["trino_ms"]["p50"] for v in serving["views"].values())
    runs = next(iter(serving["views"].values()))["duckdb_ms"]["runs"]
    lines += [
        f"| slowest gold view p50 on DuckDB ({runs} runs each, demo person) | {duck_p50:.1f} ms "
        f"| ≤ 50 ms ({ok(duck_p50 <= 50)}) |",
        f"| slowest gold view p50 on warm Trino ({runs} runs each) | {trino_p50:.0f} ms "
        f"| ≤ 500 ms ({ok(trino_p50 <= 500)}) |",
        f"| `ask` offline, {ask['questions']} benchmark questions: p50 / p95 cold | "
        f"{ask['cold_ms']['p50']:.0f} / {ask['cold_ms']['p95']:.0f} ms | p50 ≤ 300 ms "
        f"({ok(ask['cold_ms']['p50'] <= 300)}) |",
        f"| `ask` offline, same questions cached: p50 / p95 | {ask['cached_ms']['p50']:.0f} / "
        f"{ask['cached_ms']['p95']:.0f} ms | |",
        f"| Trino server start (Delta plugin only) | {serving['trino_start_s']:.0f} s | |",
        "",
        "Per view (p50 / p95 ms): "
        + "; ".join(f"{n} {v['duckdb_ms']['p50']:.0f}/{v['duckdb_ms']['p95']:.0f} DuckDB, "
                    f"{v['trino_ms']['p50']:.0f}/{v['trino_ms']['p95']:.0f} Trino"
                    for n, v in serving["views"].items()),
        "",
        "Not measured yet: incremental cost vs history, the 10 people x 2 years scale run, the "
        "1 GB Apple Health import, the dashboard, the Spark SQL ratio.",
    ]
    return "\n".join(lines)


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "20"))
    with tempfile.TemporaryDirectory(prefix="biolake-bench-") as tmp:
        home = Path(tmp)
        e2e = bench_end_to_end(home)
        lake = e2e.pop("lake")
        serving = bench_serving(lake, runs)
        ask = bench_ask(home, lake, runs)
    result = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "end_to_end": e2e, "serving": serving, "ask": ask,
    }
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{result['date']}.json").write_text(json.dumps(result, indent=2, default=str))
    table = _markdown(result)
    (out / f"{result['date']}.md").write_text(table + "\n")
    readme = REPO / "README.md"
    text = readme.read_text()
    block = f"<!-- BENCHMARK:START -->\n{table}\n<!-- BENCHMARK:END -->"
    if "<!-- BENCHMARK:START -->" in text:
        text = re.sub(r"<!-- BENCHMARK:START -->.*<!-- BENCHMARK:END -->", lambda _: block, text,
                      flags=re.S)
    else:
        text += f"\n## Benchmarks\n\n{block}\n"
    readme.write_text(text)
    print(table)


if __name__ == "__main__":
    main()
