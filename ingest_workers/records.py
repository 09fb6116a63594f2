"""The shape every extractor yields: one record as received, or the reason it could not be read.

Extractors are pure: they read from a binary stream the caller opened and never touch the lake.
A record-level problem (a CSV row with the wrong number of fields, a non-object item in an Oura
page) becomes an `ExtractedRecord` with `error` set, which the ETL sends to quarantine; a
file-level problem (truncated JSON, unsafe XML) raises `InputFormatError` and the whole object
is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol


@dataclass(frozen=True)
class ExtractedRecord:
    """One record of a raw file.

    position: where it sits in the file, for people ("line 12", "data[3]", "line 5678").
    payload:  the record as received, JSON-compatible (None when `error` is set).
    error:    why the record could not be read (None when it could).
    dataset:  the dataset this record belongs to when one file holds several (Apple Health);
              None means the dataset of the file.
    """

    position: str
    payload: dict[str, Any] | None = None
    error: str | None = None
    dataset: str | None = None


class Extractor(Protocol):
    """Turns one raw file into records. `object_name` is used in error messages only."""

    def __call__(self, stream: BinaryIO, object_name: str) -> Iterator[ExtractedRecord]: ...
