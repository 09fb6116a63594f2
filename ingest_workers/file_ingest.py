"""The `biolake ingest ...` commands that read files: each stores raw files in bronze and logs them.

One place for the CLI to import them from. Peloton's CSV lives in its own package
(`peloton.inbox`, which the `--inbox` command also uses) and is re-exported here; the source
packages never import this module, so they stay independent of each other.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from biolake.errors import InputFormatError
from biolake.lake import Lake
from biolake.sources import APPLE_HEALTH, APPLE_HEALTH_DATASET, OURA_API, OURA_EXPORT
from ingest_workers.apple_health import export_xml as apple_health
from ingest_workers.bronze_writer import IngestOutcome, ingest_local_file
from ingest_workers.ingestion_log import IngestionLog
from ingest_workers.oura import api_files as oura_api_files
from ingest_workers.oura import export as oura_export
from ingest_workers.peloton.inbox import ingest_peloton_csv

__all__ = [
    "ingest_apple_health",
    "ingest_oura_export",
    "ingest_oura_saved_responses",
    "ingest_peloton_csv",
]


def ingest_oura_saved_responses(lake: Lake, directory: Path, person_id: str) -> list[IngestOutcome]:
    """Store every saved Oura API v2 list response of a folder in bronze (source `oura_api`).

    Args:
        lake: where bronze and the ingestion log are.
        directory: a folder of `<endpoint>[_*].json` files (other files are left alone).
        person_id: whose data it is.

    Returns one outcome per file (`ingested`, `already_ingested` or `rejected`).

    Raises:
        UnknownInputError: not a folder, no JSON files, or a file name with an unknown endpoint
            prefix (checked before any file is stored).
    """
    files = oura_api_files.saved_response_files(directory)  # unknown prefixes fail before any write
    log = IngestionLog(lake)
    return [
        ingest_local_file(
            lake, log, path=path, source=OURA_API, dataset=endpoint, person_id=person_id,
            extractor=oura_api_files.extract_oura_page, extension="json",
        )
        for path, endpoint in files
    ]


def ingest_oura_export(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    """Store the CSVs of an Oura membership export in bronze (source `oura_export`).

    Args:
        lake: where bronze and the ingestion log are.
        path: the export's zip, or the folder it was unpacked to.
        person_id: whose data it is.

    Returns one outcome per CSV this project reads (privacy files and unknown CSVs are
    skipped unread).

    Raises:
        UnknownInputError: neither a folder nor a zip archive.
        InputFormatError: a broken zip archive.
    """
    log = IngestionLog(lake)
    with oura_export.export_files(path) as files:
        return [
            ingest_local_file(
                lake, log, path=local, source=OURA_EXPORT, dataset=endpoint, person_id=person_id,
                extractor=oura_export.extract_oura_export_csv, extension="csv",
                original_name=name,
            )
            for name, endpoint, local in files
        ]


def ingest_apple_health(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    """Store an Apple Health export in bronze (source `apple_health`); only export.xml is
    stored (routes, ECGs and CDA are not read).

    Args:
        lake: where bronze and the ingestion log are.
        path: export.zip, or export.xml.
        person_id: whose data it is.

    Returns one outcome, for export.xml (`rejected` when it is not a readable, safe export).

    Raises:
        InputFormatError: a zip without export.xml, or with a broken export.xml member.
    """

    def ingest(local: Path, name: str) -> list[IngestOutcome]:
        return [
            ingest_local_file(
                lake, IngestionLog(lake), path=local, source=APPLE_HEALTH,
                dataset=APPLE_HEALTH_DATASET, person_id=person_id,
                extractor=apple_health.extract_apple_health, extension="xml",
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
