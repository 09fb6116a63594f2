"""Fuzzing the Oura membership-export CSV reader (`extract_oura_export_csv`).

No real export is public (DATA-FORMATS.md 2.A), so the structure-aware cases are built the way
the export is described: the real API pages' documents as `;`- or `,`-separated rows under
snake_case headers, nested objects as JSON text in quoted cells, a byte-order mark or not.

Documented errors: InputFormatError for a file that is not UTF-8 or that the csv module
refuses; a row with the wrong number of fields or a cell of unreadable JSON is a record with
`error` set."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import example, given
from hypothesis import strategies as st

from ingest_workers.oura.api_files import OURA_ENDPOINTS
from ingest_workers.oura.export import extract_oura_export_csv
from tests.fuzz.strategies import json_values, mutated, raw_inputs, run_extractor
from tests.support.paths import REAL_FIXTURES

DOCUMENTS: list[list[dict]] = [
    json.loads((REAL_FIXTURES / "oura_api_v2" / f"{endpoint}.json").read_text())["data"][:3]
    for endpoint in OURA_ENDPOINTS
]
DOCUMENTS = [documents for documents in DOCUMENTS if documents]
# Cells json.dumps never writes: broken or deep JSON, numbers past Python's limits, the words
# the reader turns into None or booleans.
HOSTILE_CELLS = ["{", "[", '{"a":', "[1, 2", "{}", "[]", "[" * 3000 + "]" * 3000, "[" * 50_000,
                 '{"x": ' + "9" * 5000 + "}", "9" * 5000, "-" + "1" * 4301, "1e999", "-.5e-3",
                 "1.", ".", "-", "NaN", "nan", "None", "null", "True", "false", "0x10", " 1 ",
                 '"quoted"', "a;b", "a,b", "\n", "\r", '"', "\x00", "\ufeff"]
CSV_TOKENS = (b";", b",", b'"', b'""', b"\r\n", b"\n", b"{", b"[" * 20_000, b"x" * 140_000)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


cells = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
    st.text(max_size=12),
    json_values(max_leaves=6).map(_cell),
)


@st.composite
def export_csvs(draw: st.DrawFn) -> bytes:
    """One endpoint's documents as an export CSV, with random cells, columns and quoting."""
    documents = draw(st.sampled_from(DOCUMENTS))
    header = list(documents[0])
    rows = [[_cell(document.get(field)) for field in header] for document in documents]
    for _ in range(draw(st.integers(0, 5))):
        edit = draw(st.sampled_from(["cell", "cell", "drop cell", "add cell", "drop row", "header"]))
        if edit == "header":
            header[draw(st.integers(0, len(header) - 1))] = draw(
                st.sampled_from(["id", "day", "contributors", "timestamp", "", "a;b"])
                | st.text(max_size=8)
            )
            continue
        if not rows:
            continue
        row = rows[draw(st.integers(0, len(rows) - 1))]
        at = draw(st.integers(0, max(len(row) - 1, 0)))
        if edit == "cell" and row:
            row[at] = draw(cells)
        elif edit == "drop cell" and row:
            del row[at]
        elif edit == "add cell":
            row.insert(at, draw(cells))
        elif edit == "drop row":
            rows.remove(row)
    delimiter = draw(st.sampled_from([";", ";", ","]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    if draw(st.booleans()):  # written by a CSV writer: JSON cells quoted
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows([header, *rows])
        text = out.getvalue()
    else:  # joined by hand: a delimiter or quote inside a cell breaks the row
        text = newline.join(delimiter.join(row) for row in [header, *rows])
    text = draw(st.sampled_from(["", "\ufeff"])) + text
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "latin-1"]))
    return draw(mutated(text.encode(encoding, errors="replace"), CSV_TOKENS))


@given(st.one_of(export_csvs(), raw_inputs()))
@example(b"id;contributors\n1;" + b"[" * 50_000 + b"\n")  # found: RecursionError escaped
@example(b"x" * 140_000 + b"\n1\n")  # found: a header cell past the csv field limit (csv.Error)
@example(b'"id;day\n1;2\n')  # the header's quote never closes
@example(b"\xef\xbb\xbfid;score\r\n1;" + b"9" * 5000 + b"\r\n")
def test_oura_export_reader(data: bytes) -> None:
    result = run_extractor(extract_oura_export_csv, data)
    if isinstance(result, list):
        for record in result:
            assert record.position.startswith("line ")
