"""What the fuzz tests share: byte mutations, JSON values, and the check every reader case ends
with (records of the documented shape, or the documented error, within one second)."""

from __future__ import annotations

import gc
import io
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hypothesis import strategies as st

from biolake.errors import InputFormatError
from ingest_workers.records import ExtractedRecord, Extractor

CASE_SECONDS = 1.0
OBJECT_NAME = "fuzz/input"

# Bytes that readers trip over, whatever the format.
HOSTILE_BYTES: tuple[bytes, ...] = (
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\r", b"\n", b"\r\n", b"\t", b"\x0b", b"\x1b", b" ", b'"', b"'",
    b"\\", b"\xe2\x80\xa8", b"\xc2\x85", "\u00e9\u4e2d\U0001f600".encode(),
)


_gc_pauses = {"started": 0.0, "total": 0.0}


def _time_gc(phase: str, info: dict[str, int]) -> None:
    now = time.thread_time()
    if phase == "start":
        _gc_pauses["started"] = now
    else:
        _gc_pauses["total"] += now - _gc_pauses["started"]


gc.callbacks.append(_time_gc)


@contextmanager
def within_a_second(what: str) -> Iterator[None]:
    """Fails the case when the block takes CASE_SECONDS or more of this thread's CPU time, less
    the garbage collector's pauses: a full collection walks the whole heap, the fuzzer's own
    objects included (0.5 s seen in a 3,000-case run), and is not the code's cost; Hypothesis
    leaves it out of its deadline too. CPU time, so other processes on a busy machine do not
    count."""
    started, paused = time.thread_time(), _gc_pauses["total"]
    yield
    elapsed = time.thread_time() - started - (_gc_pauses["total"] - paused)
    assert elapsed < CASE_SECONDS, f"{what} took {elapsed:.2f} s of CPU"


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and the infinities included: Python's json writes and reads them)."""
    scalars = (
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
        | st.sampled_from(["", "null", "NaN", "1e999", "-0", "9" * 40, "2025-03-31", "\x00"])
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=max_leaves,
    )


@st.composite
def mutated(
    draw: st.DrawFn, data: bytes, tokens: Sequence[bytes] = (), max_operations: int = 4
) -> bytes:
    """`data` after a few byte-level edits: truncation, deletion, insertion of random or hostile
    bytes (and the format's own `tokens`), overwrites, and a slice copied elsewhere."""
    buffer = bytearray(data)
    insertable = st.binary(min_size=1, max_size=12) | st.sampled_from((*HOSTILE_BYTES, *tokens))
    for _ in range(draw(st.integers(0, max_operations))):
        operation = draw(st.sampled_from(["truncate", "delete", "insert", "overwrite", "copy"]))
        at = draw(st.integers(0, len(buffer)))
        if operation == "truncate":
            del buffer[at:]
        elif operation == "delete":
            del buffer[at : at + draw(st.integers(1, 32))]
        elif operation == "insert":
            buffer[at:at] = draw(insertable)
        elif operation == "overwrite":
            piece = draw(insertable)
            buffer[at : at + len(piece)] = piece
        else:
            start = draw(st.integers(0, len(buffer)))
            buffer[at:at] = buffer[start : start + draw(st.integers(1, 64))]
    return bytes(buffer)


def raw_inputs(max_size: int = 2048) -> st.SearchStrategy[bytes]:
    """Random bytes, and random text as UTF-8."""
    return st.binary(max_size=max_size) | st.text(max_size=max_size // 4).map(str.encode)


def run_extractor(
    extractor: Extractor | Callable[..., Any], data: bytes, **options: Any
) -> list[ExtractedRecord] | InputFormatError:
    """Read `data` to the end. Returns the records, or the InputFormatError the reader raised
    (the documented file-level error); anything else escapes and fails the case. Checks the
    reader's own CPU time and the shape of what it returned."""
    result: list[ExtractedRecord] | InputFormatError
    with within_a_second(f"the reader, on {len(data)} bytes,"):
        try:
            result = list(extractor(io.BytesIO(data), OBJECT_NAME, **options))
        except InputFormatError as error:
            result = error
    if isinstance(result, InputFormatError):
        assert result.source_name == OBJECT_NAME, "the error must name the file"
        assert result.reason, "the error must say what is wrong"
        return result
    for record in result:
        assert isinstance(record, ExtractedRecord)
        assert isinstance(record.position, str) and record.position
        if record.error is None:
            assert isinstance(record.payload, dict)
        else:
            assert isinstance(record.error, str) and record.error
        if record.payload is not None:
            json.dumps(record.payload)  # JSON-compatible: the ETL stores it as JSON
    return result


def decode_json(data: bytes) -> Any:
    """`data` as JSON the way the readers decode it, or None when it is not JSON."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
