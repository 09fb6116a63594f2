"""`make bench`: the speed of the pipeline, the serving engines, the answer path, the imports and
the dashboard, measured side by side in one run on this machine. Writes
`benchmarks/results/<date>.json` and `.md` and the README's table (between the BENCHMARK
markers); every figure says what was measured, on what data, how many runs, and its target.

    1. end to end: the demo person through `biolake demo --no-serve`'s steps, each run in a new
       process (cold JVM) after a warm-up process; median and spread;
    2. incremental: one new day ingested and built, 90 days of history against 5 years;
    3. scale: people x 2 years with heart rate at the ring's real density, one full build;
       rows per second per stage, peak memory of the process tree;
    4. serving: nine views and ten dashboard queries on DuckDB, warm Trino and Spark SQL;
    5. answer path: `ask` with the offline translator on the benchmark questions;
    6. import: a generated 1 GB Apple Health export.xml through `biolake ingest apple-health`;
    7. dashboard: `biolake serve` in Chromium, first render and an Ask round trip.

`--quick` runs everything at a tiny scale (minutes, for development; results are printed, and
neither the results folder nor the README is touched); `--only` picks measurements; the scale
options (`--scale-people`, `--apple-mb`, ...) override the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MEASUREMENTS = ("e2e", "serving", "ask", "browser", "sessions", "incremental", "scale", "apple")
FULL_SCALE = (10, 730)  # people x days the issue asks for
NO_TARGET = "no target"
TARGETS = {"e2e_s": 45.0, "incremental_ratio": 1.5, "hr_rows_per_s": 100_000.0,
           "duckdb_view_p50_ms": 50.0, "trino_view_p50_ms": 500.0, "ask_p50_ms": 100.0,
           "apple_rss_mb": 300.0}


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny scale, nothing written")
    parser.add_argument("--only", help=f"comma list of {','.join(MEASUREMENTS)}")
    parser.add_argument("--demo-home", type=Path,
                        help="reuse this demo home (skips end to end when e2e is not asked for)")
    parser.add_argument("--e2e-runs", type=int, default=3)
    parser.add_argument("--e2e-budget-s", type=float, default=480,
                        help="stop adding end-to-end runs (at least 2) past this many seconds")
    parser.add_argument("--serving-runs", default="duckdb=20,trino=5,spark=3")
    parser.add_argument("--ask-questions", type=int, default=0, help="0: all of them")
    parser.add_argument("--browser-runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=20, help="dashboard sessions asking at once")
    parser.add_argument("--incremental-history", type=int, default=1826,
                        help="days of the long history (the short one is the demo person's 90)")
    parser.add_argument("--incremental-days", type=int, default=3, help="new days per person")
    parser.add_argument("--incremental-budget-s", type=float, default=300,
                        help="start no new day (after two) past this many seconds of new days")
    # the full size: 10 people's ingest + build took ~5 min once the ingestion log
    # was compacted and payloads parsed once (it was ~25 min before)
    parser.add_argument("--scale-people", type=int, default=10)
    parser.add_argument("--scale-days", type=int, default=730)
    parser.add_argument("--apple-mb", type=int, default=1024)
    parser.add_argument("--child", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.quick:
        options.e2e_runs, options.serving_runs = 1, "duckdb=3,trino=2,spark=2"
        options.ask_questions, options.browser_runs, options.sessions = 5, 1, 3
        options.incremental_history, options.incremental_days = 180, 2
        options.scale_people, options.scale_days, options.apple_mb = 1, 30, 20
    options.selected = options.only.split(",") if options.only else list(MEASUREMENTS)
    unknown = set(options.selected) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurements {sorted(unknown)}; known: {', '.join(MEASUREMENTS)}")
    return options


# -- children ------------------------------------------------------------------------------------
def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    if os.environ.get("BIOLAKE_CACHE_DIR"):
        env["BIOLAKE_CACHE_DIR"] = os.environ["BIOLAKE_CACHE_DIR"]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def _in_child(name: str, **arguments: Any):
    """Run `name` in its own Python process; returns (its JSON result, the ChildRun)."""
    from benchmarks.measure import run_child

    command = [sys.executable, "-m", "benchmarks.run", "--child", name,
               json.dumps(arguments, default=str)]
    run = run_child(command, env=_child_env(), cwd=REPO)
    if run.returncode != 0:
        raise RuntimeError(f"benchmark child {name} failed (exit {run.returncode}):\n{run.stderr_tail}")
    return run.result(), run


def _child_main(name: str, payload: str) -> None:
    from benchmarks import pipeline, serving
    from benchmarks.measure import emit_result

    args = json.loads(payload)
    if name == "warmup":
        result = pipeline.warm_up()
    elif name == "e2e":
        result = pipeline.end_to_end(Path(args["home"]))
    elif name == "incremental":
        result = pipeline.incremental(Path(args["root"]), Path(args["short_home"]),
                                      args["long_days"], args["new_days"], args["budget_s"])
    elif name == "scale":
        result = pipeline.scale(Path(args["root"]), args["people"], args["days"])
    elif name == "serving":
        result = serving.serving(Path(args["home"]), args["runs"])
    else:
        raise SystemExit(f"unknown child {name}")
    emit_result(result)


# -- 1. end to end -------------------------------------------------------------------------------
def bench_end_to_end(root: Path, runs: int, budget_s: float, figures: list, notes: list) -> Path:
    """Returns the demo home of the last run, for the other measurements."""
    from benchmarks.measure import Figure, fmt_spread, spread
    from benchmarks.pipeline import DEMO_PELOTON_WORKOUTS

    warmup_s = _in_child("warmup")[1].wall_s
    results, walls, started = [], [], time.perf_counter()
    for k in range(runs):
        result, run = _in_child("e2e", home=root / f"demo-{k}")
        results.append(result)
        walls.append(run.wall_s)
        elapsed = time.perf_counter() - started
        if k + 1 < runs and k + 1 >= 2 and elapsed + run.wall_s > budget_s:
            notes.append(f"End to end: {k + 1} runs instead of {runs}; another did not fit its "
                         f"{budget_s / 60:.0f}-minute share of the 20-minute budget.")
            break
    n = len(results)
    section, runs_text = "1", f"{n} (new process each, after a warm-up process of {warmup_s:.0f} s)"
    data = (f"demo person: 90 days of Oura (simulator + live client), "
            f"{DEMO_PELOTON_WORKOUTS} Peloton workouts, Apple Health; "
            f"{results[0]['etl']['records']:,} records in {results[0]['etl']['objects']} objects")
    total = spread([r["total_s"] for r in results])
    figures.append(Figure(section, "demo end to end, embedded: generate+ingest, Spark start, ETL, "
                          "DuckDB views (sum of the steps)", data, runs_text, fmt_spread(total),
                          total["median"], "s", f"≤ {TARGETS['e2e_s']:.0f} s",
                          total["median"] <= TARGETS["e2e_s"], {"runs": results}))
    for key, label in (("ingest_s", "generate + ingest (simulator, client, bronze)"),
                       ("spark_start_s", "Spark session start (cold JVM)"), ("etl_s", "Spark ETL"),
                       ("views_s", "DuckDB: load the lake, nine views")):
        s = spread([r[key] for r in results])
        figures.append(Figure(section, f"  of which {label}", "same", str(n), fmt_spread(s),
                              s["median"], "s"))
    wall = spread(walls)
    figures.append(Figure(section, "  the whole process (Python start to exit, JVM stop included)",
                          "same", str(n), fmt_spread(wall), wall["median"], "s"))
    steps: dict[str, list[float]] = {}
    for r in results:
        for step, seconds in r["etl"]["steps_s"].items():
            steps.setdefault(step, []).append(seconds)
    top = sorted(((statistics.median(v), k) for k, v in steps.items()), reverse=True)[:5]
    figures.append(Figure(section, "  ETL: slowest steps (median)", "same", str(n),
                          ", ".join(f"{k} {v:.1f} s" for v, k in top), None, "s",
                          detail={"steps_s": steps}))
    return root / f"demo-{n - 1}"


# -- 2. incremental ------------------------------------------------------------------------------
def bench_incremental(root: Path, demo: Path, long_days: int, new_days: int, budget_s: float,
                      figures: list, notes: list) -> None:
    from benchmarks.measure import Figure, fmt_spread, spread

    result, _ = _in_child("incremental", root=root, short_home=demo, long_days=long_days,
                          new_days=new_days, budget_s=budget_s)
    if "stopped_after_days" in result:
        notes.append(f"Incremental: {result['stopped_after_days']} new days per person instead of "
                     f"{new_days}; another did not fit its {budget_s / 60:.0f}-minute share.")
    long = result["long_history"]
    histories = {
        "short": (f"the demo person, 90 days (a copy of an end-to-end run's lake): "
                  f"{_silver_rows(result['short_history']['table_rows']):,} silver rows, "
                  f"{result['short_history']['table_rows'].get('_ops.ingestion_log', 0)} objects"),
        "long": (f"{_span(long_days)} of Oura (heart rate every 5 min) and 5 years of Peloton: "
                 f"{long['records']:,} records in {long['objects']} objects (one per endpoint "
                 f"and year), built in {long['build_s']:.0f} s"),
    }
    medians = {}
    for who, label in (("short", "90 days"), ("long", _span(long_days))):
        runs = result["runs"][who]
        total = spread([r["total_s"] for r in runs])
        medians[who] = total["median"]
        ingest = statistics.median(r["ingest_s"] for r in runs)
        records = statistics.median(r["records"] for r in runs)
        figures.append(Figure(
            "2", f"one new day of Oura (~{records:,.0f} records, every endpoint) ingested as saved "
            f"responses and built by the incremental ETL, {label} of history", histories[who],
            f"{len(runs)} new days, one warm Spark session", f"{fmt_spread(total)} (ingest "
            f"{ingest:.1f} s of it)", total["median"], "s", detail={"runs": runs}))
    steps: dict[str, list[float]] = {}
    for run in result["runs"]["short"] + result["runs"]["long"]:
        for step, seconds in run["etl_steps_s"].items():
            steps.setdefault(step, []).append(seconds)
    top = sorted(((statistics.median(v), k) for k, v in steps.items()), reverse=True)[:4]
    figures.append(Figure("2", "  the new day's ETL: slowest steps (median, both people)", "as above",
                          "as above", ", ".join(f"{k} {v:.1f} s" for v, k in top), None, "s"))
    ratio = medians["long"] / medians["short"]
    figures.append(Figure("2", f"incremental cost flat in history: {_span(long_days)} / 90 days "
                          "(ratio of the medians)", "as above", "as above", f"{ratio:.2f}", ratio,
                          "ratio", f"≤ {TARGETS['incremental_ratio']}",
                          ratio <= TARGETS["incremental_ratio"], {"long_history": long}))


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _silver_rows(table_rows: dict[str, int]) -> int:
    return sum(n for name, n in table_rows.items() if name.startswith("silver."))


def _span(days: int) -> str:
    return f"{days / 365.25:.0f} years" if days >= 730 else f"{days} days"


# -- 3. scale ------------------------------------------------------------------------------------
def bench_scale(root: Path, people: int, days: int, figures: list, notes: list) -> None:
    from benchmarks.measure import Figure

    result, _ = _in_child("scale", root=root, people=people, days=days)
    steps = result["etl"]["steps_s"]
    hr = result["heartrate_records"]
    per_day = hr / (people * days)
    data = (f"{_people(people)} x {_span(days)}: Oura with heart rate at the ring's density "
            f"(~{per_day:,.0f} samples/day), Peloton; {result['records']:,} records "
            f"({hr:,} heart rate), {result['input_bytes'] / 2**20:,.0f} MB of files")
    if (people, days) != FULL_SCALE:
        data += f" (**not** the full {FULL_SCALE[0]} x {_span(FULL_SCALE[1])}: see the notes)"
    hr_s = steps.get("extract", 0) + steps.get("silver.oura_heartrate", 0)
    hr_rate = hr / hr_s
    build = result["build_s"]
    memory = result["build_memory"]
    split = ", ".join(f"{k} {v:,} MB" for k, v in sorted(memory["split_at_peak_mb"].items()) if v)
    rows = [
        ("generate (vectorised sample people)", f"{hr / result['generate_s']:,.0f} heart-rate rows/s "
         f"({result['generate_s']:.0f} s)", hr / result["generate_s"], "rows/s", NO_TARGET, None),
        ("ingest to bronze (hash, validate by parsing, copy, log)",
         f"{result['records'] / result['ingest_s']:,.0f} records/s, "
         f"{result['input_bytes'] / 2**20 / result['ingest_s']:.1f} MB/s ({result['ingest_s']:.0f} s, "
         f"{result['objects']} objects)", result["records"] / result["ingest_s"], "records/s", NO_TARGET, None),
        ("bronze → silver, heart rate (extraction of all records charged to it, then parse, "
         "validate, MERGE)", f"{hr_rate:,.0f} rows/s ({hr_s:.0f} s)", hr_rate, "rows/s",
         f"≥ {TARGETS['hr_rows_per_s']:,.0f} rows/s", hr_rate >= TARGETS["hr_rows_per_s"]),
        ("gold daily rows rebuilt", f"{result['etl']['gold_days'] / steps['gold']:,.0f} rows/s "
         f"({steps['gold']:.0f} s, {result['etl']['gold_days']:,} rows)",
         result["etl"]["gold_days"] / steps["gold"], "rows/s", NO_TARGET, None),
        ("full build (`run_etl`, all tables)", f"{build:.0f} s, {result['records'] / build:,.0f} "
         f"records/s", build, "s", NO_TARGET, None),
        ("peak memory during the build: Python driver + JVM + Python workers (RSS, /proc)",
         f"{memory['peak_total_mb']:,} MB ({split})", memory["peak_total_mb"], "MB", NO_TARGET, None),
    ]
    for k, (what, text, value, unit, target, met) in enumerate(rows):
        figures.append(Figure("3", what, data if k == 0 else "same", "1 (one full build)", text,
                              value, unit, target, met, result if k == 0 else {}))
    if (people, days) != FULL_SCALE:
        factor = FULL_SCALE[0] * FULL_SCALE[1] / (people * days)
        notes.append(
            f"Scale: {_people(people)} x {_span(days)} measured (what fits the 20-minute total "
            f"with room for a busier machine), not {FULL_SCALE[0]} x {_span(FULL_SCALE[1])} "
            f"(~{hr * factor / 1e6:.1f} M heart-rate rows): scaled linearly from this run, its "
            f"ingest and build would take ~{(result['ingest_s'] + build) * factor / 60:.0f} min "
            f"(`benchmarks/run.py --only scale --scale-people 10` measures it)."
        )


# -- 4. serving ----------------------------------------------------------------------------------
def bench_serving(home: Path, runs: dict[str, int], figures: list) -> dict:
    from benchmarks.measure import Figure

    result, _ = _in_child("serving", home=home, runs=runs)
    views = [q for q in result["queries"] if q["kind"] == "view"]
    dash = [q for q in result["queries"] if q["kind"] == "dashboard"]
    data = "demo person (90 days, 833 workouts)"
    for engine, label, target_key in (("duckdb", "DuckDB (embedded)", "duckdb_view_p50_ms"),
                                      ("trino", "Trino, warm", "trino_view_p50_ms"),
                                      ("spark", "Spark SQL over the same Delta tables", None)):
        n = runs[engine]
        for kind, queries in (("the nine gold views", views), ("ten dashboard queries", dash)):
            slowest = max(queries, key=lambda q, e=engine: q[f"{e}_ms"]["p50"])
            p50 = slowest[f"{engine}_ms"]["p50"]
            med = statistics.median(q[f"{engine}_ms"]["p50"] for q in queries)
            target = TARGETS[target_key] if target_key and kind.endswith("views") else None
            figures.append(Figure(
                "4", f"{label}: {kind}, slowest p50 (median p50)", data,
                f"{n} each after a warm-up", f"{p50:.0f} ms ({slowest['name']}); median {med:.0f} ms",
                p50, "ms", f"p50 ≤ {target:.0f} ms per view" if target else NO_TARGET,
                (p50 <= target) if target else None))
    for engine, label in (("duckdb", "DuckDB"), ("trino", "Trino")):
        ratios = [q[f"{engine}_ms"]["p50"] / q["spark_ms"]["p50"] for q in result["queries"]]
        med = statistics.median(ratios)
        figures.append(Figure("4", f"{label} against Spark SQL: p50 ÷ Spark SQL p50, median over "
                              "the 19 queries", data, "as above",
                              f"{med:.3f} (range {min(ratios):.3f}-{max(ratios):.3f}): "
                              f"{1 / med:.0f}x faster" if med < 1 else f"{med:.2f}", med, "x",
                              "ratio reported, no threshold"))
    figures.append(Figure("4", "engine start: DuckDB load / Trino server / Spark session", data, "1",
                          f"{result['duckdb_load_s']:.1f} s / {result['trino_start_s']:.0f} s / "
                          f"{result['spark_start_s']:.0f} s", None, "s"))
    return result


# -- 5. ask --------------------------------------------------------------------------------------
def bench_ask(home: Path, limit: int, figures: list) -> None:
    import yaml

    from app.nl2sql.ask import Asker
    from app.nl2sql.errors import NotUnderstood
    from app.nl2sql.offline.translator import OfflineTranslator
    from benchmarks.measure import Figure, percentiles, timed
    from benchmarks.pipeline import AS_OF, _context
    from biolake.settings import BiolakeSettings

    # what people ask: the held-out file and the paraphrase families (benchmarks/nl2sql)
    texts = [q["question"] for path in sorted((REPO / "benchmarks" / "nl2sql").glob("*.yaml"))
             for q in yaml.safe_load(path.read_text())["questions"]]
    texts = texts[:limit] if limit else texts
    _, lake = _context(home)

    def translate(translator: OfflineTranslator, question: str) -> None:
        try:
            translator.translate(question)
        except NotUnderstood:  # a decline is an answer too, and as fast
            pass

    def ask(asker: Asker, question: str) -> None:
        try:
            asker.ask(question)
        except NotUnderstood:  # the files hold questions that must be declined
            pass

    translator = OfflineTranslator(AS_OF)
    translation = [timed(lambda q=q: translate(translator, q))[0] * 1000 for q in texts]
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as state:
        settings = BiolakeSettings(home=Path(state), as_of=AS_OF, anthropic_api_key=None)
        asker = Asker(settings, lake)
        cold = [timed(lambda q=q: ask(asker, q))[0] * 1000 for q in texts]
        cached = [timed(lambda q=q: ask(asker, q))[0] * 1000 for q in texts]
    data = "demo person; benchmarks/nl2sql/*.yaml"
    end_to_end = "`ask`, offline translator, DuckDB, in-process, end to end"
    for label, samples, target in (
            ("the offline translator alone: question to SQL text (or its decline)", translation, None),
            (f"{end_to_end}: cold (first time each)", cold, TARGETS["ask_p50_ms"]),
            (f"{end_to_end}: cached (same questions again)", cached, None)):
        p = percentiles(samples)
        figures.append(Figure(
            "5", label, data,
            f"{len(texts)} questions", f"p50 {p['p50']:.0f} ms, p95 {p['p95']:.0f} ms", p["p50"],
            "ms", f"p50 ≤ {target:.0f} ms" if target else NO_TARGET,
            (p["p50"] <= target) if target else None))


# -- 6. Apple Health import ----------------------------------------------------------------------
def bench_apple(root: Path, megabytes: int, figures: list) -> None:
    from benchmarks.apple_health_export import write_export
    from benchmarks.measure import MB, Figure, run_child

    root.mkdir(parents=True, exist_ok=True)
    export = root / "export.xml"
    try:
        gen_s = time.perf_counter()
        info = write_export(export, megabytes * MB)
        gen_s = time.perf_counter() - gen_s
        biolake = str(Path(sys.executable).with_name("biolake"))
        run = run_child([biolake, "--home", str(root / "home"), "ingest", "apple-health", str(export)],
                        env=_child_env(), cwd=REPO)
    finally:
        export.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)  # the bronze copy is as large
    if run.returncode != 0:
        raise RuntimeError(f"biolake ingest apple-health failed:\n{run.stderr_tail}")
    records = sum(int(m) for m in re.findall(r"records=(\d+)", run.stdout))
    size_mb = info["bytes"] / MB
    data = (f"generated export.xml, {size_mb:,.0f} MB ({info['days']:,} days of Watch + iPhone "
            f"records, written in {gen_s:.0f} s); {records:,} records kept")
    rss = run.maxrss_bytes / MB
    figures.append(Figure("6", "`biolake ingest apple-health` (own process): wall time", data, "1",
                          f"{run.wall_s:.0f} s ({size_mb / run.wall_s:.1f} MB/s)", run.wall_s, "s"))
    figures.append(Figure("6", "  its peak resident memory (ru_maxrss of the process)", "same", "1",
                          f"{rss:.0f} MB (sampled /proc peak {run.memory.peak_total / MB:.0f} MB)",
                          rss, "MB", f"≤ {TARGETS['apple_rss_mb']:.0f} MB",
                          rss <= TARGETS["apple_rss_mb"]))


# -- 7. dashboard --------------------------------------------------------------------------------
def bench_browser(home: Path, runs: int, figures: list) -> None:
    from benchmarks.browser import dashboard
    from benchmarks.measure import Figure, fmt_spread, spread

    result = dashboard(home, runs)
    data = "demo person's lake; Debian Chromium via Playwright, fresh browser context per run"
    figures.append(Figure("7", "`biolake serve`: process start to /healthz", data, "1",
                          f"{result['serve_to_healthz_s']:.1f} s", result["serve_to_healthz_s"], "s"))
    for key, label in (("first_render_s", "dashboard: navigation to the rendered Overview"),
                       ("ask_round_trip_s", 'dashboard: Ask "Am I overtraining?", Enter to the '
                        "rendered answer")):
        s = spread([r[key] for r in result["runs"]])
        figures.append(Figure("7", label, "same", f"{runs} after a warm-up run",
                              fmt_spread(s, digits=2), s["median"], "s", detail=result))


def bench_sessions(home: Path, count: int, figures: list) -> None:
    from benchmarks.browser import SESSION_QUESTIONS, sessions
    from benchmarks.measure import Figure, percentiles

    result = sessions(home, count)
    answered = [r["answer_s"] for r in result["together"] if "answer_s" in r]
    alone = [r["answer_s"] for r in result["alone"] if "answer_s" in r]
    data = (f"demo person's lake; {count} Chromium sessions rendered, then asking at the same "
            f"moment ({len(SESSION_QUESTIONS)} different questions, offline translator)")
    figures.append(Figure("7", f"dashboard: {count} sessions asking at once, answered", data, "1",
                          f"{len(answered)} of {count}", len(answered), "sessions",
                          f"{count} of {count}", len(answered) == count, detail=result))
    if answered:
        together = percentiles(answered)
        figures.append(Figure("7", "  their Ask round trips (Enter to the rendered answer)",
                              "same", f"{len(answered)}",
                              f"p50 {together['p50']:.2f} s, p95 {together['p95']:.2f} s",
                              together["p50"], "s"))
    renders = [r["render_s"] for r in result["together"] if "render_s" in r]
    if renders:
        opened = percentiles(renders)
        figures.append(Figure("7", "  their pages, opened at once: navigation to the rendered "
                              "Overview", "same", f"{len(renders)}",
                              f"p50 {opened['p50']:.1f} s, p95 {opened['p95']:.1f} s",
                              opened["p50"], "s"))
    if alone:
        single = percentiles(alone)
        figures.append(Figure("7", "  the same questions, one session alone", "same",
                              f"{len(alone)}",
                              f"p50 {single['p50']:.2f} s, p95 {single['p95']:.2f} s",
                              single["p50"], "s"))


# -- the run -------------------------------------------------------------------------------------
def _machine() -> str:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return (f"{platform.machine()}, {os.cpu_count()} cores, {total_kb / 2**20:.0f} GiB, "
            f"Python {platform.python_version()}")


def _write(result: dict[str, Any], table: str) -> None:
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{result['date']}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
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


def main(argv: list[str] | None = None) -> None:
    if str(REPO) not in sys.path:  # `python benchmarks/run.py`: make `benchmarks` importable
        sys.path.insert(0, str(REPO))
    options = _options(argv)
    if options.child:
        _child_main(*options.child)
        return
    from benchmarks.report import markdown

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    figures: list = []
    notes: list[str] = []
    selected = options.selected
    result: dict[str, Any] = {"date": date.today().isoformat(), "machine": _machine(),
                              "quick": options.quick, "measurements": selected}
    timings: dict[str, float] = {}

    def step(name: str, fn) -> Any:
        print(f"bench: {name} ...", flush=True)
        t0 = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - t0
        print(f"bench: {name} done in {timings[name]:.0f} s", flush=True)
        return value

    with tempfile.TemporaryDirectory(prefix="biolake-bench-") as tmp:
        root = Path(tmp)
        demo = options.demo_home
        needs_demo = {"serving", "ask", "browser", "sessions", "incremental"} & set(selected)
        if "e2e" in selected or (demo is None and needs_demo):
            demo = step("e2e", lambda: bench_end_to_end(root / "e2e", options.e2e_runs,
                                                        options.e2e_budget_s, figures, notes))
        if "serving" in selected:
            runs = dict((k, int(v)) for k, v in (p.split("=") for p in options.serving_runs.split(",")))
            result["serving"] = step("serving", lambda: bench_serving(demo, runs, figures))
        if "ask" in selected:
            step("ask", lambda: bench_ask(demo, options.ask_questions, figures))
        if "browser" in selected:
            step("browser", lambda: bench_browser(demo, options.browser_runs, figures))
        if "sessions" in selected:
            step("sessions", lambda: bench_sessions(demo, options.sessions, figures))
        if "incremental" in selected:
            step("incremental", lambda: bench_incremental(
                root / "incremental", demo, options.incremental_history, options.incremental_days,
                options.incremental_budget_s, figures, notes))
        if "scale" in selected:
            step("scale", lambda: bench_scale(root / "scale", options.scale_people,
                                              options.scale_days, figures, notes))
        if "apple" in selected:
            step("apple", lambda: bench_apple(root / "apple", options.apple_mb, figures))
    from benchmarks.measure import Figure

    total_s = time.perf_counter() - started
    full = not (options.quick or options.only)
    parts = ", ".join(f"{name} {seconds / 60:.1f}" for name, seconds in timings.items())
    figures.append(Figure("all", "the whole benchmark (`make bench`), wall time", "everything above",
                          "1", f"{total_s / 60:.1f} min ({parts} min)", total_s / 60, "min",
                          "≤ 20 min" if full else NO_TARGET,
                          total_s <= 20 * 60 if full else None))
    result["figures"] = [f.as_json() for f in figures]
    result["notes"] = notes
    result["seconds_per_measurement"] = timings
    result["total_wall_s"] = total_s
    result["load_average"] = {"start": load_start, "end": os.getloadavg()[0]}
    table = markdown(result)
    if not full:
        out = Path(tempfile.gettempdir()) / f"biolake-bench-{'quick' if options.quick else 'only'}.json"
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"bench: not written to benchmarks/results or the README (--quick/--only); JSON: {out}")
    else:
        _write(result, table)
    print(table)


if __name__ == "__main__":
    main()
