"""The shape every extractor yields: one record as received, or the reason it could not be read.

Extractors are pure: they read from a binary stream the caller opened and never touch the lake.
A record-level problem (a CSV row with the wrong number of fields, a non-object item in an Oura
page) becomes an `ExtractedRecord` with `error` set, which the ETL sends to quarantine; a
file-level problem (truncated JSON, unsafe XML) raises `InputFormatError` and the whole object
is rejected.

The JSON extractors (Oura's saved pages, Peloton's API documents) share `read_json` and
`list_records`, so a broken file or item reads the same whichever source it came from.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from biolake.errors import InputFormatError


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


def read_json(stream: BinaryIO, object_name: str) -> Any:
    """The JSON document a whole file holds (UTF-8, a byte-order mark allowed). Raises
    InputFormatError, with the position when known, for a file that is not UTF-8 or not JSON
    (nested too deeply or holding a number too long to read included)."""
    raw = stream.read()
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputFormatError(object_name, f"byte {exc.start}", "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            object_name, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from exc
    except ValueError as exc:  # the only other ValueError json raises: Python's digit limit
        limit = sys.get_int_max_str_digits()
        message = f"invalid JSON: an integer of more than {limit} digits"
        raise InputFormatError(object_name, None, message) from exc
    except RecursionError as exc:  # e.g. "[[[[...": reject the file rather than crash the batch
        raise InputFormatError(object_name, None, "invalid JSON: nested too deeply") from exc


def list_records(items: list[Any], field: str = "data") -> Iterator[ExtractedRecord]:
    """One record per item of the list `field` (positions `data[0]`, `data[1]`, ...); an item
    that is not an object becomes a record with `error` set."""
    for index, item in enumerate(items):
        position = f"{field}[{index}]"
        if isinstance(item, dict):
            yield ExtractedRecord(position, payload=item)
        else:
            yield ExtractedRecord(position, error=f"item is a {type(item).__name__}, not an object")
