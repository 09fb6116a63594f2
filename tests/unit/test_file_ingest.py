"""File ingestion into a real embedded lake under tmp_path: bronze objects and the ingestion log.

delta-rs only (no Spark). Expected keys, hashes and record counts are computed here from the
input files with hashlib, json, csv and ElementTree.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.parsers import expat

import pytest

from biolake.errors import UnknownInputError
from ingest_workers.apple_health.export_xml import RECORD_DATASETS
from ingest_workers.file_ingest import (
    ingest_apple_health,
    ingest_oura_export,
    ingest_oura_saved_responses,
    ingest_peloton_csv,
)
from tests.support.lakes import make_lake, read_delta
from tests.support.paths import REAL_FIXTURES

PERSON = "me"
OURA_DIR = REAL_FIXTURES / "oura_api_v2"
PELOTON_CSV = REAL_FIXTURES / "peloton" / "workouts_us_units.csv"
APPLE_XML = REAL_FIXTURES / "apple_health" / "export_v3_sample.xml"


# -- what the lake should hold, computed from the inputs ------------------------------------------
def bronze_key(source: str, dataset: str, data: bytes, ext: str) -> str:
    return f"bronze/{source}/{dataset}/{PERSON}/{hashlib.sha256(data).hexdigest()}.{ext}"


def oura_count(path: Path) -> int:
    return len(json.loads(path.read_bytes())["data"])


def peloton_count(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return sum(1 for _ in csv.DictReader(f))


def apple_count(path: Path) -> int:
    """Top-level Records of the kept types, and Workouts."""
    root = ET.parse(path).getroot()
    return sum(
        (child.tag == "Record" and child.get("type") in RECORD_DATASETS) or child.tag == "Workout"
        for child in root
    )


def real_inputs() -> list[tuple[Path, str, str, str, int]]:
    """(file, source, dataset, extension, record count) of every real sample."""
    oura = [(p, "oura_api", p.stem, "json", oura_count(p)) for p in sorted(OURA_DIR.glob("*.json"))]
    return [
        *oura,
        (PELOTON_CSV, "peloton_csv", "workouts", "csv", peloton_count(PELOTON_CSV)),
        (APPLE_XML, "apple_health", "export_xml", "xml", apple_count(APPLE_XML)),
    ]


# -- what the lake holds, read directly from disk -------------------------------------------------
def lake_files(lake) -> dict[str, bytes]:
    """Every file of the lake (bronze and the Delta tables), by path relative to the root."""
    root = lake.local_root()
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def bronze(lake) -> dict[str, bytes]:
    return {k: v for k, v in lake_files(lake).items() if k.startswith("bronze/")}


def log_rows(lake) -> list[dict]:
    frame = read_delta(lake, "_ops", "ingestion_log")
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")  # NaN → None
    return sorted(rows, key=lambda r: r["object_key"])


def ingest_real_samples(lake) -> list:
    return [
        *ingest_oura_saved_responses(lake, OURA_DIR, PERSON),
        *ingest_peloton_csv(lake, PELOTON_CSV, PERSON),
        *ingest_apple_health(lake, APPLE_XML, PERSON),
    ]


@pytest.fixture
def lake(tmp_path: Path):
    return make_lake(tmp_path / "home", PERSON)[1]


@pytest.fixture
def ingested(lake):
    """A lake holding the real samples."""
    outcomes = ingest_real_samples(lake)
    assert {o.status for o in outcomes} == {"ingested"}
    return lake


# -- good inputs ----------------------------------------------------------------------------------
def test_real_samples_are_stored_byte_identical_and_logged_once(lake):
    inputs = real_inputs()
    expected = {
        bronze_key(source, dataset, path.read_bytes(), ext): (path, source, dataset, count)
        for path, source, dataset, ext, count in inputs
    }
    assert len(expected) == len(inputs) == 14

    outcomes = ingest_real_samples(lake)

    assert bronze(lake) == {key: path.read_bytes() for key, (path, *_) in expected.items()}
    assert {o.object_key: (o.status, o.record_count) for o in outcomes} == {
        key: ("ingested", count) for key, (_, _, _, count) in expected.items()
    }
    rows = log_rows(lake)
    assert [r["object_key"] for r in rows] == sorted(expected)
    for row in rows:
        path, source, dataset, count = expected[row["object_key"]]
        data = path.read_bytes()
        assert (row["status"], row["record_count"], row["error_count"], row["error"]) == (
            "ingested", count, 0, None,
        )
        assert (row["source"], row["dataset"], row["person_id"]) == (source, dataset, PERSON)
        assert row["checksum_sha256"] == hashlib.sha256(data).hexdigest()
        assert row["size_bytes"] == len(data)
        assert row["original_name"] == path.name


def test_same_bytes_again_even_under_other_names_store_nothing(ingested, tmp_path: Path):
    before = lake_files(ingested)  # bronze objects and every file of the Delta log
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for path in OURA_DIR.glob("*.json"):
        shutil.copyfile(path, renamed / f"{path.stem}_copy.json")
    shutil.copyfile(PELOTON_CSV, renamed / "my_workouts.csv")
    shutil.copyfile(APPLE_XML, renamed / "export.xml")

    outcomes = [
        *ingest_real_samples(ingested),
        *ingest_oura_saved_responses(ingested, renamed, PERSON),
        *ingest_peloton_csv(ingested, renamed / "my_workouts.csv", PERSON),
        *ingest_apple_health(ingested, renamed / "export.xml", PERSON),
    ]

    assert len(outcomes) == 28
    assert {o.status for o in outcomes} == {"already_ingested"}
    assert lake_files(ingested) == before


# -- broken inputs --------------------------------------------------------------------------------
def truncated_oura_page() -> tuple[bytes, str]:
    raw = (OURA_DIR / "sleep.json").read_bytes()[:20_000]
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(raw)
    return raw, f"line {decoded.value.lineno}, column {decoded.value.colno}"


def truncated_apple_export() -> tuple[bytes, str]:
    raw = APPLE_XML.read_bytes()[:5_000]
    parser = expat.ParserCreate()
    with pytest.raises(expat.ExpatError) as parsed:
        parser.Parse(raw, True)
    return raw, f"line {parsed.value.lineno}, column {parsed.value.offset + 1}"


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<HealthData locale="en_GB">
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="&xxe;" unit="count"
  startDate="2024-01-01 08:00:00 +0100" endDate="2024-01-01 08:01:00 +0100" value="10"/>
</HealthData>
"""
BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- exported from a phone -->
<!DOCTYPE HealthData [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<HealthData locale="en_GB">&lol3;</HealthData>
"""


def broken_cases() -> list:
    oura, oura_where = truncated_oura_page()
    apple, apple_where = truncated_apple_export()
    return [
        pytest.param("sleep_broken.json", oura, "oura_api", "sleep", oura_where, id="oura"),
        pytest.param("export.xml", apple, "apple_health", "export_xml", apple_where, id="xml"),
        # the entity declarations are refused where they start, before anything is expanded
        pytest.param("xxe.xml", XXE, "apple_health", "export_xml", "line 3", id="xxe"),
        pytest.param("laughs.xml", BILLION_LAUGHS, "apple_health", "export_xml", "line 4",
                     id="billion-laughs"),
    ]


@pytest.mark.parametrize(("name", "data", "source", "dataset", "where"), broken_cases())
def test_broken_input_is_rejected_kept_and_logged(
    ingested, tmp_path: Path, name, data, source, dataset, where
):
    before_bronze, before_log = bronze(ingested), log_rows(ingested)
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / name).write_bytes(data)

    if source == "oura_api":
        [outcome] = ingest_oura_saved_responses(ingested, folder, PERSON)
    else:
        [outcome] = ingest_apple_health(ingested, folder / name, PERSON)

    key = bronze_key(source, dataset, data, folder.joinpath(name).suffix[1:])
    assert (outcome.status, outcome.object_key, outcome.record_count) == ("rejected", key, 0)
    assert outcome.error is not None
    assert f"{name}, {where}" in outcome.error
    # the raw file is kept, nothing else moved
    assert bronze(ingested) == {**before_bronze, key: data}
    after_log = log_rows(ingested)
    [new_row] = [r for r in after_log if r["object_key"] == key]
    assert (new_row["status"], new_row["error"]) == ("rejected", outcome.error)
    assert [r for r in after_log if r["object_key"] != key] == before_log


def test_unknown_oura_prefix_fails_before_anything_is_written(ingested, tmp_path: Path):
    before = lake_files(ingested)
    folder = tmp_path / "saved"
    folder.mkdir()
    # new bytes that sort first: without the up-front check they would be stored
    (folder / "daily_sleep.json").write_text('{"data": [], "next_token": null}')
    (folder / "unknown_endpoint.json").write_text('{"data": [], "next_token": null}')

    with pytest.raises(UnknownInputError, match=r"unknown_endpoint\.json"):
        ingest_oura_saved_responses(ingested, folder, PERSON)

    assert lake_files(ingested) == before


# -- Oura membership export -----------------------------------------------------------------------
READINESS_CSV = (
    b"\xef\xbb\xbfid;day;score;temperature_deviation;contributors\n"
    b'a1;2024-10-10;82;-0.12;"{""activity_balance"": 77, ""hrv_balance"": null}"\n'
    b"a2;2024-10-11;64\n"  # wrong field count: an error record, not a rejection
)
SLEEP_CSV = b"id;day;type;efficiency;movement_30_sec\ns1;2024-10-10;long_sleep;80;1122\n"
PRIVATE_CSV = b"timestamp;latitude;longitude\n2024-10-10T08:00:00;60.17;24.94\n"
ACCOUNT_CSV = b"email;name\nme@example.org;Me\n"


def test_oura_export_zip_stores_csv_members_byte_identical_and_skips_privacy_files(
    lake, tmp_path: Path
):
    export = tmp_path / "oura_export.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("App Data/dailyreadiness.csv", READINESS_CSV)
        archive.writestr("App Data/SleepModel.csv", SLEEP_CSV)
        archive.writestr("App Data/rawlocation.csv", PRIVATE_CSV)
        archive.writestr("Subscriptions/account.csv", ACCOUNT_CSV)

    outcomes = ingest_oura_export(lake, export, PERSON)

    readiness = bronze_key("oura_export", "daily_readiness", READINESS_CSV, "csv")
    sleep = bronze_key("oura_export", "sleep", SLEEP_CSV, "csv")
    stored = bronze(lake)
    assert stored == {readiness: READINESS_CSV, sleep: SLEEP_CSV}
    assert not {PRIVATE_CSV, ACCOUNT_CSV} & set(stored.values())
    assert {(o.original_name, o.status, o.record_count, o.error_count) for o in outcomes} == {
        ("App Data/dailyreadiness.csv", "ingested", 2, 1),
        ("App Data/SleepModel.csv", "ingested", 1, 0),
    }
    assert [r["object_key"] for r in log_rows(lake)] == sorted([readiness, sleep])


# -- the CLI --------------------------------------------------------------------------------------
def biolake(home: Path, *args: str) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("biolake")
    assert executable.exists(), f"the biolake entry point is expected next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    return subprocess.run(
        [str(executable), "--home", str(home), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


def test_cli_unknown_oura_file_exits_1_naming_it(tmp_path: Path):
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "unknown_endpoint.json").write_text('{"data": [], "next_token": null}')

    result = biolake(tmp_path / "home", "ingest", "oura", "--from-dir", str(folder))

    assert result.returncode == 1
    assert "unknown_endpoint.json" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "lake" / "bronze").exists()


def test_cli_peloton_ingests_once(tmp_path: Path):
    home = tmp_path / "home"

    first = biolake(home, "ingest", "peloton", "--csv", str(PELOTON_CSV))
    second = biolake(home, "ingest", "peloton", "--csv", str(PELOTON_CSV))

    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[0] == "ingested"
    assert f"records={peloton_count(PELOTON_CSV)}" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.split()[0] == "already_ingested"
    lake = make_lake(home, PERSON)[1]
    assert bronze(lake) == {
        bronze_key("peloton_csv", "workouts", PELOTON_CSV.read_bytes(), "csv"): (
            PELOTON_CSV.read_bytes()
        )
    }
    assert len(log_rows(lake)) == 1


def test_the_ingestion_log_is_compacted_as_it_grows(lake, monkeypatch):
    """One commit per object would leave a small file per object for every later read; every
    few commits they are rewritten into one, and no row is lost or doubled."""
    from deltalake import DeltaTable

    from ingest_workers import ingestion_log

    monkeypatch.setattr(ingestion_log, "COMPACT_EVERY_COMMITS", 5)
    ingest_real_samples(lake)  # 14 objects: 14 commits, compacted at versions 5 and 10
    table = DeltaTable(ingestion_log.IngestionLog(lake).uri)
    live_files = len(table.file_uris())
    assert live_files < 14 - 5, live_files
    assert [row["object_key"] for row in log_rows(lake)] == sorted(
        bronze_key(source, dataset, path.read_bytes(), ext)
        for path, source, dataset, ext, _ in real_inputs()
    )
    operations = [entry["operation"] for entry in table.history()]
    assert operations.count("OPTIMIZE") >= 2
