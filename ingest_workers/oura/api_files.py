"""Oura API v2 list responses saved as files (`biolake ingest oura --from-dir DIR`).

A saved page is exactly what the API returned: `{"data": [...], "next_token": ...}`. The endpoint
comes from the file name, `<endpoint>.json` or `<endpoint>_<anything>.json`, and the longest
matching endpoint wins (`daily_sleep_2.json` is daily_sleep, `sleep_2.json` is sleep).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from biolake.errors import InputFormatError, UnknownInputError
from ingest_workers.records import ExtractedRecord, list_records, read_json

# The document endpoints this project stores (route names, with the route's own casing).
OURA_ENDPOINTS: tuple[str, ...] = (
    "daily_readiness",
    "daily_sleep",
    "sleep",
    "daily_activity",
    "heartrate",
    "daily_spo2",
    "workout",
    "session",
    "daily_stress",
    "daily_resilience",
    "daily_cardiovascular_age",
    "vO2_max",
)


def endpoint_for_file_name(file_name: str) -> str:
    """`daily_sleep_2.json` → `daily_sleep`; raises UnknownInputError for anything else."""
    if not file_name.endswith(".json"):
        raise UnknownInputError(f"{file_name}: not a .json file (expected <endpoint>[_*].json)")
    stem = file_name[: -len(".json")]
    matches = [e for e in OURA_ENDPOINTS if stem == e or stem.startswith(e + "_")]
    if not matches:
        known = ", ".join(OURA_ENDPOINTS)
        raise UnknownInputError(
            f"{file_name}: unknown Oura endpoint prefix (the file name must start with one of: {known})"
        )
    return max(matches, key=len)


def extract_oura_page(stream: BinaryIO, object_name: str) -> Iterator[ExtractedRecord]:
    """One saved list response → one record per item of `data`."""
    page = read_json(stream, object_name)
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise InputFormatError(
            object_name, None, 'not an Oura list response: expected {"data": [...], "next_token": ...}'
        )
    yield from list_records(page["data"])


def saved_response_files(directory: Path) -> list[tuple[Path, str]]:
    """Every `*.json` file of the folder with its endpoint; an unknown prefix raises before any
    file is stored. Other files (a LICENSE, a README) are not responses and are left alone."""
    if not directory.is_dir():
        raise UnknownInputError(f"{directory}: not a folder")
    files = sorted(
        p for p in directory.iterdir()
        if p.is_file() and p.suffix == ".json" and not p.name.startswith(".")
    )
    if not files:
        raise UnknownInputError(f"{directory}: no <endpoint>.json files to ingest")
    return [(path, endpoint_for_file_name(path.name)) for path in files]
