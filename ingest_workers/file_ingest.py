"""The `biolake ingest ...` commands that read files: each stores raw files in bronze and logs them."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from biolake.errors import InputFormatError
from biolake.lake import Lake
from ingest_workers.apple_health import export_xml as apple_health
from ingest_workers.oura import api_files as oura_api_files
from ingest_workers.oura import export as oura_export
from ingest_workers.bronze_writer import IngestOutcome, ingest_local_file
from biolake.sources import APPLE_HEALTH, APPLE_HEALTH_DATASET, OURA_API, OURA_EXPORT, PELOTON_CSV
from ingest_workers.extractors import extractor_for
from ingest_workers.ingestion_log import IngestionLog


def ingest_oura_saved_responses(lake: Lake, directory: Path, person_id: str) -> list[IngestOutcome]:
    files = oura_api_files.saved_response_files(directory)  # unknown prefixes fail before any write
    log = IngestionLog(lake)
    return [
        ingest_local_file(
            lake, log, path=path, source=OURA_API, dataset=endpoint, person_id=person_id,
            extractor=extractor_for(OURA_API, endpoint), extension="json",
        )
        for path, endpoint in files
    ]


def ingest_oura_export(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    log = IngestionLog(lake)
    with oura_export.export_files(path) as files:
        return [
            ingest_local_file(
                lake, log, path=local, source=OURA_EXPORT, dataset=endpoint, person_id=person_id,
                extractor=extractor_for(OURA_EXPORT, endpoint), extension="csv",
                original_name=name,
            )
            for name, endpoint, local in files
        ]


def ingest_peloton_csv(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    return [
        ingest_local_file(
            lake, IngestionLog(lake), path=path, source=PELOTON_CSV, dataset="workouts",
            person_id=person_id, extractor=extractor_for(PELOTON_CSV, "workouts"), extension="csv",
        )
    ]


def ingest_apple_health(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    """export.zip or export.xml; only export.xml is stored (routes, ECGs and CDA are not read)."""

    def ingest(local: Path, name: str) -> list[IngestOutcome]:
        return [
            ingest_local_file(
                lake, IngestionLog(lake), path=local, source=APPLE_HEALTH,
                dataset=APPLE_HEALTH_DATASET, person_id=person_id,
                extractor=extractor_for(APPLE_HEALTH, APPLE_HEALTH_DATASET), extension="xml",
                original_name=name,
            )
        ]

    if not zipfile.is_zipfile(path):
        return ingest(path, path.name)
    # the zip member is copied out once so it can be hashed, validated and stored in turn
    with (
        apple_health.open_apple_health_export(path) as (member_name, stream),
        tempfile.TemporaryDirectory(prefix="biolake-apple-") as tmp,
    ):
        local = Path(tmp) / "export.xml"
        try:
            with local.open("wb") as out:
                shutil.copyfileobj(stream, out, length=1 << 20)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise InputFormatError(f"{path}:{member_name}", None, f"broken zip member: {exc}") from exc
        return ingest(local, f"{path.name}:{member_name}")
