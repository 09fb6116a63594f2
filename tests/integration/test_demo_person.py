"""`biolake demo --no-serve` end to end (the real CLI in its own process), then the demo
person's gold table checked day by day against values computed here from the generated raw
files with json/csv only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run_cli
from tests.support.lakes import read_delta

pytestmark = pytest.mark.spark

@pytest.fixture(scope="module")
def demo(demo_lake: dict) -> dict:
    return demo_lake


def _cli(home: Path, *args: str):
    return run_cli(home, *args)


def _oura_docs(oura_dir: Path, endpoint: str) -> list[dict]:
    docs: list[dict] = []
    for page in sorted(oura_dir.glob(f"{endpoint}_*.json")):
        if page.stem.removeprefix(f"{endpoint}_").isdigit():
            docs += json.loads(page.read_text())["data"]
    return docs


def _expected_gold(inputs: Path) -> pd.DataFrame:
    oura = inputs / "oura"
    by_day: dict[str, dict] = {}

    def put(day: str, **values) -> None:
        by_day.setdefault(day, {}).update(values)

    for doc in _oura_docs(oura, "daily_readiness"):
        put(doc["day"], readiness_score=doc["score"])
    for doc in _oura_docs(oura, "daily_sleep"):
        put(doc["day"], sleep_score=doc["score"])
    for doc in _oura_docs(oura, "daily_activity"):
        put(doc["day"], steps=doc["steps"])
    for doc in _oura_docs(oura, "sleep"):
        if doc["type"] in ("long_sleep", "sleep", "late_nap"):
            put(doc["day"])
    with (inputs / "peloton" / "workouts.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            day = row["Workout Timestamp"][:10]
            entry = by_day.setdefault(day, {})
            entry["workout_count"] = entry.get("workout_count", 0) + 1
            length = row["Length (minutes)"]
            entry["workout_minutes"] = entry.get("workout_minutes", 0.0) + (
                float(length) if length not in ("", "None") else 0.0
            )
            entry["total_output_kj"] = entry.get("total_output_kj", 0.0) + float(row["Total Output"] or 0)
    frame = pd.DataFrame.from_dict(by_day, orient="index")
    frame.index.name = "day"
    for column in ("workout_count", "workout_minutes", "total_output_kj"):
        frame[column] = frame[column].fillna(0)
    return frame.sort_index()


def test_demo_prints_the_lake_and_every_table(demo) -> None:
    out = demo["stdout"]
    assert f"lake: {demo['lake'].config.uri}" in out
    for table in ("silver.oura_daily_readiness", "silver.workouts", "silver.apple_health_samples",
                  "gold.daily_readiness_performance", "_ops.ingestion_log", "_ops.quarantine"):
        assert table in out


def test_etl_with_nothing_new_starts_no_jvm_and_prints_the_same_tables(demo, tmp_path) -> None:
    """Everything the demo ingested is built: `biolake etl` knows that from the Delta logs alone.
    With no Java to be found (JAVA_HOME and PATH pointing nowhere) a Spark session could not
    start, so success here means none was started."""
    no_java = {"JAVA_HOME": str(tmp_path / "no-java"), "PATH": str(tmp_path)}
    run = run_cli(demo["home"], "etl", env=no_java, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "etl: 0 new objects, 0 records, 0 quarantined, 0 gold days rebuilt" in run.stdout

    def tables(out: str) -> dict[str, str]:
        return {line.split()[0]: line.split()[1] for line in out.splitlines()
                if line.startswith("  ") and line.rstrip().endswith(" rows")}

    assert tables(run.stdout) == tables(demo["stdout"]) and len(tables(run.stdout)) >= 10


def test_demo_has_about_90_days_of_oura_and_833_workouts(demo) -> None:
    expected = _expected_gold(demo["inputs"])
    assert 80 <= expected["readiness_score"].notna().sum() <= 90
    assert 800 <= expected["workout_count"].sum() <= 870


def test_gold_matches_the_raw_files_day_by_day(demo) -> None:
    expected = _expected_gold(demo["inputs"])
    gold = read_delta(demo["lake"], "gold", "daily_readiness_performance")
    gold["day"] = gold["day"].astype(str)
    gold = gold.set_index("day").sort_index()
    assert list(gold.index) == list(expected.index)
    for column in ("readiness_score", "sleep_score", "steps", "workout_count"):
        got = gold[column].astype("Float64")
        want = expected[column].astype("Float64")
        mismatched = got.compare(want) if not got.equals(want) else pd.DataFrame()
        assert mismatched.empty, f"{column}:\n{mismatched.head(10)}"
    for column in ("workout_minutes", "total_output_kj"):
        assert gold[column].to_numpy() == pytest.approx(expected[column].to_numpy()), column


def test_apple_health_copies_of_peloton_workouts_are_not_counted_twice(demo) -> None:
    workouts = read_delta(demo["lake"], "silver", "workouts")
    assert (workouts["source"] == "apple_health").sum() > 0  # they are in silver ...
    expected = _expected_gold(demo["inputs"])  # ... and gold counts Peloton's rows only
    gold = read_delta(demo["lake"], "gold", "daily_readiness_performance")
    assert gold["workout_count"].sum() == expected["workout_count"].sum()


def test_sql_json_contract(demo) -> None:
    run = _cli(
        demo["home"], "sql", "--format", "json",
        "SELECT day, readiness_score FROM daily_readiness_performance "
        "WHERE readiness_score IS NOT NULL ORDER BY day DESC LIMIT 3",
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["engine"] == "duckdb"
    assert answer["columns"] == ["day", "readiness_score"]
    expected = _expected_gold(demo["inputs"])["readiness_score"].dropna().sort_index(ascending=False)
    assert answer["rows"] == [[day, int(score)] for day, score in expected.head(3).items()]
    assert "daily_readiness_performance" in answer["sql"]


def test_sql_refuses_anything_but_one_select(demo) -> None:
    for statement, fragment in [
        ("DROP TABLE daily_readiness_performance", "only SELECT"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
        ("SELECT * FROM secrets", "unknown relation 'secrets'"),
    ]:
        run = _cli(demo["home"], "sql", statement)
        assert run.returncode == 1, statement
        assert fragment in run.stderr, (statement, run.stderr)
        assert "Traceback" not in run.stderr
