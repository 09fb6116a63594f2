"""Fuzzing the Peloton "Download Workouts" CSV reader (`extract_peloton_csv`).

Documented errors: InputFormatError for a file that cannot be read as a workouts CSV (not UTF-8,
no header, a header without the required columns, CSV the csv module refuses); a row with the
wrong number of fields is a record with `error` set."""

from __future__ import annotations

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

from biolake.errors import InputFormatError
from ingest_workers.peloton.csv_export import REQUIRED_FIELDS, canonical_field, extract_peloton_csv
from tests.fuzz.strategies import mutated, raw_inputs, run_extractor
from tests.support.paths import REAL_FIXTURES

_HEADER, *_ROWS = list(csv.reader(io.StringIO(
    (REAL_FIXTURES / "peloton" / "workouts_us_units.csv").read_text(encoding="utf-8-sig")
)))
HEADER: list[str] = _HEADER
ROWS: list[list[str]] = _ROWS[:40]
REAL_CELLS = sorted({cell for row in ROWS for cell in row})
# The metric and older spellings of the same columns (DATA-FORMATS.md 3.1).
HEADER_VARIANTS = ["Avg. Speed (kph)", "Distance (km)", "Avg. Speed (MPH)", "Distance (miles)",
                   "Avg. Pace (min/km)", "Length (minute)", "Live / On-Demand", " workout  timestamp "]
CSV_TOKENS = (b",", b'"', b'""', b'","', b"\r\n", b"\n\n", b",,,,", b"\x00", b"x" * 140_000)

cells = st.one_of(
    st.sampled_from(REAL_CELLS),
    st.text(max_size=16),
    st.sampled_from(['"', '""', ",", "\n", "\r\n", "\r", 'a"b', "\ufeff", "\x00", " ", "", "%"]),
)


@st.composite
def peloton_csvs(draw: st.DrawFn) -> bytes:
    """The real header and rows with random columns, cells, quoting, line ends and encodings."""
    header = list(HEADER)
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["drop", "rename", "variant", "add", "swap"]))
        at = draw(st.integers(0, max(len(header) - 1, 0)))
        if edit == "drop" and header:
            del header[at]
        elif edit == "rename" and header:
            header[at] = draw(st.text(max_size=12))
        elif edit == "variant" and header:
            header[at] = draw(st.sampled_from(HEADER_VARIANTS))
        elif edit == "add":
            header.insert(at, draw(st.sampled_from(HEADER_VARIANTS) | st.text(max_size=8)))
        elif edit == "swap" and len(header) > 1:
            other = draw(st.integers(0, len(header) - 1))
            header[at], header[other] = header[other], header[at]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = list(draw(st.sampled_from(ROWS))) if draw(st.booleans()) else draw(
            st.lists(cells, max_size=len(header) + 2)
        )
        for _ in range(draw(st.integers(0, 3))):
            edit = draw(st.sampled_from(["cell", "drop", "add"]))
            at = draw(st.integers(0, max(len(row) - 1, 0)))
            if edit == "cell" and row:
                row[at] = draw(cells)
            elif edit == "drop" and row:
                del row[at]
            elif edit == "add":
                row.insert(at, draw(cells))
        rows.append(row)
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    if draw(st.booleans()):  # written by a CSV writer: quoting always balanced
        out = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
        try:
            csv.writer(out, quoting=quoting, escapechar="\\", lineterminator=newline).writerows(
                [header, *rows]
            )
        except csv.Error:  # QUOTE_NONE cannot write a row of one empty field
            out = io.StringIO()
            csv.writer(out, lineterminator=newline).writerows([header, *rows])
        text = out.getvalue()
    else:  # cells joined by hand: quotes, commas and line ends inside cells break the rows
        text = newline.join(",".join(row) for row in [header, *rows])
    text = draw(st.sampled_from(["", "\ufeff"])) + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    return draw(mutated(text.encode(encoding, errors="replace"), CSV_TOKENS))


@given(st.one_of(peloton_csvs(), raw_inputs()))
@example(b"x" * 140_000 + b"\n")  # found: a header cell past the csv field limit (csv.Error)
@example(b"Workout Timestamp,Fitness Discipline,Title\n" + b"a," * 3 + b"x" * 140_000 + b"\n")
@example(b"\xef\xbb\xbfWorkout Timestamp,Fitness Discipline,Title\r\n1,2,3\r\n\xff\r\n")
def test_peloton_csv_reader(data: bytes) -> None:
    result = run_extractor(extract_peloton_csv, data)
    if isinstance(result, InputFormatError):
        return
    # a result means a header with the required columns was read
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert set(REQUIRED_FIELDS) <= {canonical_field(h) for h in header}
    for record in result:
        assert record.position.startswith("line ")
        if record.payload is not None:
            assert all(isinstance(v, str) for v in record.payload.values())
