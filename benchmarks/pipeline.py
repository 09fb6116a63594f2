"""The pipeline measurements, each run in its own process (a cold JVM, a clean memory account):

- `end_to_end`: what `biolake demo --no-serve` does for the demo person, split into generate +
  ingest, Spark session start, ETL and the DuckDB views;
- `incremental`: one new day ingested and built for people with short and long histories;
- `scale`: many people with heart rate at the ring's real density, one full build, rows per
  second per stage and the peak memory of the process tree.

Each function here runs inside the child (`python -m benchmarks.run --child <name>`) and returns
plain JSON; `benchmarks/run.py` turns that into figures.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.measure import TreeMemory, timed

AS_OF = date(2025, 3, 31)
DEMO_PELOTON_YEARS, DEMO_PELOTON_WORKOUTS = 5.0, 833  # the demo person's Peloton history
HEARTRATE_PAGE, DAILY_PAGE = 5000, 40  # documents per saved page, as the generator writes them
# A backfill through the live client: the daily endpoints in one response each, heart rate in
# one response per 28-day request window (~1,100 samples a day); see `scale`
BACKFILL_PAGE = 30_000


def _context(home: Path, person_id: str = "me"):
    from biolake.cli import Context

    ctx = Context({"home": home, "as_of": AS_OF, "person_id": person_id})
    return ctx.settings, ctx.lake()


def _etl_json(report) -> dict[str, Any]:
    return {"objects": report.objects_processed, "records": report.records_read,
            "quarantined": report.records_quarantined, "gold_days": report.gold_days_rebuilt,
            "steps_s": {k: round(v, 3) for k, v in report.seconds.items()},
            "spark_jobs": dict(report.spark_jobs), "table_rows": report.table_rows}


# -- 1. end to end -----------------------------------------------------------------------------------
def warm_up() -> dict[str, Any]:
    """Before the measured runs: the modules, the jars and the JVM read once from disk (page
    cache, bytecode), a Spark session started and stopped; no lake is touched."""
    import tempfile

    from app.serving.engines.duckdb_engine import DuckDBEngine  # noqa: F401 (imported to warm it)
    from ingest_workers.demo.sample_person import generate_sample_person
    from spark_jobs.session import build_spark_session

    with tempfile.TemporaryDirectory(prefix="bench-warmup-") as tmp:
        settings, _ = _context(Path(tmp))
        generate_sample_person(Path(tmp) / "input", end_day=AS_OF, oura_days=3,
                               peloton_years=0.1, peloton_workouts=3)
        start_s, spark = timed(lambda: build_spark_session(settings, "biolake-bench-warmup"))
        spark.range(10).count()
        spark.stop()
    return {"spark_start_s": start_s}


def end_to_end(home: Path) -> dict[str, Any]:
    """The steps of `biolake demo --no-serve` (biolake/cli.py), each timed, then the views."""
    from app.serving.engines.duckdb_engine import DuckDBEngine
    from app.serving.gold_views import VIEW_NAMES
    from ingest_workers.demo.oura_demo import sync_sample_person
    from ingest_workers.demo.sample_person import generate_sample_person
    from ingest_workers.file_ingest import ingest_apple_health, ingest_peloton_csv
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    settings, lake = _context(home)

    def ingest() -> None:
        files = generate_sample_person(home / "demo-input", end_day=AS_OF, seed=7, apple_health=True)
        sync_sample_person(settings, lake, files.oura_dir)
        ingest_peloton_csv(lake, files.peloton_csv, settings.person_id)
        ingest_apple_health(lake, files.apple_health_xml, settings.person_id)

    ingest_s, _ = timed(ingest)
    session_s, spark = timed(lambda: build_spark_session(settings, "biolake-etl"))
    etl_s, report = timed(lambda: run_etl(spark, lake))
    stop_s, _ = timed(spark.stop)

    def views() -> None:
        engine = DuckDBEngine(lake)
        for name in VIEW_NAMES:
            engine.query(f"SELECT count(*) FROM gold.{name}")

    views_s, _ = timed(views)
    return {"ingest_s": ingest_s, "spark_start_s": session_s, "etl_s": etl_s,
            "spark_stop_s": stop_s, "views_s": views_s,
            "total_s": ingest_s + session_s + etl_s + views_s, "etl": _etl_json(report)}


# -- pages of saved Oura responses -------------------------------------------------------------
def _day_of(endpoint: str, document: dict) -> str:
    """Oura's own `day`; heart rate has none: its date in the sample person's time zone
    (New York, taken as UTC-5 all year: an hour off in summer matters not here)."""
    if endpoint != "heartrate":
        return document["day"]
    return (datetime.fromisoformat(document["timestamp"]) - timedelta(hours=5)).date().isoformat()


def _write_pages(folder: Path, documents: dict[str, list[dict]]) -> None:
    """`<endpoint>_<n>.json` list responses, as many documents a page as the generator writes."""
    folder.mkdir(parents=True, exist_ok=True)
    for endpoint, docs in documents.items():
        size = HEARTRATE_PAGE if endpoint == "heartrate" else DAILY_PAGE
        pages = [docs[k: k + size] for k in range(0, len(docs), size)]
        for n, page in enumerate(pages, start=1):
            body = {"data": page, "next_token": None if n == len(pages) else f"page-{n + 1}"}
            (folder / f"{endpoint}_{n}.json").write_text(json.dumps(body, separators=(",", ":")))


def _pages_per_year(oura_dir: Path, out: Path) -> None:
    """The same documents as one saved response per endpoint and year."""
    from ingest_workers.demo.oura_simulator import load_saved_pages

    out.mkdir(parents=True, exist_ok=True)
    for endpoint, docs in load_saved_pages(oura_dir).items():
        years: dict[str, list[dict]] = {}
        for doc in docs:
            years.setdefault(_day_of(endpoint, doc)[:4], []).append(doc)
        for year, page in years.items():
            body = json.dumps({"data": page, "next_token": None}, separators=(",", ":"))
            (out / f"{endpoint}_{year}.json").write_text(body)


def _pages_per_day(oura_dir: Path, out: Path) -> list[Path]:
    """One folder of saved responses per day of a generated person's pages, in date order."""
    from ingest_workers.demo.oura_simulator import load_saved_pages

    by_day: dict[str, dict[str, list[dict]]] = {}
    for endpoint, docs in load_saved_pages(oura_dir).items():
        for doc in docs:
            by_day.setdefault(_day_of(endpoint, doc), {}).setdefault(endpoint, []).append(doc)
    folders = []
    for day in sorted(by_day):
        _write_pages(out / day, by_day[day])
        folders.append(out / day)
    return folders


# -- 2. incremental ----------------------------------------------------------------------------
def incremental(root: Path, short_home: Path, long_days: int, new_days: int,
                budget_s: float) -> dict[str, Any]:
    """A new day for two people: the demo person (a copy of `short_home`'s lake: 90 days of
    history, built by an end-to-end run) and one with `long_days` of Oura (heart rate every 5
    minutes) and 5 years of Peloton, built in full first. That history is ingested as one saved
    response per endpoint and year, so its ingestion log stays about as short as the demo
    person's (each log entry is a Delta commit; hundreds would lengthen the set-up, not the
    measurement). The new days are the same documents for both: `new_days` days of Oura after
    the history (every endpoint, heart rate included), each ingested as its own saved responses
    and built by an incremental ETL in one warm session, the two people taking turns; after two
    days, no further day is started once `budget_s` would be exceeded."""
    from ingest_workers.demo.sample_person import generate_sample_person
    from ingest_workers.file_ingest import ingest_oura_saved_responses, ingest_peloton_csv
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    fresh = generate_sample_person(
        root / "new-input", end_day=AS_OF + timedelta(days=new_days), seed=7,
        oura_days=new_days, peloton_years=0.1, peloton_workouts=1,
    )
    folders = _pages_per_day(fresh.oura_dir, root / "new-days")[-new_days:]
    long_home = root / f"history-{long_days}"
    settings, long_lake = _context(long_home)
    history = generate_sample_person(
        long_home / "input", end_day=AS_OF, seed=7, oura_days=long_days,
        peloton_years=DEMO_PELOTON_YEARS, peloton_workouts=DEMO_PELOTON_WORKOUTS,
    )
    _pages_per_year(history.oura_dir, long_home / "yearly")
    long_ingest_s, outcomes = timed(lambda: [
        *ingest_oura_saved_responses(long_lake, long_home / "yearly", settings.person_id),
        *ingest_peloton_csv(long_lake, history.peloton_csv, settings.person_id),
    ])
    shutil.copytree(short_home / "lake", root / "history-demo" / "lake")  # the original serves
    _, short_lake = _context(root / "history-demo")
    people = {"short": short_lake, "long": long_lake}
    spark = build_spark_session(settings, "biolake-bench-incremental")
    build_s, report = timed(lambda: run_etl(spark, long_lake))
    out: dict[str, Any] = {
        "long_days": long_days,
        "long_history": {"records": sum(o.record_count for o in outcomes),
                         "objects": len(outcomes),
                         "ingest_s": long_ingest_s, "build_s": build_s, "etl": _etl_json(report)},
        "short_history": {"table_rows": _table_rows(short_lake)},
        "runs": {"short": [], "long": []},
    }
    started = time.perf_counter()
    for k, folder in enumerate(folders):
        elapsed = time.perf_counter() - started
        if k >= 2 and elapsed + elapsed / k > budget_s:
            out["stopped_after_days"] = k
            break
        for who in ("short", "long") if k % 2 == 0 else ("long", "short"):
            lake = people[who]
            ingest_s, done = timed(lambda f=folder, lk=lake: ingest_oura_saved_responses(
                lk, f, settings.person_id))
            etl_s, report = timed(lambda lk=lake: run_etl(spark, lk))
            out["runs"][who].append(
                {"day": folder.name, "records": sum(o.record_count for o in done),
                 "ingest_s": ingest_s, "etl_s": etl_s, "total_s": ingest_s + etl_s,
                 "etl_steps_s": {s: round(v, 3) for s, v in report.seconds.items()},
                 "etl_spark_jobs": dict(report.spark_jobs)})
    spark.stop()
    return out


def _table_rows(lake) -> dict[str, int]:
    from biolake.delta_tables import list_tables, row_count
    from biolake.lake import GOLD, OPS, SILVER

    return {f"{layer}.{name}": row_count(lake, layer, name)
            for layer in (SILVER, GOLD, OPS) for name in list_tables(lake, layer)}


# -- 3. scale ----------------------------------------------------------------------------------
def scale(root: Path, people: int, days: int) -> dict[str, Any]:
    """`people` sample people (seeds 101...) with `days` of Oura, heart rate sampled like the
    real responses, and Peloton for the same span; generated, ingested, built in one full ETL.
    The Oura files are as large as a first sync's responses (`BACKFILL_PAGE`): the object count,
    not the bytes, sets the ingest time (one ingestion-log commit per object)."""
    from ingest_workers.demo.sample_person import HeartRateSampling, generate_sample_person
    from ingest_workers.file_ingest import ingest_oura_saved_responses, ingest_peloton_csv
    from spark_jobs.etl import run_etl
    from spark_jobs.session import build_spark_session

    settings, lake = _context(root / "home")
    years = days / 365.25
    files = []
    gen_s, _ = timed(lambda: files.extend(
        generate_sample_person(
            root / "input" / f"p{n:02d}", end_day=AS_OF, seed=100 + n, oura_days=days,
            peloton_years=years, peloton_workouts=round(DEMO_PELOTON_WORKOUTS * years / 5),
            heartrate=HeartRateSampling.dense(), page_size=BACKFILL_PAGE,
        )
        for n in range(1, people + 1)
    ))
    input_bytes = sum(p.stat().st_size for p in (root / "input").rglob("*") if p.is_file())

    outcomes = []

    def ingest() -> None:
        for n, person in enumerate(files, start=1):
            outcomes.extend(ingest_oura_saved_responses(lake, person.oura_dir, f"p{n:02d}"))
            outcomes.extend(ingest_peloton_csv(lake, person.peloton_csv, f"p{n:02d}"))

    ingest_s, _ = timed(ingest)
    records = sum(o.record_count for o in outcomes)
    hr_records = sum(o.record_count for o in outcomes if o.dataset == "heartrate")
    shutil.rmtree(root / "input")  # bronze holds the same bytes now

    start_s, spark = timed(lambda: build_spark_session(settings, "biolake-bench-scale"))
    with TreeMemory(os.getpid()) as memory:
        build_s, report = timed(lambda: run_etl(spark, lake))
    spark.stop()
    return {"people": people, "days": days, "generate_s": gen_s, "input_bytes": input_bytes,
            "objects": len(outcomes), "ingest_s": ingest_s, "records": records,
            "heartrate_records": hr_records, "spark_start_s": start_s, "build_s": build_s,
            "etl": _etl_json(report), "build_memory": memory.as_json(),
            "measured_at": time.strftime("%H:%M:%S")}
