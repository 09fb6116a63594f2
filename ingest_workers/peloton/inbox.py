"""Peloton "Download Workouts" CSVs into bronze: one file (`biolake ingest peloton --csv FILE`),
or every file dropped under `<lake>/inbox/peloton/` (`biolake ingest peloton --inbox`).

Each file directly in the inbox folder goes through the same path as `--csv FILE` (the one bronze
writer, the ingestion log), then leaves the inbox, so the next run does not see it again:

    read and stored (or the same bytes were already)  →  inbox/peloton/processed/<name>
    rejected (not a Peloton workouts CSV, not UTF-8)   →  inbox/peloton/rejected/<name>, with
        `<name>.error.txt` beside it; the bytes are also kept in bronze and the reason is in
        the ingestion log, so nothing dropped is ever lost

Files are read through `biolake.lake.Lake`, so the inbox works on a folder lake and on S3 alike.
A name already taken in processed/ or rejected/ (the next export is again `workouts.csv`) gets
the first 12 hex digits of the file's SHA-256 added. Names starting with '.' and unfinished
`.partial` uploads are left alone: copy a large file in under a '.' name and rename it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from biolake.errors import BiolakeError, CommitConflictError
from biolake.lake import Lake
from biolake.sources import PELOTON_CSV
from ingest_workers.bronze_writer import IngestOutcome, ingest_local_file, sha256_of
from ingest_workers.ingestion_log import IngestionLog
from ingest_workers.peloton.csv_export import extract_peloton_csv

INBOX = "inbox/peloton"
PROCESSED = f"{INBOX}/processed"
REJECTED = f"{INBOX}/rejected"


def ingest_peloton_csv(lake: Lake, path: Path, person_id: str) -> list[IngestOutcome]:
    """Store one Peloton workouts CSV in bronze (source `peloton_csv`) and log it.

    Args:
        lake: where bronze and the ingestion log are.
        path: the CSV as Peloton's "Download Workouts" wrote it (US, metric or older headers).
        person_id: whose workouts they are.

    Returns one outcome: `ingested`, `already_ingested` (the same bytes were stored before), or
    `rejected` (not a Peloton workouts CSV: kept in bronze, the reason in the outcome and log).

    Raises:
        OSError: as `bronze_writer.ingest_local_file` (the file or the lake's storage).
    """
    return [
        ingest_local_file(
            lake, IngestionLog(lake), path=path, source=PELOTON_CSV, dataset="workouts",
            person_id=person_id, extractor=extract_peloton_csv, extension="csv",
        )
    ]


@dataclass(frozen=True)
class InboxResult:
    key: str  # where the file was dropped
    moved_to: str
    outcome: IngestOutcome | None  # None when the file could not be handed to the writer
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def inbox_files(lake: Lake) -> list[str]:
    """Keys of the files waiting directly in the inbox (not in processed/ or rejected/)."""
    waiting = []
    for key in lake.list_keys(INBOX):
        relative = key[len(INBOX) + 1 :]
        if "/" in relative or relative.startswith(".") or relative.endswith(".partial"):
            continue
        waiting.append(key)
    return waiting


def _free_key(lake: Lake, folder: str, name: str, checksum: str) -> str:
    key = f"{folder}/{name}"
    if not lake.exists(key):
        return key
    path = PurePosixPath(name)
    return f"{folder}/{path.stem}.{checksum[:12]}{path.suffix}"


def _write_note(lake: Lake, key: str, text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="biolake-inbox-") as tmp:
        note = Path(tmp) / "error.txt"
        note.write_text(text + "\n", encoding="utf-8")
        lake.put_file(note, key)


def ingest_peloton_inbox(lake: Lake, person_id: str) -> list[InboxResult]:
    """Ingest every file waiting in `<lake>/inbox/peloton/` as `ingest_peloton_csv` does, then
    move it to processed/ or rejected/ (with an `.error.txt` beside it); one result per file.
    A failure to store one file is its result's `error`, not raised."""
    results = []
    for key in inbox_files(lake):
        name = PurePosixPath(key).name
        with tempfile.TemporaryDirectory(prefix="biolake-inbox-") as tmp:
            local = Path(tmp) / name  # the writer logs the file's own name as original_name
            with lake.open(key) as stream, local.open("wb") as out:
                shutil.copyfileobj(stream, out, length=1 << 20)
            checksum = sha256_of(local)
            outcome: IngestOutcome | None = None
            try:
                (outcome,) = ingest_peloton_csv(lake, local, person_id)
                error = outcome.error if outcome.failed else None
            except CommitConflictError as exc:  # busy, not broken: left in the inbox for next time
                results.append(InboxResult(key, key, None, str(exc)))
                continue
            except BiolakeError as exc:  # e.g. the lake refused the write: keep the file safe
                error = str(exc)
        target = _free_key(lake, REJECTED if error else PROCESSED, name, checksum)
        lake.move(key, target)
        if error:
            _write_note(lake, f"{target}.error.txt", f"{name}: {error}")
        results.append(InboxResult(key, target, outcome, error))
    return results
