"""Apple Health export.xml extraction: the real sample, Apple's quirks, hostile XML, memory."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from biolake.errors import InputFormatError, UnsafeInputError
from ingest_workers.apple_health.export_xml import (
    RECORD_DATASETS,
    extract_apple_health,
    open_apple_health_export,
)
from ingest_workers.records import ExtractedRecord
from tests.support.paths import REAL_FIXTURES

SAMPLE = REAL_FIXTURES / "apple_health" / "export_v3_sample.xml"

DTD = """<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
]>
"""

# iOS 16 (Export Version 12): <!ATTLIST VisionPrescription lacks its closing '>'.
BROKEN_IOS16_DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 12 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT VisionPrescription (RightEye?, LeftEye?, MetadataEntry*)>
<!ATTLIST VisionPrescription
  type             CDATA #REQUIRED
  dateIssued       CDATA #REQUIRED
  expirationDate   CDATA #IMPLIED
  brand            CDATA #IMPLIED
<!ELEMENT RightEye EMPTY>
<!ATTLIST RightEye
  sphere CDATA #IMPLIED
>
]>
"""

DATES = (
    'creationDate="2023-01-02 08:00:05 +0100" '
    'startDate="2023-01-02 07:59:00 +0100" endDate="2023-01-02 08:00:00 +0100"'
)
HEART_RATE = (
    '<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" '
    f'{DATES} value="61"/>'
)
DISTANCE = (
    '<Record type="HKQuantityTypeIdentifierDistanceWalkingRunning" sourceName="Watch" unit="km" '
    f'{DATES} value="0.1"/>'
)


def export(body: str, dtd: str = DTD) -> bytes:
    """A small export.xml around `body`, laid out like Apple's (one element per line)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{dtd}"
        '<HealthData locale="en_GB">\n'
        ' <ExportDate value="2023-01-03 09:00:00 +0100"/>\n'
        f"{body}\n"
        "</HealthData>\n"
    ).encode()


def extract(data: bytes, **kwargs: int) -> list[ExtractedRecord]:
    return list(extract_apple_health(io.BytesIO(data), "export.xml", **kwargs))


def line_of(data: bytes, needle: str, occurrence: int = 0) -> int:
    """1-based line of the `occurrence`-th `needle`, computed from the raw text."""
    starts = [m.start() for m in re.finditer(re.escape(needle.encode()), data)]
    return data[: starts[occurrence]].count(b"\n") + 1


def test_record_datasets_contract() -> None:
    assert RECORD_DATASETS == {
        "HKQuantityTypeIdentifierHeartRate": "heart_rate",
        "HKQuantityTypeIdentifierRestingHeartRate": "resting_heart_rate",
        "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": "hrv_sdnn",
        "HKQuantityTypeIdentifierStepCount": "steps",
        "HKCategoryTypeIdentifierSleepAnalysis": "sleep_analysis",
    }


# --- the real sample ---------------------------------------------------------------------------


def expected_from_sample() -> list[ExtractedRecord]:
    """What the extractor should yield, worked out with ElementTree and a line scan."""
    text = SAMPLE.read_text(encoding="utf-8")
    elements = [el for el in ET.fromstring(text) if el.tag in ("Record", "Workout")]
    lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"\s*<(Record|Workout)\b", line)
    ]
    assert len(lines) == len(elements)  # the sample has one top-level element per line
    expected = []
    for element, line in zip(elements, lines, strict=True):
        payload = {**element.attrib, "metadata": {}}
        if element.tag == "Workout":
            dataset = "workouts"
            payload["statistics"] = []
        elif element.get("type") == "HKQuantityTypeIdentifierStepCount":
            dataset = "steps"
        else:
            continue
        expected.append(ExtractedRecord(f"line {line}", payload, None, dataset))
    return expected


def test_real_sample_yields_exactly_the_records_of_interest() -> None:
    expected = expected_from_sample()
    assert Counter(r.dataset for r in expected) == {"steps": 10, "workouts": 1}

    with SAMPLE.open("rb") as stream:
        records = list(extract_apple_health(stream, SAMPLE.name))

    assert records == expected
    assert records[0].payload is not None and records[0].payload["value"] == "329"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1000])
def test_chunk_boundaries_anywhere_give_the_same_records(chunk_size: int) -> None:
    data = SAMPLE.read_bytes()
    assert extract(data, chunk_size=chunk_size) == extract(data)


# --- Apple's quirks ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 5, 1 << 20])
@pytest.mark.parametrize("subset_end", ["]>", "]\n  >"])
def test_broken_ios16_dtd_is_skipped(subset_end: str, chunk_size: int) -> None:
    data = export(f" {HEART_RATE}\n {HEART_RATE}", BROKEN_IOS16_DTD.replace("]>", subset_end))
    with pytest.raises(ET.ParseError):  # what every DTD-reading parser does with it
        ET.fromstring(data)

    records = extract(data, chunk_size=chunk_size)

    assert [r.position for r in records] == [
        f"line {line_of(data, '<Record')}",
        f"line {line_of(data, '<Record', 1)}",
    ]
    assert {r.dataset for r in records} == {"heart_rate"}


def test_stray_control_characters_become_spaces() -> None:
    record = HEART_RATE.replace('sourceName="Watch"', 'sourceName="Ann\x0bs\x1fWatch"')
    data = export(f" {record}")

    [parsed] = extract(data)

    assert parsed.payload is not None
    assert parsed.payload["sourceName"] == "Ann s Watch"


@pytest.mark.parametrize("chunk_size", [1, 1 << 20])
def test_spaced_attribute_names_of_old_exports_are_kept(chunk_size: int) -> None:
    # iOS 8.3 with a Withings scale (openradar 21431305).
    record = (
        '<Record type="HKQuantityTypeIdentifierHeartRate" source="Withings" unit="count/min" '
        'startDate="20150616071820-0700" endDate="20150616071820-0700" '
        'Health Mate App Version="2.6.0" HKDeviceSerialNumber="x1" '
        'Withings User Identifier="42" note="a b c=d" value="57"/>'
    )
    data = export(f" {record}")

    [parsed] = extract(data, chunk_size=chunk_size)

    assert parsed.error is None
    assert parsed.position == f"line {line_of(data, '<Record')}"
    assert parsed.payload == {
        "type": "HKQuantityTypeIdentifierHeartRate",
        "source": "Withings",
        "unit": "count/min",
        "startDate": "20150616071820-0700",
        "endDate": "20150616071820-0700",
        "Health Mate App Version": "2.6.0",
        "HKDeviceSerialNumber": "x1",
        "Withings User Identifier": "42",
        "note": "a b c=d",
        "value": "57",
        "metadata": {},
    }


@pytest.mark.parametrize("chunk_size", [1, 7, 1 << 20])
@pytest.mark.parametrize(
    "spaced", ["Health Mate App Version='2.6.0'", 'Health Mate App Version = "2.6.0"']
)
def test_spaced_attribute_names_are_read_with_any_quote_or_spacing(
    chunk_size: int, spaced: str
) -> None:
    # found by fuzzing: a single-quoted one was rewritten only when a double-quoted one shared its
    # chunk, so the same file was read at 1 MiB chunks and refused at 1-byte ones
    record = f'<Record type="HKQuantityTypeIdentifierHeartRate" {DATES} {spaced} value="57"/>'

    [parsed] = extract(export(f" {record}"), chunk_size=chunk_size)

    assert parsed.error is None
    assert parsed.payload is not None
    assert parsed.payload["Health Mate App Version"] == "2.6.0"


def test_record_payload_keeps_attributes_and_metadata_only() -> None:
    device = "&lt;&lt;HKDevice: 0x283d2bd40&gt;, name:Apple Watch, model:Watch&gt;"
    hrv = (
        f'<Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" '
        f'sourceVersion="9.1" device="{device}" unit="ms" {DATES} value="48.5">\n'
        '  <MetadataEntry key="HKAlgorithmVersion" value="2"/>\n'
        "  <HeartRateVariabilityMetadataList>\n"
        '   <InstantaneousBeatsPerMinute bpm="63" time="7:59:01.04 AM"/>\n'
        "  </HeartRateVariabilityMetadataList>\n"
        " </Record>"
    )
    sleep = (
        f'<Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" {DATES} '
        'value="HKCategoryValueSleepAnalysisAsleepCore"/>'
    )
    resting = HEART_RATE.replace("HeartRate", "RestingHeartRate")
    steps = HEART_RATE.replace("HeartRate", "StepCount")
    data = export("\n ".join(["", DISTANCE, hrv, sleep, resting, steps, DISTANCE]))

    records = extract(data)

    datasets = [r.dataset for r in records]
    assert datasets == ["hrv_sdnn", "sleep_analysis", "resting_heart_rate", "steps"]
    assert records[0].position == f"line {line_of(data, 'HeartRateVariabilitySDNN')}"
    assert records[0].payload == {
        "type": "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
        "sourceName": "Watch",
        "sourceVersion": "9.1",
        "device": "<<HKDevice: 0x283d2bd40>, name:Apple Watch, model:Watch>",
        "unit": "ms",
        "creationDate": "2023-01-02 08:00:05 +0100",
        "startDate": "2023-01-02 07:59:00 +0100",
        "endDate": "2023-01-02 08:00:00 +0100",
        "value": "48.5",
        "metadata": {"HKAlgorithmVersion": "2"},
    }
    assert records[1].payload is not None
    assert records[1].payload["value"] == "HKCategoryValueSleepAnalysisAsleepCore"


def test_missing_required_attributes_give_error_records() -> None:
    no_start = HEART_RATE.replace('startDate="2023-01-02 07:59:00 +0100" ', "")
    no_type = HEART_RATE.replace('type="HKQuantityTypeIdentifierHeartRate" ', "")
    no_activity = f'<Workout sourceName="Watch" {DATES}/>'
    data = export("\n ".join(["", HEART_RATE, no_start, no_type, no_activity]))

    records = extract(data)

    assert [(r.position, r.dataset, r.error) for r in records] == [
        (f"line {line_of(data, '<Record')}", "heart_rate", None),
        (
            f"line {line_of(data, '<Record', 1)}",
            "heart_rate",
            "missing required attribute 'startDate'",
        ),
        (f"line {line_of(data, '<Record', 2)}", None, "missing required attribute 'type'"),
        (
            f"line {line_of(data, '<Workout')}",
            "workouts",
            "missing required attribute 'workoutActivityType'",
        ),
    ]
    # the quarantine gets what was there
    assert records[1].payload is not None
    assert records[1].payload["endDate"] == "2023-01-02 08:00:00 +0100"


def test_correlation_children_are_not_yielded_twice() -> None:
    correlation = (
        '<Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" '
        f"{DATES}>\n"
        '  <MetadataEntry key="HKWasUserEntered" value="1"/>\n'
        f"  {HEART_RATE}\n"
        " </Correlation>"
    )
    data = export(f" {correlation}\n {HEART_RATE}")

    records = extract(data)

    assert [(r.dataset, r.position) for r in records] == [
        ("heart_rate", f"line {line_of(data, '<Record', 1)}")
    ]
    assert records[0].payload is not None and records[0].payload["metadata"] == {}


def test_workout_with_metadata_and_statistics() -> None:
    workout = (
        '<Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="30.5" '
        f'durationUnit="min" sourceName="Peloton" {DATES}>\n'
        '  <MetadataEntry key="HKIndoorWorkout" value="1"/>\n'
        '  <MetadataEntry key="HKTimeZone" value="Europe/London"/>\n'
        '  <WorkoutEvent type="HKWorkoutEventTypePause" date="2023-01-02 07:59:30 +0100"/>\n'
        '  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" '
        'startDate="2023-01-02 07:59:00 +0100" endDate="2023-01-02 08:00:00 +0100" '
        'average="141" minimum="92" maximum="171" unit="count/min"/>\n'
        '  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" '
        'startDate="2023-01-02 07:59:00 +0100" endDate="2023-01-02 08:00:00 +0100" '
        'sum="301.2" unit="kcal"/>\n'
        '  <WorkoutRoute sourceName="Watch">\n'
        '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n'
        '   <FileReference path="/workout-routes/route_2023-01-02_8.00am.gpx"/>\n'
        "  </WorkoutRoute>\n"
        " </Workout>"
    )
    data = export(f" {workout}")

    [record] = extract(data)

    assert (record.dataset, record.error) == ("workouts", None)
    assert record.position == f"line {line_of(data, '<Workout')}"
    assert record.payload == {
        "workoutActivityType": "HKWorkoutActivityTypeCycling",
        "duration": "30.5",
        "durationUnit": "min",
        "sourceName": "Peloton",
        "creationDate": "2023-01-02 08:00:05 +0100",
        "startDate": "2023-01-02 07:59:00 +0100",
        "endDate": "2023-01-02 08:00:00 +0100",
        "metadata": {"HKIndoorWorkout": "1", "HKTimeZone": "Europe/London"},
        "statistics": [
            {
                "type": "HKQuantityTypeIdentifierHeartRate",
                "startDate": "2023-01-02 07:59:00 +0100",
                "endDate": "2023-01-02 08:00:00 +0100",
                "average": "141",
                "minimum": "92",
                "maximum": "171",
                "unit": "count/min",
            },
            {
                "type": "HKQuantityTypeIdentifierActiveEnergyBurned",
                "startDate": "2023-01-02 07:59:00 +0100",
                "endDate": "2023-01-02 08:00:00 +0100",
                "sum": "301.2",
                "unit": "kcal",
            },
        ],
    }


# --- malformed and hostile XML -----------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 4, 1 << 20])
def test_external_entity_is_refused_and_never_read(tmp_path: Path, chunk_size: int) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    dtd = f'<!DOCTYPE HealthData [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
    data = export(f" {HEART_RATE.replace('Watch', '&xxe;')}", dtd)

    seen: list[ExtractedRecord] = []
    with pytest.raises(UnsafeInputError) as refused:
        seen.extend(extract_apple_health(io.BytesIO(data), "export.xml", chunk_size=chunk_size))

    assert refused.value.position == f"line {line_of(data, '<!ENTITY')}"
    assert "declares entities" in str(refused.value)
    assert seen == []
    assert "TOP-SECRET" not in repr(refused.value) + repr(seen)


def test_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    external = tmp_path / "evil.dtd"
    external.write_text('<!ENTITY leak "TOP-SECRET-7f3a">')
    dtd = f'<!DOCTYPE HealthData SYSTEM "file://{external}">\n'
    data = export(f" {HEART_RATE.replace('Watch', '&leak;')}", dtd)

    with pytest.raises(InputFormatError, match="undefined entity") as refused:
        extract(data)

    assert "TOP-SECRET" not in str(refused.value)


def test_billion_laughs_is_refused_quickly() -> None:
    lols = "\n".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    dtd = f'<!DOCTYPE HealthData [\n<!ENTITY lol0 "lol">\n{lols}\n]>\n'
    data = export(f" {HEART_RATE.replace('Watch', '&lol9;')}", dtd)

    started = time.perf_counter()
    with pytest.raises(UnsafeInputError):
        extract(data)

    assert time.perf_counter() - started < 1.0


def test_undeclared_entity_names_its_line() -> None:
    data = export(f" {HEART_RATE}\n {HEART_RATE.replace('Watch', 'A &foo; B')}")

    with pytest.raises(InputFormatError) as failed:
        extract(data)

    assert not isinstance(failed.value, UnsafeInputError)
    assert failed.value.reason == "undefined entity"
    assert failed.value.position is not None
    assert failed.value.position.startswith(f"line {line_of(data, '&foo;')}, column ")


def test_truncated_file_fails_at_the_right_line() -> None:
    data = SAMPLE.read_bytes()
    fifth_record = [m.start() for m in re.finditer(rb"<Record ", data)][4]
    truncated = data[: fifth_record + 60]
    cut_line = truncated.count(b"\n") + 1
    tag_column = fifth_record - truncated.rfind(b"\n")  # 1-based, like an editor

    with pytest.raises(InputFormatError) as failed:
        extract(truncated)

    # expat reports the unclosed tag where it starts, in the original file's coordinates
    assert failed.value.position == f"line {cut_line}, column {tag_column}"
    assert failed.value.source_name == "export.xml"
    assert failed.value.reason == "unclosed token"


def test_oversized_dtd_is_refused() -> None:
    padding = "<!-- padding -->\n" * (5 * 2**20 // 17)
    data = export(f" {HEART_RATE}", f"<!DOCTYPE HealthData [\n{padding}]>\n")

    with pytest.raises(InputFormatError, match="DOCTYPE longer than"):
        extract(data)


# --- opening exports ---------------------------------------------------------------------------


def test_zip_with_localised_folder_is_streamed(tmp_path: Path) -> None:
    data = export(f" {HEART_RATE}")
    archive = tmp_path / "导出.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("导出/export_cda.xml", "<ClinicalDocument/><ClinicalDocument/>")
        zf.writestr("导出/export.xml", data)
        zf.writestr("导出/workout-routes/route_2023-01-02_8.00am.gpx", "<gpx/>")
        zf.writestr("导出/electrocardiograms/ecg_2023-01-02.csv", "Name,x\n")

    with open_apple_health_export(archive) as (name, stream):
        records = list(extract_apple_health(stream, name))

    assert name == "导出/export.xml"
    assert [(r.dataset, r.position) for r in records] == [
        ("heart_rate", f"line {line_of(data, '<Record')}")
    ]


def test_zip_without_export_xml_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")

    with pytest.raises(InputFormatError, match=r"no export\.xml"):
        with open_apple_health_export(archive):
            pass


def test_plain_xml_file_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(export(f" {HEART_RATE}"))

    with open_apple_health_export(path) as (name, stream):
        records = list(extract_apple_health(stream, name))

    assert name == "export.xml"
    assert [r.dataset for r in records] == ["heart_rate"]


# --- constant memory ---------------------------------------------------------------------------


def write_large_export(path: Path, target_bytes: int) -> Counter[str]:
    """Write an export of about `target_bytes`, streaming; return the expected dataset counts."""
    heart_rate = (
        f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Zoë\u2019s Apple Watch" '
        f'sourceVersion="9.1" device="&lt;&lt;HKDevice: 0x283d2bd40&gt;, name:Apple Watch&gt;" '
        f'unit="count/min" {DATES} value="{{i}}">\n'
        '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n'
        " </Record>\n"
    )
    workout = (
        ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" '
        f'durationUnit="min" sourceName="Watch" {DATES}>\n'
        '  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" average="140" '
        f'unit="count/min" {DATES}/>\n'
        " </Workout>\n"
    )
    block = "".join(
        [heart_rate, f" {HEART_RATE.replace('HeartRate', 'StepCount')}\n", f" {DISTANCE}\n"]
    )
    expected: Counter[str] = Counter()
    with path.open("w", encoding="utf-8") as out:
        out.write(export("", DTD).decode().removesuffix("\n</HealthData>\n"))
        i = 0
        while out.tell() < target_bytes:
            batch = []
            for _ in range(1000):
                i += 1
                batch.append(block.replace("{i}", str(60 + i % 100)))
                expected.update(["heart_rate", "steps"])
                if i % 50 == 0:
                    batch.append(workout)
                    expected["workouts"] += 1
            out.write("".join(batch))
        out.write("</HealthData>\n")
    return expected


def test_memory_stays_flat_on_a_large_export(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    expected = write_large_export(path, 40 * 2**20)
    assert path.stat().st_size > 40 * 2**20

    counts: Counter[str] = Counter()
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for record in extract_apple_health(stream, path.name):
                assert record.error is None
                counts[record.dataset or ""] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts == expected
    assert peak < 20 * 2**20
