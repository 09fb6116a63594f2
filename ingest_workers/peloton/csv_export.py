"""Peloton's "Download Workouts" CSV (`biolake ingest peloton --csv FILE`).

Headers are matched by pattern, not by exact string, because US, metric and older variants
differ (`Avg. Speed (mph)` / `(kph)` / `(MPH)`, `Distance (mi)` / `(km)` / `(miles)`). Each row
becomes a dict keyed by canonical field names with the cells kept as text: typing, units and
time zones are the normalizer's job, so the raw values stay inspectable in quarantine.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from biolake.errors import InputFormatError
from ingest_workers.records import ExtractedRecord

# canonical field → header pattern (case-insensitive, whole header)
_HEADER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("workout_timestamp", r"workout timestamp"),
    ("live_on_demand", r"live\s*/\s*on[- ]demand"),
    ("instructor_name", r"instructor name"),
    ("length_minutes", r"length \(minutes?\)"),
    ("fitness_discipline", r"fitness discipline"),
    ("class_type", r"type"),
    ("title", r"title"),
    ("class_timestamp", r"class timestamp"),
    ("total_output_kj", r"total output"),
    ("avg_watts", r"avg\. watts"),
    ("avg_resistance", r"avg\. resistance"),
    ("avg_cadence_rpm", r"avg\. cadence \(rpm\)"),
    ("avg_speed_mph", r"avg\. speed \(mph\)"),
    ("avg_speed_kph", r"avg\. speed \(kph\)"),
    ("distance_mi", r"distance \((mi|miles)\)"),
    ("distance_km", r"distance \(km\)"),
    ("calories_kcal", r"calories burned"),
    ("avg_heartrate", r"avg\. heartrate"),
    ("avg_incline", r"avg\. incline"),
    ("avg_pace_min_per_mi", r"avg\. pace \(min/(mi|mile)\)"),
    ("avg_pace_min_per_km", r"avg\. pace \(min/km\)"),
)
REQUIRED_FIELDS = ("workout_timestamp", "fitness_discipline", "title")


def canonical_field(header: str) -> str:
    """`Avg. Speed (kph)` → `avg_speed_kph`; unknown headers keep a snake_case form of themselves."""
    cleaned = " ".join(header.strip().split())
    for field, pattern in _HEADER_PATTERNS:
        if re.fullmatch(pattern, cleaned, flags=re.IGNORECASE):
            return field
    return re.sub(r"[^a-z0-9]+", "_", cleaned.lower()).strip("_") or "unnamed"


def extract_peloton_csv(stream: BinaryIO, object_name: str) -> Iterator[ExtractedRecord]:
    """One row → one record; a row with the wrong number of fields becomes an error record."""
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        raise InputFormatError(object_name, "line 1", f"not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:  # e.g. a header cell longer than the csv module's field limit
        raise InputFormatError(object_name, "line 1", str(exc)) from exc
    if header is None:
        raise InputFormatError(object_name, "line 1", "empty file: no header")
    fields = [canonical_field(h) for h in header]
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        raise InputFormatError(
            object_name,
            "line 1",
            f"not a Peloton workouts CSV: header lacks {', '.join(missing)} (found: {', '.join(header)})",
        )
    try:
        for row in reader:
            position = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(fields):
                yield ExtractedRecord(
                    position, error=f"expected {len(fields)} fields, found {len(row)}"
                )
                continue
            yield ExtractedRecord(position, payload=dict(zip(fields, row, strict=True)))
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            object_name, f"line {reader.line_num + 1}", f"not UTF-8 text ({exc.reason})"
        ) from exc
    except csv.Error as exc:
        raise InputFormatError(object_name, f"line {reader.line_num}", str(exc)) from exc
