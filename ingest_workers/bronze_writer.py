"""Store one raw file in bronze, content-addressed, and log it once.

The file is hashed, read through its extractor (to count records and to reject a file that
cannot be read at all), copied unchanged to `bronze/<source>/<dataset>/<person>/<sha256>.<ext>`
and logged. A rejected file is kept in bronze too (raw input is never lost) and logged with the
reason; the ETL only reads objects logged as `ingested`. Ingesting a rejected file again validates
it again and, if it now reads, its log row turns `ingested`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from biolake.errors import InputFormatError
from biolake.lake import Lake
from ingest_workers.ingestion_log import IngestionLog, IngestionLogEntry
from ingest_workers.records import Extractor

INGESTED = "ingested"
REJECTED = "rejected"
ALREADY_INGESTED = "already_ingested"


@dataclass(frozen=True)
class IngestOutcome:
    original_name: str
    source: str
    dataset: str
    object_key: str
    status: str  # ingested | rejected | already_ingested
    record_count: int
    error_count: int
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == REJECTED


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _count_records(path: Path, extractor: Extractor, name: str) -> tuple[int, int]:
    records = errors = 0
    with path.open("rb") as stream:
        for record in extractor(stream, name):
            records += 1
            errors += record.error is not None
    return records, errors


def ingest_local_file(
    lake: Lake,
    log: IngestionLog,
    *,
    path: Path,
    source: str,
    dataset: str,
    person_id: str,
    extractor: Extractor,
    extension: str,
    original_name: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestOutcome:
    """Store one local file in bronze, content-addressed, and log it once; the one way raw
    bytes enter the lake.

    Args:
        lake: where bronze and the ingestion log are.
        log: the lake's ingestion log.
        path: the local file, stored byte for byte.
        source, dataset: the bronze folders (`biolake.sources`), e.g. `oura_api`, `sleep`.
        person_id: whose data it is.
        extractor: reads the file, to count its records and to reject a file that cannot be
            read at all (`InputFormatError`).
        extension: the key's ending, `bronze/<source>/<dataset>/<person>/<sha256>.<extension>`.
        original_name: the name to log (default: the file's own name).
        clock: the time the log records.

    Returns the outcome: `ingested`; `already_ingested` (the same bytes were ingested before:
    nothing is written); or `rejected` (the extractor refused the file: it is kept in bronze
    and logged with the reason in `error`, so raw input is never lost).

    Raises:
        OSError: the file cannot be read, or the lake's storage (local disk, S3) refused a
            write; errors of the ingestion log's Delta table (delta-rs) pass through too.
    """
    name = original_name or path.name
    started = clock()
    checksum = sha256_of(path)
    key = lake.bronze_key(source, dataset, person_id, checksum, extension)

    previous = log.find(key)
    if previous is not None and previous["status"] == INGESTED:
        return IngestOutcome(
            name, source, dataset, key, ALREADY_INGESTED,
            previous["record_count"] or 0, previous["error_count"] or 0, None,
        )
    # new bytes, or bytes rejected before: (re)validate, since the parser may have been fixed

    error: str | None = None
    try:
        records, errors = _count_records(path, extractor, name)
    except InputFormatError as exc:
        records, errors, error = 0, 0, str(exc)

    if not lake.exists(key):
        lake.put_file(path, key)
    status = REJECTED if error else INGESTED
    log.record(
        IngestionLogEntry(
            object_key=key, person_id=person_id, source=source, dataset=dataset,
            original_name=name, checksum_sha256=checksum, size_bytes=path.stat().st_size,
            record_count=records, error_count=errors, status=status, error=error,
            started_at=started, finished_at=clock(),
        )
    )
    return IngestOutcome(name, source, dataset, key, status, records, errors, error)
