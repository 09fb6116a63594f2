"""API responses into bronze, exactly as received, through the one bronze writer.

The bronze writer reads files (it hashes, validates and copies one, as for a file a person gives),
so a response body goes to a temporary file under the name it is logged with and is handed over
like any other. The ingestion times come from the sync's clock (a `FakeClock` in tests).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from biolake.lake import Lake
from ingest_workers.bronze_writer import IngestOutcome, ingest_local_file
from ingest_workers.common.clock import Clock
from ingest_workers.ingestion_log import IngestionLog
from ingest_workers.records import Extractor


def store_response(
    lake: Lake,
    log: IngestionLog,
    *,
    body: bytes,
    source: str,
    dataset: str,
    name: str,
    extension: str,
    extractor: Extractor,
    person_id: str,
    clock: Clock,
) -> IngestOutcome:
    """Store one response body as `bronze/<source>/<dataset>/<person>/<sha256>.<extension>` and
    log it with original name `name`; returns the writer's outcome (a body the extractor cannot
    read is kept and logged as rejected, as any file would be)."""
    with tempfile.TemporaryDirectory(prefix="biolake-api-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(body)
        return ingest_local_file(
            lake, log, path=path, source=source, dataset=dataset, person_id=person_id,
            extractor=extractor, extension=extension, original_name=name,
            clock=lambda: datetime.fromtimestamp(clock.now(), UTC),
        )
