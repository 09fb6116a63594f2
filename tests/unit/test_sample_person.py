"""The sample person: byte-determinism, the real file formats, and the physiology it promises.

Everything is checked from the written files with json/csv/pandas/ElementTree only, against the
real samples and the Oura OpenAPI spec in tests/fixtures/, so a format drift or a lost effect fails here.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from ingest_workers.demo.sample_person import (
    HEARTRATE_PAGE_SIZE,
    OURA_ENDPOINTS,
    HeartRateSampling,
    SamplePersonFiles,
    generate_sample_person,
)
from tests.support.paths import OURA_OPENAPI_SPEC, REAL_FIXTURES

REAL = REAL_FIXTURES
SPEC_PATH = OURA_OPENAPI_SPEC
# The window 2025-01-01..2025-03-31 contains the US DST change of 2025-03-09.
END_DAY = date(2025, 3, 31)
PELOTON_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} \((?:[A-Z]{2,5}|[+-]\d{2})\)$")
APPLE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
LOCAL_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?[+-]\d{2}:\d{2}$")
DAY_KEYED = [e for e in OURA_ENDPOINTS if e != "heartrate"]


@pytest.fixture(scope="module")
def person(tmp_path_factory: pytest.TempPathFactory) -> SamplePersonFiles:
    out = tmp_path_factory.mktemp("person")
    return generate_sample_person(out, end_day=END_DAY, apple_health=True)


def _pages(oura_dir: Path, endpoint: str) -> list[Path]:
    pages = sorted(oura_dir.glob(f"{endpoint}_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    assert pages, f"no pages for {endpoint}"
    return pages


def _docs(oura_dir: Path, endpoint: str) -> list[dict]:
    return [d for p in _pages(oura_dir, endpoint) for d in json.loads(p.read_text())["data"]]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _peloton(person: SamplePersonFiles) -> pd.DataFrame:
    frame = pd.read_csv(person.peloton_csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame["day"] = pd.to_datetime(frame["Workout Timestamp"].str[:10])
    frame["kj"] = pd.to_numeric(frame["Total Output"], errors="coerce").fillna(0.0)
    return frame


def _scores(person: SamplePersonFiles, endpoint: str) -> pd.Series:
    frame = pd.DataFrame(_docs(person.oura_dir, endpoint))
    return frame.set_index(pd.to_datetime(frame["day"]))["score"].astype(float)


# --- determinism ----------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(person: SamplePersonFiles, tmp_path: Path) -> None:
    again = generate_sample_person(tmp_path, end_day=END_DAY, apple_health=True)
    assert _tree(again.root) == _tree(person.root)


def test_apple_health_flag_leaves_the_other_files_alone(
    person: SamplePersonFiles, tmp_path: Path
) -> None:
    without = generate_sample_person(tmp_path, end_day=END_DAY)
    assert without.apple_health_xml is None
    expected = {k: v for k, v in _tree(person.root).items() if not k.startswith("apple_health")}
    assert _tree(without.root) == expected


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    small = {"end_day": END_DAY, "oura_days": 20, "peloton_years": 1.0, "peloton_workouts": 80}
    a = generate_sample_person(tmp_path / "a", seed=1, **small)
    b = generate_sample_person(tmp_path / "b", seed=2, **small)
    assert a.peloton_csv.read_bytes() != b.peloton_csv.read_bytes()
    ready = "daily_readiness_1.json"
    assert (a.oura_dir / ready).read_bytes() != (b.oura_dir / ready).read_bytes()
    assert a.apple_health_xml is None and not (tmp_path / "a" / "apple_health").exists()


def test_dense_heart_rate_is_as_dense_as_real_responses_and_changes_no_other_file(
    tmp_path: Path,
) -> None:
    small = {"end_day": END_DAY, "oura_days": 20, "peloton_years": 1.0, "peloton_workouts": 80}
    default = generate_sample_person(tmp_path / "default", **small)
    dense = generate_sample_person(tmp_path / "dense", heartrate=HeartRateSampling.dense(), **small)
    others = [
        {k: v for k, v in _tree(person.root).items() if not k.startswith("oura/heartrate_")}
        for person in (default, dense)
    ]
    assert others[0] == others[1]
    rows = _docs(dense.oura_dir, "heartrate")
    # DATA-FORMATS 1.3: about 1,000 samples on a real day (New York days; gap days have fewer)
    per_day = Counter((datetime.fromisoformat(r["timestamp"]) - timedelta(hours=5)).date()
                      for r in rows)
    assert 1000 <= statistics.median(per_day.values()) <= 1500
    assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
    workout = [datetime.fromisoformat(r["timestamp"]) for r in rows if r["source"] == "workout"]
    gaps = {(b - a).total_seconds() for a, b in pairwise(workout)}
    assert 5.0 in gaps  # samples 5 s apart inside a workout, as in the real responses
    with pytest.raises(ValueError, match="heart-rate sampling"):
        HeartRateSampling(awake_s=1)


# --- Oura: envelope, paging and the OpenAPI schemas ------------------------------------------
@pytest.mark.parametrize("endpoint", OURA_ENDPOINTS)
def test_oura_pages_chain_with_next_token(person: SamplePersonFiles, endpoint: str) -> None:
    pages = _pages(person.oura_dir, endpoint)
    numbers = [int(p.stem.rsplit("_", 1)[1]) for p in pages]
    assert numbers == list(range(1, len(pages) + 1))
    size = HEARTRATE_PAGE_SIZE if endpoint == "heartrate" else 40
    tokens = []
    for n, path in enumerate(pages, start=1):
        body = json.loads(path.read_text())
        assert set(body) == {"data", "next_token"}
        assert isinstance(body["data"], list)
        if n < len(pages):
            assert len(body["data"]) == size
            assert isinstance(body["next_token"], str) and body["next_token"]
            tokens.append(body["next_token"])
        else:
            assert 0 < len(body["data"]) <= size
            assert body["next_token"] is None
    assert len(set(tokens)) == len(tokens)


_ENVELOPES = {
    "daily_readiness": "MultiDocumentResponse_PublicDailyReadiness_",
    "daily_sleep": "MultiDocumentResponse_PublicDailySleep_",
    "sleep": "MultiDocumentResponse_PublicModifiedSleepModel_",
    "daily_activity": "MultiDocumentResponse_PublicDailyActivity_",
    "daily_spo2": "MultiDocumentResponse_PublicDailySpO2_",
    "daily_stress": "MultiDocumentResponse_PublicDailyStress_",
    "workout": "MultiDocumentResponse_PublicWorkout_",
    "session": "MultiDocumentResponse_PublicSession_",
    "heartrate": "TimeSeriesResponse_PublicHeartRateRow_",
}
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


@pytest.fixture(scope="module")
def spec() -> dict:
    loaded = json.loads(SPEC_PATH.read_text())
    patched = copy.deepcopy(loaded)
    # Real heartrate rows lack timestamp_unix although 1.35 requires it (DATA-FORMATS 1.3);
    # the generator follows the real rows.
    row = patched["components"]["schemas"]["PublicHeartRateRow"]
    row["required"] = [k for k in row["required"] if k != "timestamp_unix"]
    return patched


def _violations(value: object, schema: dict, spec: dict, path: str) -> list[str]:
    """A small JSON-Schema check (the subset the spec uses), strict about unknown fields."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        if any(not _violations(value, option, spec, path) for option in schema["anyOf"]):
            return []
        return [f"{path}: {value!r:.60} matches no anyOf branch"]
    kind = schema.get("type")
    if kind and not _TYPES[kind](value):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if "minLength" in schema and len(value) < schema["minLength"]:  # type: ignore[arg-type]
        found.append(f"{path}: shorter than {schema['minLength']}")
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        absent = [k for k in schema.get("required", []) if k not in value]
        found += [f"{path}.{k}: required but absent" for k in absent]
        found += [f"{path}.{k}: not in the spec" for k in value if k not in props]
        for key, item in value.items():
            if key in props:
                found += _violations(item, props[key], spec, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            found += _violations(item, schema["items"], spec, f"{path}[{n}]")
    return found


@pytest.mark.parametrize("endpoint", OURA_ENDPOINTS)
def test_oura_pages_validate_against_openapi_1_35(
    person: SamplePersonFiles, spec: dict, endpoint: str
) -> None:
    envelope = spec["components"]["schemas"][_ENVELOPES[endpoint]]
    for page in _pages(person.oura_dir, endpoint):
        problems = _violations(json.loads(page.read_text()), envelope, spec, page.name)
        assert not problems, problems[:5]


def test_the_validator_rejects_a_broken_document(person: SamplePersonFiles, spec: dict) -> None:
    doc = copy.deepcopy(_docs(person.oura_dir, "daily_readiness")[0])
    schema = {"$ref": "#/components/schemas/PublicDailyReadiness"}
    assert _violations(doc, schema, spec, "doc") == []
    doc["score"] = "86"
    del doc["timestamp"]
    doc["surprise"] = 1
    assert len(_violations(doc, schema, spec, "doc")) == 3


def test_oura_values_look_like_the_real_samples(person: SamplePersonFiles) -> None:
    for endpoint in DAY_KEYED:
        for doc in _docs(person.oura_dir, endpoint):
            assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", doc["id"])
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["day"])
    for doc in _docs(person.oura_dir, "daily_readiness"):
        assert doc["timestamp"] == f"{doc['day']}T00:00:00+00:00"
        assert 1 <= doc["score"] <= 100
        assert len(doc["contributors"]) == 9
        assert all(v is None or 1 <= v <= 100 for v in doc["contributors"].values())
    assert any(
        d["contributors"]["previous_day_activity"] is None
        for d in _docs(person.oura_dir, "daily_readiness")
    )
    for doc in _docs(person.oura_dir, "daily_activity"):
        assert len(doc["class_5_min"]) == 288 and set(doc["class_5_min"]) <= set("012345")
        assert doc["met"]["interval"] == 60.0 and len(doc["met"]["items"]) == 1440
        assert re.fullmatch(rf"{doc['day']}T04:00:00[+-]\d{{2}}:00", doc["timestamp"])
        times = ("high", "medium", "low")
        parts = [doc[f"{t}_activity_time"] for t in times]
        parts += [doc["sedentary_time"], doc["resting_time"], doc["non_wear_time"]]
        assert sum(parts) == 86400
        assert 2000 <= doc["steps"] <= 20000
    rows = _docs(person.oura_dir, "heartrate")
    assert all(r["timestamp"].endswith("+00:00") for r in rows)
    assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
    assert {r["source"] for r in rows} == {"awake", "rest", "workout"}
    days = len({r["timestamp"][:10] for r in rows})
    assert 250 <= len(rows) / days <= 550
    for endpoint in ("workout", "session"):
        for doc in _docs(person.oura_dir, endpoint):
            assert LOCAL_DT.match(doc["start_datetime"]) and LOCAL_DT.match(doc["end_datetime"])


def test_sleep_periods_are_internally_consistent(person: SamplePersonFiles) -> None:
    periods = _docs(person.oura_dir, "sleep")
    long_days = [p["day"] for p in periods if p["type"] == "long_sleep"]
    assert len(long_days) == len(set(long_days))
    assert {p["type"] for p in periods} >= {"long_sleep", "sleep"}
    for p in periods:
        start = datetime.fromisoformat(p["bedtime_start"])
        end = datetime.fromisoformat(p["bedtime_end"])
        assert abs((end - start).total_seconds() - p["time_in_bed"]) <= 1
        total = p["deep_sleep_duration"] + p["light_sleep_duration"] + p["rem_sleep_duration"]
        assert p["total_sleep_duration"] == total
        assert p["awake_time"] == p["time_in_bed"] - total >= 0
        assert len(p["sleep_phase_5_min"]) == -(-p["time_in_bed"] // 300)
        if p["type"] == "long_sleep":
            assert p["day"] == end.date().isoformat() and start.date() <= end.date()
            assert p["readiness"] is not None and p["heart_rate"]["interval"] == 300.0
            assert len(p["heart_rate"]["items"]) == p["time_in_bed"] // 300
            assert LOCAL_DT.match(p["heart_rate"]["timestamp"])
        else:
            assert p["heart_rate"] is None and p["readiness"] is None
    # periods are numbered 0, 1, ... by start within each day
    frame = pd.DataFrame(periods)
    for _, group in frame.groupby("day"):
        assert sorted(group["period"]) == list(range(len(group)))
        assert list(group.sort_values("bedtime_start")["period"]) == list(range(len(group)))


def test_local_offsets_follow_dst(person: SamplePersonFiles) -> None:
    starts = {p["bedtime_start"][-6:] for p in _docs(person.oura_dir, "sleep")}
    assert starts == {"-05:00", "-04:00"}
    for p in _docs(person.oura_dir, "sleep"):
        offset = datetime.fromisoformat(p["bedtime_start"]).utcoffset().total_seconds() / 3600
        assert offset == (-4 if p["bedtime_start"][:10] >= "2025-03-09" else -5)


# --- Peloton ------------------------------------------------------------------------------------
def test_peloton_csv_matches_the_real_export(person: SamplePersonFiles) -> None:
    raw = person.peloton_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    real_header = (REAL / "peloton" / "workouts_us_units.csv").read_text().splitlines()[0]
    assert raw[3:].decode().splitlines()[0] == real_header
    assert b'"30 min XOXO, Cody"' in raw or b'"20 min XOXO, Cody"' in raw
    with person.peloton_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert abs(len(rows) - 833) <= 5
    assert all(len(r) == 18 and None not in r for r in rows)
    labels = set()
    for r in rows:
        assert PELOTON_TIME.match(r["Workout Timestamp"]), r["Workout Timestamp"]
        assert r["Class Timestamp"] == "" or PELOTON_TIME.match(r["Class Timestamp"])
        labels.add(r["Workout Timestamp"][-4:-1].strip("("))
    assert {"EST", "EDT"} <= labels and {"-05", "-04"} <= labels
    # Peloton's labels are not DST-correct: EST in July.
    stamps = [r["Workout Timestamp"] for r in rows]
    assert any(s[5:7] == "07" and s.endswith("(EST)") for s in stamps)
    minutes = [s[:16] for s in stamps]
    assert minutes == sorted(minutes, reverse=True)  # newest first
    lengths = {r["Length (minutes)"] for r in rows}
    assert {"None", "0"} <= lengths
    assert {r["Live/On-Demand"] for r in rows} == {"Live", "On Demand", ""}
    assert "Multiple Instructors " in {r["Instructor Name"] for r in rows}
    for r in rows:
        if r["Length (minutes)"] == "None":
            assert r["Instructor Name"] == "" and r["Class Timestamp"] == ""
        assert r["Avg. Incline"] == r["Avg. Pace (min/mi)"] == ""


def test_peloton_metrics_follow_the_discipline(person: SamplePersonFiles) -> None:
    frame = _peloton(person)
    counts = frame["Fitness Discipline"].value_counts()
    assert counts.index[0] == "Cycling"
    disciplines = {"Cycling", "Strength", "Yoga", "Stretching", "Meditation", "Cardio"}
    assert set(counts.index) == {*disciplines, "Bike Bootcamp"}
    bike_cols = ["Total Output", "Avg. Watts", "Avg. Resistance", "Avg. Cadence (RPM)"]
    app = frame[frame["Fitness Discipline"].isin(["Strength", "Yoga", "Stretching", "Meditation"])]
    assert (app[[*bike_cols, "Avg. Speed (mph)", "Distance (mi)"]] == "").all().all()
    boot = frame[frame["Fitness Discipline"] == "Bike Bootcamp"]
    assert (boot["Total Output"] != "").all() and (boot["Avg. Watts"] == "").all()
    rides = frame[(frame["Fitness Discipline"] == "Cycling") & (frame["kj"] > 20)]
    assert rides["Avg. Resistance"].str.fullmatch(r"\d{2}%").all()
    assert rides["Avg. Speed (mph)"].str.fullmatch(r"\d+\.\d{2}").all()
    classes = rides[~rides["Length (minutes)"].isin(["0", "None"])]
    minutes = classes["Length (minutes)"].astype(float)
    expected = classes["Avg. Watts"].astype(float) * minutes * 60 / 1000
    # kJ = W x min x 60 / 1000, up to the rounding of the printed kJ and the printed watts
    assert ((classes["kj"] - expected).abs() <= 0.5 + 0.5 * minutes * 60 / 1000).all()
    watts = rides["Avg. Watts"].astype(float)
    assert 120 <= watts.quantile(0.05) and watts.quantile(0.95) <= 250
    first_year = frame["day"] < frame["day"].min() + pd.Timedelta(days=365)
    assert (frame.loc[first_year, "Avg. Heartrate"] == "").all()
    later = frame.loc[~first_year & (frame["kj"] > 20), "Avg. Heartrate"]
    assert later.str.fullmatch(r"\d+\.\d{2}").mean() > 0.8
    assert (frame.loc[frame["Fitness Discipline"] == "Meditation", "Calories Burned"] == "").any()
    assert frame["Calories Burned"].str.fullmatch(r"\d*").all()


def test_peloton_has_the_aborted_rows(person: SamplePersonFiles) -> None:
    frame = _peloton(person)
    aborted = frame[(frame["Total Output"] == "0") & (frame["Calories Burned"] == "1")]
    assert len(aborted) == 1
    row = aborted.iloc[0]
    twin = frame[
        (frame["Title"] == row["Title"])
        & (frame["Class Timestamp"] == row["Class Timestamp"])
        & (frame["kj"] > 0)
    ]
    minute = pd.Timedelta(minutes=1)
    stamp = pd.to_datetime(row["Workout Timestamp"][:16])
    assert (pd.to_datetime(twin["Workout Timestamp"].str[:16]) - stamp == minute).any()
    assert (frame["Total Output"] == "0").sum() >= 3


# --- physiology, recomputed from the files -------------------------------------------------
def test_sleep_predicts_next_day_readiness(person: SamplePersonFiles) -> None:
    sleep = _scores(person, "daily_sleep")
    readiness = _scores(person, "daily_readiness")
    next_day = readiness.reindex(sleep.index + pd.Timedelta(days=1)).to_numpy()
    pairs = pd.DataFrame({"sleep": sleep.to_numpy(), "next": next_day}).dropna()
    assert len(pairs) >= 70
    assert pairs["sleep"].corr(pairs["next"]) > 0.3


def test_hard_days_lower_next_day_readiness(person: SamplePersonFiles) -> None:
    readiness = _scores(person, "daily_readiness")
    frame = _peloton(person)
    days = pd.date_range(END_DAY - pd.Timedelta(days=89), END_DAY)
    output = frame.groupby("day")["kj"].sum().reindex(days, fill_value=0.0)
    ridden = output[output > 0]
    top = ridden[ridden >= ridden.quantile(0.75)].index
    rest = days[~days.isin(frame["day"])]
    one = pd.Timedelta(days=1)
    after_top = readiness.reindex(top + one).dropna()
    after_rest = readiness.reindex(rest + one).dropna()
    assert len(after_top) >= 8 and len(after_rest) >= 15
    assert after_top.mean() < after_rest.mean()


def test_hrv_and_resting_hr_follow_readiness(person: SamplePersonFiles) -> None:
    nights = pd.DataFrame([p for p in _docs(person.oura_dir, "sleep") if p["type"] == "long_sleep"])
    nights.index = pd.to_datetime(nights["day"])
    joined = nights.join(_scores(person, "daily_readiness").rename("score"), how="inner")
    assert joined["average_hrv"].corr(joined["score"]) > 0.5
    assert joined["lowest_heart_rate"].corr(joined["score"]) < -0.4


def test_gaps_and_partial_days_exist(person: SamplePersonFiles) -> None:
    days = {d.date().isoformat() for d in pd.date_range(END_DAY - pd.Timedelta(days=89), END_DAY)}
    seen = {e: {d["day"] for d in _docs(person.oura_dir, e)} for e in DAY_KEYED}
    anything = set().union(*seen.values())
    gaps = days - anything
    assert 2 <= len(gaps) <= 6
    assert all(min(days) < g < max(days) for g in gaps)
    daily = ("daily_readiness", "daily_sleep", "daily_activity", "daily_spo2", "daily_stress")
    partial = [d for d in anything if 0 < sum(d in seen[e] for e in daily) < len(daily)]
    assert partial


def test_an_illness_stretch_shows(person: SamplePersonFiles) -> None:
    readiness = _scores(person, "daily_readiness")
    days = pd.date_range(readiness.index.min(), readiness.index.max())
    low = (readiness.reindex(days) < 60).astype(int)
    runs = low.groupby((low != low.shift()).cumsum()).cumsum()
    assert runs.max() >= 3
    # no Peloton workouts while sick
    end = runs.idxmax()
    sick = pd.date_range(end - pd.Timedelta(days=int(runs.max()) - 1), end)
    assert not _peloton(person)["day"].isin(sick).any()


# --- Apple Health ------------------------------------------------------------------------------
def test_apple_health_export_parses_and_has_the_records(person: SamplePersonFiles) -> None:
    assert person.apple_health_xml is not None
    text = person.apple_health_xml.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [')
    root = ET.parse(person.apple_health_xml).getroot()
    assert root.tag == "HealthData" and root.get("locale") == "en_US"
    assert root[0].tag == "ExportDate" and root[1].tag == "Me"
    records = root.findall("Record")
    types = {r.get("type") for r in records}
    assert types == {
        "HKQuantityTypeIdentifierHeartRate",
        "HKQuantityTypeIdentifierRestingHeartRate",
        "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
        "HKQuantityTypeIdentifierStepCount",
        "HKCategoryTypeIdentifierSleepAnalysis",
    }
    steps = [r for r in records if r.get("type") == "HKQuantityTypeIdentifierStepCount"]
    assert {r.get("sourceName") for r in steps} == {"Apple Watch", "iPhone"}
    sleep = {r.get("value") for r in records if "SleepAnalysis" in r.get("type", "")}
    assert sleep == {
        f"HKCategoryValueSleepAnalysis{v}"
        for v in ("AsleepCore", "AsleepDeep", "AsleepREM", "Awake")
    }
    for element in [*records, *root.findall("Workout")]:
        assert APPLE_TIME.match(element.get("startDate", "")), element.attrib
        assert APPLE_TIME.match(element.get("endDate", ""))
    workouts = root.findall("Workout")
    assert {w.get("sourceName") for w in workouts} == {"Peloton"}
    assert all(w.get("durationUnit") == "min" for w in workouts)
    assert "HKWorkoutActivityTypeCycling" in {w.get("workoutActivityType") for w in workouts}
    frame = _peloton(person)
    in_window = frame["day"] >= pd.Timestamp(END_DAY) - pd.Timedelta(days=89)
    assert len(workouts) == int(in_window.sum())
