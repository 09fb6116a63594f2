"""`biolake ingest peloton --inbox`: Peloton CSVs dropped under `<lake>/inbox/peloton/`.

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

from biolake.errors import BiolakeError
from biolake.lake import Lake
from ingest_workers.bronze_writer import IngestOutcome, sha256_of
from ingest_workers.file_ingest import ingest_peloton_csv

INBOX = "inbox/peloton"
PROCESSED = f"{INBOX}/processed"
REJECTED = f"{INBOX}/rejected"


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
            except BiolakeError as exc:  # e.g. the lake refused the write: keep the file safe
                error = str(exc)
        target = _free_key(lake, REJECTED if error else PROCESSED, name, checksum)
        lake.move(key, target)
        if error:
            _write_note(lake, f"{target}.error.txt", f"{name}: {error}")
        results.append(InboxResult(key, target, outcome, error))
    return results
