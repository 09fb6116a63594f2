"""Oura's membership export (`biolake ingest oura-export PATH`): a zip or a folder of CSVs.

The CSVs are semicolon-separated with snake_case headers mirroring API v2 fields, and nested
objects are JSON strings inside cells. Each CSV row is turned into the API's document shape
(numbers typed, JSON cells decoded) so one normalizer serves the API and the export. Privacy
files (raw location, account, contact, payment) are never read nor stored.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from biolake.errors import InputFormatError, UnknownInputError
from ingest_workers.records import ExtractedRecord

# export file stem (lower-case, without separators) → API endpoint
EXPORT_FILE_ENDPOINTS: dict[str, str] = {
    "dailyreadiness": "daily_readiness",
    "dailysleep": "daily_sleep",
    "sleepmodel": "sleep",
    "dailyactivity": "daily_activity",
    "heartrate": "heartrate",
    "dailyspo2": "daily_spo2",
    "workout": "workout",
    "session": "session",
    "dailystress": "daily_stress",
    "dailyresilience": "daily_resilience",
    "dailycardiovascularage": "daily_cardiovascular_age",
    "vo2max": "vO2_max",
}

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
# Text fields that look numeric but are strings in the API (e.g. movement_30_sec "1122").
_TEXT_FIELDS = {"id", "day", "movement_30_sec", "sleep_phase_5_min", "sleep_phase_30_sec",
                "app_sleep_phase_5_min", "class_5_min", "label", "ring_id", "tag_type_code"}


def endpoint_for_export_file(name: str) -> str | None:
    """`App Data/SleepModel.csv` → `sleep`; None for files this project does not read."""
    parts = name.replace("\\", "/").split("/")
    base = parts[-1]
    # `._dailysleep.csv` / `__MACOSX/` are macOS resource forks added when a zip is re-made on a
    # Mac: binary, not CSV, and their stems would otherwise map to a real endpoint
    if not base.lower().endswith(".csv") or base.startswith(".") or "__MACOSX" in parts:
        return None
    stem = re.sub(r"[^a-z0-9]", "", base[:-4].lower())
    return EXPORT_FILE_ENDPOINTS.get(stem)


def _typed(field: str, cell: str) -> Any:
    text = cell.strip()
    if text == "" or text.lower() in {"null", "none", "nan"}:
        return None
    if field in _TEXT_FIELDS:
        return text
    if text[0] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"field '{field}' holds invalid JSON: {exc.msg}") from exc
        except RecursionError as exc:  # "[[[[...": quarantine the row rather than crash the batch
            raise ValueError(f"field '{field}' holds JSON nested too deeply") from exc
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text in {"true", "True", "false", "False"}:
        return text.lower() == "true"
    return text


def extract_oura_export_csv(stream: BinaryIO, object_name: str) -> Iterator[ExtractedRecord]:
    """One export CSV → one API-shaped document per row."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
    except UnicodeDecodeError as exc:
        # text is decoded in 8 KiB chunks, so the bad byte is somewhere in the first chunk
        message = f"not UTF-8 text ({exc.reason})"
        raise InputFormatError(object_name, "first 8 KiB", message) from exc
    if not header_line.strip():
        return  # an empty or header-less file has no records
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:  # e.g. a header cell longer than the csv module's field limit
        raise InputFormatError(object_name, "line 1", str(exc)) from exc
    reader = csv.reader(text, delimiter=delimiter)
    # A row's position is the line it starts on, counted in the file: the header was read before
    # the reader started (hence + 1) and a quoted JSON cell may span lines (so rows != lines).
    start = 2
    try:
        for row in reader:
            position, start = f"line {start}", reader.line_num + 2
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield ExtractedRecord(
                    position, error=f"expected {len(header)} fields, found {len(row)}"
                )
                continue
            try:
                payload = {
                    field: _typed(field, cell) for field, cell in zip(header, row, strict=True)
                }
            except ValueError as exc:
                yield ExtractedRecord(position, error=str(exc))
                continue
            yield ExtractedRecord(position, payload=payload)
    except UnicodeDecodeError as exc:
        raise InputFormatError(  # decoded in chunks: the bad byte is on a later line
            object_name, f"after line {reader.line_num + 1}", f"not UTF-8 text ({exc.reason})"
        ) from exc
    except csv.Error as exc:
        raise InputFormatError(object_name, f"line {reader.line_num + 1}", str(exc)) from exc


@contextmanager
def export_files(path: Path) -> Iterator[list[tuple[str, str, Path]]]:
    """(name inside the export, endpoint, local file) for every CSV this project reads.

    Zip members are copied byte for byte into a temporary folder first, so ingestion always
    works on local files; privacy files and unknown CSVs are skipped without being read.
    """
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        yield [
            (str(p.relative_to(path)), endpoint, p)
            for p in files
            if (endpoint := endpoint_for_export_file(p.name))
        ]
        return
    if not zipfile.is_zipfile(path):
        raise UnknownInputError(f"{path}: neither a folder nor a zip archive")
    with tempfile.TemporaryDirectory(prefix="biolake-oura-export-") as tmp:
        members: list[tuple[str, str, Path]] = []
        try:
            with zipfile.ZipFile(path) as archive:
                for index, info in enumerate(archive.infolist()):
                    endpoint = endpoint_for_export_file(info.filename)
                    if info.is_dir() or endpoint is None:
                        continue
                    local = Path(tmp) / f"{index}.csv"
                    with archive.open(info) as src, local.open("wb") as dst:
                        shutil.copyfileobj(src, dst, length=1 << 20)
                    members.append((info.filename, endpoint, local))
        except zipfile.BadZipFile as exc:
            raise InputFormatError(str(path), None, f"broken zip archive: {exc}") from exc
        yield members
