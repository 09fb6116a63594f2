"""Real sample files → bronze → silver → gold with real Spark and Delta, checked against values
computed here from the raw files with plain json/csv (never with the project's parsers).

One lake is built in stages (first run, exact rerun, --full rebuild, overlapping inputs) and
each stage's tables are snapshotted, so every test below reads snapshots instead of re-running
the ~minute-long ETL.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from ingest_workers.file_ingest import (
    ingest_apple_health,
    ingest_oura_saved_responses,
    ingest_peloton_csv,
)
from spark_jobs.etl import run_etl
from tests.support.lakes import make_lake, snapshot

pytestmark = pytest.mark.spark

LABEL_OFFSETS_H = {"CDT": -5, "CST": -6, "UTC": 0, "EST": -5, "EDT": -4, "PST": -8, "PDT": -7}
# columns that record *when* the pipeline ran, not what it computed
RUN_TIME_COLUMNS = {"quarantined_at", "processed_at", "started_at_log"}


def _snapshot(lake) -> dict[str, pd.DataFrame]:
    return snapshot(lake, RUN_TIME_COLUMNS)


def _oura(real: Path, endpoint: str) -> list[dict]:
    return json.loads((real / "oura_api_v2" / f"{endpoint}.json").read_text())["data"]


def _peloton_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def stages(spark, real_fixtures: Path, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("real-lake")
    _, lake = make_lake(home)
    person = "me"

    def ingest_all() -> list:
        return (
            ingest_oura_saved_responses(lake, real_fixtures / "oura_api_v2", person)
            + ingest_peloton_csv(lake, real_fixtures / "peloton" / "workouts_us_units.csv", person)
            + ingest_apple_health(lake, real_fixtures / "apple_health" / "export_v3_sample.xml", person)
        )

    result: dict = {"lake": lake}
    result["first_ingest"] = ingest_all()
    result["first_etl"] = run_etl(spark, lake)
    result["first"] = _snapshot(lake)

    result["second_ingest"] = ingest_all()
    result["second_etl"] = run_etl(spark, lake)
    result["second"] = _snapshot(lake)

    result["full_etl"] = run_etl(spark, lake, full=True)
    result["full"] = _snapshot(lake)

    # overlapping inputs: a re-pulled readiness page (same id, rescored) plus a new day, and a
    # second Peloton export holding two workouts of the first one plus a new one and a bad row
    extra = home / "extra"
    (extra / "oura").mkdir(parents=True)
    readiness = _oura(real_fixtures, "daily_readiness")
    rescored = dict(readiness[0], score=readiness[0]["score"] - 7)
    new_day = dict(readiness[1], id="extra-readiness-1", day="2024-12-31", score=55)
    (extra / "oura" / "daily_readiness_repull.json").write_text(
        json.dumps({"data": [rescored, new_day], "next_token": None})
    )
    source_csv = real_fixtures / "peloton" / "workouts_us_units.csv"
    lines = source_csv.read_text(encoding="utf-8-sig").splitlines()
    new_row = "2020-12-31 18:00 (UTC),Live,Test Instructor,20,Cycling,Music,\"20 min Pop, Rock Ride\",2020-12-31 18:00 (UTC),150,125,40%,80,17.00,5.00,200,130.50,,"
    bad_row = "2020-12-30 18:00 (UTC),Live,Too,Few,Fields"
    (extra / "peloton_second_export.csv").write_text(
        "\n".join([lines[0], lines[1], lines[2], new_row, bad_row]) + "\n", encoding="utf-8"
    )
    result["overlap_rows"] = (lines[1], lines[2], new_row)
    result["rescored"] = rescored
    result["new_day"] = new_day
    ingest_oura_saved_responses(lake, extra / "oura", person)
    ingest_peloton_csv(lake, extra / "peloton_second_export.csv", person)
    result["overlap_etl"] = run_etl(spark, lake)
    result["overlap"] = _snapshot(lake)
    yield result
    shutil.rmtree(home, ignore_errors=True)


def test_every_real_file_is_ingested_once(stages, real_fixtures: Path) -> None:
    expected_files = len(list((real_fixtures / "oura_api_v2").glob("*.json"))) + 2
    assert [o.status for o in stages["first_ingest"]] == ["ingested"] * expected_files
    assert [o.status for o in stages["second_ingest"]] == ["already_ingested"] * expected_files
    log = stages["second"]["_ops.ingestion_log"]
    assert len(log) == expected_files
    assert log["object_key"].is_unique


def test_silver_row_counts_match_the_raw_files(stages, real_fixtures: Path) -> None:
    tables = stages["first"]
    for endpoint, table in [
        ("daily_readiness", "oura_daily_readiness"), ("daily_sleep", "oura_daily_sleep"),
        ("sleep", "oura_sleep"), ("daily_activity", "oura_daily_activity"),
        ("daily_spo2", "oura_daily_spo2"), ("workout", "oura_workout"), ("session", "oura_session"),
        ("daily_stress", "oura_daily_stress"), ("daily_resilience", "oura_daily_resilience"),
        ("vO2_max", "oura_vo2_max"),
    ]:
        ids = {doc["id"] for doc in _oura(real_fixtures, endpoint)}
        assert len(tables[f"silver.{table}"]) == len(ids), table
    # cardiovascular age has no id in real responses: one row per day
    days = {doc["day"] for doc in _oura(real_fixtures, "daily_cardiovascular_age")}
    assert len(tables["silver.oura_daily_cardiovascular_age"]) == len(days)
    # heart rate: one row per (timestamp, source)
    samples = _oura(real_fixtures, "heartrate")
    distinct = {(s["timestamp"], s["source"]) for s in samples}
    assert len(tables["silver.oura_heartrate"]) == len(distinct)

    peloton = _peloton_rows(real_fixtures / "peloton" / "workouts_us_units.csv")
    apple_workouts = (real_fixtures / "apple_health" / "export_v3_sample.xml").read_text().count("<Workout ")
    assert len(tables["silver.workouts"]) == len(peloton) + apple_workouts


def test_oura_values_are_typed_and_unchanged(stages, real_fixtures: Path) -> None:
    readiness = stages["first"]["silver.oura_daily_readiness"].set_index("id")
    for doc in _oura(real_fixtures, "daily_readiness"):
        row = readiness.loc[doc["id"]]
        assert row["day"] == doc["day"]
        assert int(row["score"]) == doc["score"]
        assert int(row["hrv_balance"]) == doc["contributors"]["hrv_balance"]
        assert float(row["temperature_deviation_c"]) == pytest.approx(doc["temperature_deviation"])
    sleep = stages["first"]["silver.oura_sleep"].set_index("id")
    for doc in _oura(real_fixtures, "sleep"):
        row = sleep.loc[doc["id"]]
        assert row["type"] == str(doc["type"])
        assert row["total_sleep_s"] == str(doc["total_sleep_duration"])
        start = datetime.fromisoformat(doc["bedtime_start"]).astimezone(UTC)
        assert pd.Timestamp(row["bedtime_start_utc"]) == pd.Timestamp(start)
    workouts = stages["first"]["silver.oura_workout"].set_index("id")
    for doc in _oura(real_fixtures, "workout")[:20]:
        expected = None if doc.get("distance") is None else doc["distance"] / 1000
        got = workouts.loc[doc["id"], "distance_km"]
        assert (got in ("None", "nan")) if expected is None else float(got) == pytest.approx(expected)


def test_peloton_rows_are_typed_with_utc_and_the_printed_day(stages, real_fixtures: Path) -> None:
    silver = stages["first"]["silver.workouts"]
    silver = silver[silver["source"] == "peloton_csv"]
    rows = _peloton_rows(real_fixtures / "peloton" / "workouts_us_units.csv")
    by_local_title = {(r["started_local"], r["title"]): r for _, r in silver.iterrows()}
    for raw in rows:
        stamp, label = raw["Workout Timestamp"][:16], raw["Workout Timestamp"][18:-1]
        got = by_local_title[(stamp, raw["Title"].strip())]
        local = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
        assert got["day"] == stamp[:10]
        utc = (local - timedelta(hours=LABEL_OFFSETS_H[label])).replace(tzinfo=UTC)
        assert pd.Timestamp(got["started_at"]) == pd.Timestamp(utc)
        assert got["discipline"] == raw["Fitness Discipline"].strip().lower().replace(" ", "_")
        output = raw["Total Output"]
        assert (got["output_kj"] in ("None", "nan")) if output == "" else float(got["output_kj"]) == float(output)
        resistance = raw["Avg. Resistance"]
        if resistance:
            assert float(got["avg_resistance_pct"]) == float(resistance.rstrip("%"))
        if raw["Distance (mi)"]:
            assert float(got["distance_km"]) == pytest.approx(float(raw["Distance (mi)"]) * 1.609344)
        instructor = raw["Instructor Name"].strip()
        assert got["instructor"] == (instructor if instructor else "None")


def test_real_files_send_nothing_to_quarantine(stages) -> None:
    # the real samples are clean: if a record of theirs is ever quarantined, this list must name it
    expected: list[tuple[str, str, str]] = []
    quarantine = stages["first"]["_ops.quarantine"]
    got = zip(quarantine["_object_key"], quarantine["_position"], quarantine["reason"], strict=True)
    assert list(got) == expected


def test_gold_matches_the_raw_files_day_by_day(stages, real_fixtures: Path) -> None:
    gold = stages["first"]["gold.daily_readiness_performance"].set_index("day")
    for doc in _oura(real_fixtures, "daily_readiness"):
        assert float(gold.loc[doc["day"], "readiness_score"]) == doc["score"]
    for doc in _oura(real_fixtures, "daily_sleep"):
        assert float(gold.loc[doc["day"], "sleep_score"]) == doc["score"]
    rows = _peloton_rows(real_fixtures / "peloton" / "workouts_us_units.csv")
    per_day = pd.DataFrame(
        {
            "day": [r["Workout Timestamp"][:10] for r in rows],
            "minutes": [float(r["Length (minutes)"]) if r["Length (minutes)"] not in ("", "None") else 0.0 for r in rows],
            "output": [float(r["Total Output"] or 0) for r in rows],
        }
    ).groupby("day").agg(count=("day", "size"), minutes=("minutes", "sum"), output=("output", "sum"))
    for day, expected in per_day.iterrows():
        assert int(gold.loc[day, "workout_count"]) == expected["count"], day
        assert float(gold.loc[day, "workout_minutes"]) == pytest.approx(expected["minutes"]), day
        assert float(gold.loc[day, "total_output_kj"]) == pytest.approx(expected["output"]), day


def test_rerunning_ingest_and_etl_changes_nothing(stages) -> None:
    assert stages["second_etl"].objects_processed == 0
    assert stages["second"].keys() == stages["first"].keys()
    for name, table in stages["first"].items():
        pd.testing.assert_frame_equal(stages["second"][name], table, obj=name)


def test_full_rebuild_from_bronze_gives_the_same_tables(stages) -> None:
    assert stages["full_etl"].objects_processed == stages["first_etl"].objects_processed
    for name, table in stages["first"].items():
        pd.testing.assert_frame_equal(stages["full"][name], table, obj=name)


def test_overlapping_oura_pages_keep_one_row_the_newest(stages) -> None:
    readiness = stages["overlap"]["silver.oura_daily_readiness"]
    rescored = stages["rescored"]
    assert (readiness["id"] == rescored["id"]).sum() == 1
    assert readiness.loc[readiness["id"] == rescored["id"], "score"].item() == str(rescored["score"])
    gold = stages["overlap"]["gold.daily_readiness_performance"].set_index("day")
    assert float(gold.loc[rescored["day"], "readiness_score"]) == rescored["score"]
    assert float(gold.loc[stages["new_day"]["day"], "readiness_score"]) == 55
    assert len(readiness) == len(stages["first"]["silver.oura_daily_readiness"]) + 1


def test_a_workout_in_two_exports_is_stored_once(stages) -> None:
    before = stages["first"]["silver.workouts"]
    after = stages["overlap"]["silver.workouts"]
    assert len(after) == len(before) + 1  # only the new row is new
    assert after["workout_id"].is_unique
    assert (after["title"] == "20 min Pop, Rock Ride").sum() == 1


def test_a_bad_csv_row_is_quarantined_with_file_and_line(stages) -> None:
    quarantine = stages["overlap"]["_ops.quarantine"]
    assert len(quarantine) == 1
    row = quarantine.iloc[0]
    assert row["_position"] == "line 5"
    assert row["reason"] == "expected 18 fields, found 5"
    assert row["_object_key"].startswith("bronze/peloton_csv/workouts/me/")
    assert "Too" not in row["_payload"] or row["_payload"] == "None"
