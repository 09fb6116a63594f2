"""Pure extractor tests: Peloton CSV, Oura saved API pages and Oura's membership export.

Expected values come from the input itself (csv, json, zipfile), never from the project code.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from biolake.errors import InputFormatError, UnknownInputError
from ingest_workers.oura.api_files import endpoint_for_file_name, extract_oura_page
from ingest_workers.oura.export import (
    endpoint_for_export_file,
    export_files,
    extract_oura_export_csv,
)
from ingest_workers.peloton.csv_export import extract_peloton_csv
from tests.support.paths import REAL_FIXTURES

PELOTON_CSV = REAL_FIXTURES / "peloton" / "workouts_us_units.csv"
OURA_DIR = REAL_FIXTURES / "oura_api_v2"


def extract(extractor, data: bytes, name: str = "input") -> list:
    return list(extractor(io.BytesIO(data), name))


# -- Peloton CSV ----------------------------------------------------------------------------------
# The US header (DATA-FORMATS.md 3.1), written out by hand → the canonical key each must map to.
US_HEADER_KEYS = {
    "Workout Timestamp": "workout_timestamp",
    "Live/On-Demand": "live_on_demand",
    "Instructor Name": "instructor_name",
    "Length (minutes)": "length_minutes",
    "Fitness Discipline": "fitness_discipline",
    "Type": "class_type",
    "Title": "title",
    "Class Timestamp": "class_timestamp",
    "Total Output": "total_output_kj",
    "Avg. Watts": "avg_watts",
    "Avg. Resistance": "avg_resistance",
    "Avg. Cadence (RPM)": "avg_cadence_rpm",
    "Avg. Speed (mph)": "avg_speed_mph",
    "Distance (mi)": "distance_mi",
    "Calories Burned": "calories_kcal",
    "Avg. Heartrate": "avg_heartrate",
    "Avg. Incline": "avg_incline",
    "Avg. Pace (min/mi)": "avg_pace_min_per_mi",
}
US_HEADER = ",".join(US_HEADER_KEYS)
ROW_PST = (
    "2020-09-14 13:54 (PST),On Demand,Cody Rigsby,30,Cycling,Theme,"
    '"30 min XOXO, Cody",2020-09-10 08:24 (PST),336,187,51%,78,20.57,10.29,482,,,'
)
ROW_OFFSET = (
    "2021-03-15 15:55 (-07),Live,Leanne Hainsby,20,Cycling,Music,20 min 2000s Ride,"
    "2021-03-08 01:22 (-07),249,207,49%,85,21.30,7.10,355,,,"
)


def peloton(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_peloton_real_file_matches_csv_module_cell_by_cell():
    with PELOTON_CSV.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert set(reader.fieldnames or []) == set(US_HEADER_KEYS)
        expected = [{US_HEADER_KEYS[h]: v for h, v in row.items()} for row in reader]

    records = extract(extract_peloton_csv, PELOTON_CSV.read_bytes(), PELOTON_CSV.name)

    assert len(records) == len(expected) > 100
    assert all(r.error is None for r in records)
    assert [r.payload for r in records] == expected
    # no row of this file spans lines, so row i sits on line i + 2 (the header is line 1)
    assert [r.position for r in records] == [f"line {i + 2}" for i in range(len(expected))]


def test_peloton_metric_header_maps_to_metric_fields():
    header = US_HEADER.replace("Avg. Speed (mph)", "Avg. Speed (kph)")
    header = header.replace("Distance (mi)", "Distance (km)")
    header = header.replace("Avg. Pace (min/mi)", "Avg. Pace (min/km)")
    row = (
        "2021-05-24 15:19 (+02),On Demand,,None,Running,Intervals,20 min Run,"
        "2021-05-20 08:00 (+02),,,,,10.50,3.50,250,140.50,1.5,5:43"
    )
    [record] = extract(extract_peloton_csv, peloton(header, row))

    assert record.payload is not None
    assert record.payload["avg_speed_kph"] == "10.50"
    assert record.payload["distance_km"] == "3.50"
    assert record.payload["avg_pace_min_per_km"] == "5:43"
    assert not {"avg_speed_mph", "distance_mi", "avg_pace_min_per_mi"} & record.payload.keys()


def test_peloton_bom_does_not_stick_to_the_first_header():
    [record] = extract(extract_peloton_csv, b"\xef\xbb\xbf" + peloton(US_HEADER, ROW_OFFSET))

    assert record.payload is not None
    assert record.payload["workout_timestamp"] == "2021-03-15 15:55 (-07)"
    assert not any("\ufeff" in key for key in record.payload)


def test_peloton_quoted_title_with_comma_is_one_field():
    [record] = extract(extract_peloton_csv, peloton(US_HEADER, ROW_PST))

    assert record.error is None and record.payload is not None
    assert record.payload["title"] == "30 min XOXO, Cody"
    assert record.payload["class_timestamp"] == "2020-09-10 08:24 (PST)"
    assert record.payload["calories_kcal"] == "482"


def test_peloton_row_with_wrong_column_count_is_an_error_at_its_line():
    short_row = "2021-03-16 10:00 (-07),Live,Robin Arzon,30,Cycling"
    data = peloton(US_HEADER, ROW_OFFSET, "", short_row, ROW_PST)  # line 3 is blank

    records = extract(extract_peloton_csv, data)

    assert [r.position for r in records] == ["line 2", "line 4", "line 5"]
    bad = records[1]
    assert bad.payload is None and bad.error is not None
    assert "18" in bad.error and "5" in bad.error  # expected vs found
    assert records[2].error is None and records[2].payload is not None
    assert records[2].payload["title"] == "30 min XOXO, Cody"


def test_peloton_file_without_required_headers_is_refused_at_line_1():
    data = peloton("Date,Steps,Calories", "2021-03-15,1000,80")

    with pytest.raises(InputFormatError) as caught:
        extract(extract_peloton_csv, data, "steps_export.csv")

    message = str(caught.value)
    assert "steps_export.csv" in message and "line 1" in message
    assert "workout_timestamp" in message  # says what is missing


@pytest.mark.parametrize(
    "label", ["(-07)", "(-08)", "(+05:30)", "(PST)", "(CDT)", "(UTC)", "(EST)"]
)
def test_peloton_timestamp_labels_pass_through_untouched(label):
    row = ROW_OFFSET.replace("(-07)", label)

    [record] = extract(extract_peloton_csv, peloton(US_HEADER, row))

    assert record.payload is not None
    assert record.payload["workout_timestamp"] == f"2021-03-15 15:55 {label}"
    assert record.payload["class_timestamp"] == f"2021-03-08 01:22 {label}"


# -- Oura saved API pages -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file_name", "endpoint"),
    [
        ("daily_sleep.json", "daily_sleep"),
        ("daily_sleep_2.json", "daily_sleep"),
        ("sleep.json", "sleep"),
        ("sleep_2.json", "sleep"),
        ("sleep_daily_sleep.json", "sleep"),
        ("heartrate_2024-10.json", "heartrate"),
        ("daily_cardiovascular_age.json", "daily_cardiovascular_age"),
        ("vO2_max.json", "vO2_max"),
        ("vO2_max_page_3.json", "vO2_max"),
    ],
)
def test_endpoint_for_file_name(file_name, endpoint):
    assert endpoint_for_file_name(file_name) == endpoint


@pytest.mark.parametrize(
    "file_name", ["unknown_endpoint.json", "sleepy.json", "daily.json", "sleep.csv"]
)
def test_unknown_file_name_is_refused_naming_the_file(file_name):
    with pytest.raises(UnknownInputError, match=file_name.replace(".", r"\.")):
        endpoint_for_file_name(file_name)


@pytest.mark.parametrize("path", sorted(OURA_DIR.glob("*.json")), ids=lambda p: p.name)
def test_real_oura_page_yields_one_record_per_item(path: Path):
    items = json.loads(path.read_text(encoding="utf-8"))["data"]

    records = extract(extract_oura_page, path.read_bytes(), path.name)

    assert len(records) == len(items) > 0
    assert [r.payload for r in records] == items
    assert [r.position for r in records] == [f"data[{i}]" for i in range(len(items))]
    assert all(r.error is None for r in records)


def test_real_oura_folder_has_a_page_per_endpoint():
    endpoints = {endpoint_for_file_name(p.name) for p in OURA_DIR.glob("*.json")}
    assert len(endpoints) == 12


def test_truncated_oura_page_names_file_line_and_column():
    whole = json.dumps(
        {"data": [{"id": "a", "day": "2024-10-10"}, {"id": "b", "day": "2024-10-11"}],
         "next_token": None},
        indent=2,
    )
    truncated = whole[: whole.index('"b"') + 5]
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(truncated)
    where = f"line {decoded.value.lineno}, column {decoded.value.colno}"
    assert decoded.value.lineno > 1

    with pytest.raises(InputFormatError) as caught:
        extract(extract_oura_page, truncated.encode(), "daily_sleep_7.json")

    assert "daily_sleep_7.json" in str(caught.value)
    assert where in str(caught.value)


def test_real_oura_page_cut_in_half_is_refused():
    raw = (OURA_DIR / "sleep.json").read_bytes()
    with pytest.raises(InputFormatError, match=r"sleep\.json, line \d+, column \d+"):
        extract(extract_oura_page, raw[: len(raw) // 2], "sleep.json")


def test_non_object_item_is_an_error_record():
    body = {"data": [{"id": "a"}, 5, "text", None, {"id": "b"}], "next_token": None}

    records = extract(extract_oura_page, json.dumps(body).encode(), "workout.json")

    assert [r.position for r in records] == [f"data[{i}]" for i in range(5)]
    assert [r.payload for r in records] == [{"id": "a"}, None, None, None, {"id": "b"}]
    assert [r.error is not None for r in records] == [False, True, True, True, False]


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"detail": "Unauthorized"}', b'{"data": {"id": "a"}}', b'"data"', b"{}"],
)
def test_body_that_is_not_a_list_response_is_refused(body):
    with pytest.raises(InputFormatError, match=r"session\.json"):
        extract(extract_oura_page, body, "session.json")


def test_deeply_nested_json_is_refused_not_crashed():
    with pytest.raises(InputFormatError, match=r"heartrate\.json"):
        extract(extract_oura_page, b"[" * 200_000, "heartrate.json")


# -- Oura membership export -----------------------------------------------------------------------
# API-shaped documents; the export holds them as semicolon CSV rows with JSON cells.
READINESS = [
    {"id": "101", "day": "2024-10-10", "score": 82, "temperature_deviation": -0.12,
     "timestamp": "2024-10-10T00:00:00+00:00",
     "contributors": {"activity_balance": 77, "hrv_balance": None, "resting_heart_rate": 90}},
    {"id": "102", "day": "2024-10-11", "score": 64, "temperature_deviation": 0.31,
     "timestamp": "2024-10-11T00:00:00+00:00",
     "contributors": {"activity_balance": 80, "hrv_balance": 55, "resting_heart_rate": 71}},
]
SLEEP = [
    {"id": "7c1e", "day": "2024-10-10", "type": "long_sleep", "efficiency": 80,
     "average_hrv": 38.5, "bedtime_start": "2024-10-10T01:01:59+02:00",
     "movement_30_sec": "1122111", "heart_rate": None},
    {"id": "7c1f", "day": "2024-10-11", "type": "rest", "efficiency": 91,
     "average_hrv": 41.0, "bedtime_start": "2024-10-11T00:12:00+02:00",
     "movement_30_sec": "2111",
     "heart_rate": {"interval": 300.0, "items": [55, None, 54.5],
                    "timestamp": "2024-10-11T00:12:00.000+02:00"}},
]
SPO2 = [
    {"id": "5501", "day": "2024-10-10", "spo2_percentage": {"average": 96.5},
     "breathing_disturbance_index": 3},
]
STRESS_HEADER = "id;day;stress_high;recovery_high;day_summary"


def csv_text(documents: list[dict], *, indent: int | None = None) -> str:
    """Documents → semicolon CSV (nested objects as JSON, quoted where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(list(documents[0]))
    for doc in documents:
        writer.writerow(
            "" if v is None else json.dumps(v, indent=indent) if isinstance(v, dict) else v
            for v in doc.values()
        )
    return out.getvalue()


BAD_READINESS_ROW = "103;2024-10-12;70\n"  # 3 fields instead of 6
# the JSON cells are pretty-printed, so rows span lines: a later row's line is its line in the file
SLEEP_CSV = csv_text(SLEEP, indent=1)
READINESS_CSV = csv_text(READINESS[:1]) + BAD_READINESS_ROW + csv_text(READINESS[1:]).split(
    "\n", 1
)[1]
# unquoted JSON in a cell, as some exports write it
SPO2_CSV = (
    "id;day;spo2_percentage;breathing_disturbance_index\n"
    '5501;2024-10-10;{"average": 96.5};3\n'
)
EXPORT_MEMBERS: dict[str, bytes] = {
    "App Data/dailyreadiness.csv": b"\xef\xbb\xbf" + READINESS_CSV.encode(),
    "App Data/SleepModel.csv": SLEEP_CSV.encode(),
    "App Data/dailyspo2.csv": SPO2_CSV.encode(),
    "App Data/DailyStress.csv": (STRESS_HEADER + "\n").encode(),  # header only
    "App Data/rawlocation.csv": b"timestamp;latitude;longitude\n2024-10-10T08:00:00;60.17;24.94\n",
    "Subscriptions/account.csv": b"email;name\nme@example.org;Me\n",
    "App Data/README.txt": b"not a csv\n",
}
EXPECTED_ENDPOINTS = {
    "App Data/dailyreadiness.csv": "daily_readiness",
    "App Data/SleepModel.csv": "sleep",
    "App Data/dailyspo2.csv": "daily_spo2",
    "App Data/DailyStress.csv": "daily_stress",
}
EXPECTED_DOCUMENTS = {
    "App Data/dailyreadiness.csv": READINESS,
    "App Data/SleepModel.csv": SLEEP,
    "App Data/dailyspo2.csv": SPO2,
    "App Data/DailyStress.csv": [],
}


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    root = tmp_path / "oura-export"
    for name, data in EXPORT_MEMBERS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    path = tmp_path / "oura-export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("App Data/", b"")
        for name, data in EXPORT_MEMBERS.items():
            archive.writestr(name, data)
        # the resource fork a Mac adds when the zip is re-made: binary, not an export file
        archive.writestr("__MACOSX/App Data/._dailyreadiness.csv", b"\x00\x05\x16\x07\xff\xfe")
    return path


@pytest.mark.parametrize(
    ("name", "endpoint"),
    [
        ("dailyreadiness.csv", "daily_readiness"),
        ("App Data/SleepModel.csv", "sleep"),
        ("App Data\\dailysleep.csv", "daily_sleep"),
        ("DailyResilience.csv", "daily_resilience"),
        ("dailycardiovascularage.csv", "daily_cardiovascular_age"),
        ("vo2max.csv", "vO2_max"),
        ("heartrate.csv", "heartrate"),
        ("rawlocation.csv", None),
        ("Subscriptions/account.csv", None),
        ("Subscriptions/payment-method.csv", None),
        ("App Data/dailyreadiness.json", None),
        ("__MACOSX/App Data/._dailysleep.csv", None),
    ],
)
def test_endpoint_for_export_file(name, endpoint):
    assert endpoint_for_export_file(name) == endpoint


def extract_export(files: list[tuple[str, str, Path]]) -> dict[str, list]:
    result = {}
    for name, _, local in files:
        with local.open("rb") as stream:
            result[Path(name).as_posix()] = list(extract_oura_export_csv(stream, name))
    return result


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_export_lists_only_the_files_it_reads(as_zip, export_dir, export_zip):
    with export_files(export_zip if as_zip else export_dir) as files:
        listed = {Path(name).as_posix(): endpoint for name, endpoint, _ in files}
        stored = {Path(name).as_posix(): local.read_bytes() for name, _, local in files}

    assert listed == EXPECTED_ENDPOINTS  # no privacy file, no README, no resource fork
    assert stored == {name: EXPORT_MEMBERS[name] for name in EXPECTED_ENDPOINTS}


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_export_rows_become_api_documents(as_zip, export_dir, export_zip):
    with export_files(export_zip if as_zip else export_dir) as files:
        extracted = extract_export(files)

    documents = {
        name: [r.payload for r in records if r.error is None] for name, records in extracted.items()
    }
    assert documents == EXPECTED_DOCUMENTS
    # types, spelled out: numbers typed, JSON decoded, numeric-looking text kept as text
    first = documents["App Data/dailyreadiness.csv"][0]
    assert type(first["score"]) is int and type(first["temperature_deviation"]) is float
    assert first["id"] == "101" and first["day"] == "2024-10-10"
    assert isinstance(first["contributors"], dict) and first["contributors"]["hrv_balance"] is None
    assert documents["App Data/SleepModel.csv"][1]["movement_30_sec"] == "2111"
    assert documents["App Data/dailyspo2.csv"][0]["spo2_percentage"] == {"average": 96.5}


def test_export_row_with_wrong_field_count_is_an_error_at_its_line(export_dir):
    path = export_dir / "App Data" / "dailyreadiness.csv"
    lines = path.read_bytes().split(b"\n")
    bad_line = lines.index(BAD_READINESS_ROW.strip().encode()) + 1

    with path.open("rb") as stream:
        records = list(extract_oura_export_csv(stream, path.name))

    assert [r.position for r in records] == ["line 2", f"line {bad_line}", f"line {bad_line + 1}"]
    assert records[1].payload is None and records[1].error is not None
    assert "6" in records[1].error and "3" in records[1].error


def test_export_positions_count_lines_of_multiline_json_cells():
    bad_row = "7c20;2024-10-12;rest\n"
    data = (SLEEP_CSV + bad_row).encode()
    bad_line = data.split(b"\n").index(bad_row.strip().encode()) + 1
    assert bad_line > len(SLEEP) + 2  # the pretty-printed cells really span lines

    records = extract(extract_oura_export_csv, data, "SleepModel.csv")

    assert [r.payload for r in records[:2]] == SLEEP
    assert records[2].error is not None and records[2].position == f"line {bad_line}"


def test_export_header_only_and_empty_files_have_no_records():
    assert extract(extract_oura_export_csv, (STRESS_HEADER + "\n").encode()) == []
    assert extract(extract_oura_export_csv, b"") == []


def test_export_invalid_json_cell_is_an_error_record():
    data = b'id;day;contributors\n1;2024-10-10;{"activity_balance": 7\n2;2024-10-11;{}\n'

    records = extract(extract_oura_export_csv, data, "dailysleep.csv")

    assert records[0].error is not None and "contributors" in records[0].error
    assert records[1].payload == {"id": "2", "day": "2024-10-11", "contributors": {}}


def test_export_file_that_is_not_utf8_is_refused_naming_the_file():
    data = b"id;day;score\n1;2024-10-10;\xff\xfe80\n"
    with pytest.raises(InputFormatError, match=r"dailysleep\.csv"):
        extract(extract_oura_export_csv, data, "dailysleep.csv")
