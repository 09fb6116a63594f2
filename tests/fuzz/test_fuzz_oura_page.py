"""Fuzzing the Oura API v2 list-page readers: `extract_oura_page` (a saved or synced page in
bronze → records) and the live client's page check (`OuraApiClient.pages`, a 200 body).

Documented errors: InputFormatError for a file that is not a list page (records.py), a record
with `error` set for an item that is not an object; OuraProtocolError for a 200 that is not
one (oura/errors.py)."""

from __future__ import annotations

import copy
import json
import random
from datetime import date

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from biolake.errors import InputFormatError
from ingest_workers.common.clock import FakeClock
from ingest_workers.oura.api_client import OuraApiClient, RequestWindow
from ingest_workers.oura.api_files import OURA_ENDPOINTS, extract_oura_page
from ingest_workers.oura.errors import OuraProtocolError
from tests.fuzz.strategies import (
    decode_json,
    json_values,
    mutated,
    raw_inputs,
    run_extractor,
    within_a_second,
)
from tests.support.paths import REAL_FIXTURES

# The real pages, each cut to its first three items so a case stays small.
PAGES: list[dict] = []
for _endpoint in OURA_ENDPOINTS:
    _page = json.loads((REAL_FIXTURES / "oura_api_v2" / f"{_endpoint}.json").read_text())
    PAGES.append({**_page, "data": _page["data"][:3]})

JSON_TOKENS = (b"{", b"}", b"[", b"]", b'"data"', b":", b",", b"null", b"NaN", b"-Infinity",
               b"1e999", b"9" * 5000, b"[" * 50_000, b'{"a":' * 2000, b"\\u0000", b"\\ud800")
# JSON text that json.dumps never writes: numbers past Python's limits, deep nesting
RAW_JSON = ("9" * 4301, "-" + "1" * 5000, "1" * 4300, "1e999", "-1e-999", "NaN", "-Infinity",
            "[" * 3000 + "]" * 3000, '"\\ud800"', '"\\u0000"', "1.5e308")
SENTINEL = "\x00raw\x00"


@st.composite
def oura_pages(draw: st.DrawFn) -> bytes:
    """A real page with random edits to its structure, then encoded, then byte-mutated."""
    page: object = copy.deepcopy(draw(st.sampled_from(PAGES)))
    assert isinstance(page, dict)
    for _ in range(draw(st.integers(0, 5))):
        items = page.get("data") if isinstance(page, dict) else None
        edit = draw(st.sampled_from(
            ["set field", "raw field", "drop field", "add item", "set data", "drop data",
             "next_token", "page"]
        ))
        if edit in {"set field", "raw field", "drop field"} and isinstance(items, list) and items:
            item = items[draw(st.integers(0, len(items) - 1))]
            if isinstance(item, dict) and item:
                key = draw(st.sampled_from(sorted(item)))
                if edit == "drop field":
                    del item[key]
                elif edit == "raw field":
                    item[key] = SENTINEL
                else:
                    item[key] = draw(json_values())
        elif edit == "add item" and isinstance(items, list):
            items.append(draw(json_values()))
        elif edit == "set data" and isinstance(page, dict):
            page["data"] = draw(json_values())
        elif edit == "drop data" and isinstance(page, dict):
            page.pop("data", None)
        elif edit == "next_token" and isinstance(page, dict):
            page["next_token"] = draw(json_values(max_leaves=3))
        elif edit == "page":
            page = draw(json_values())
    text = json.dumps(page, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    while json.dumps(SENTINEL) in text:
        text = text.replace(json.dumps(SENTINEL), draw(st.sampled_from(RAW_JSON)), 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return draw(mutated(text.encode(encoding, errors="replace"), JSON_TOKENS))


PAGE_INPUTS = st.one_of(
    oura_pages(),
    raw_inputs(),
    json_values().map(lambda value: json.dumps(value).encode()),
    st.integers(1, 60_000).map(lambda depth: b'{"data": ' + b"[" * depth + b"]" * depth + b"}"),
)


@given(PAGE_INPUTS)
@example(b'{"data": [' + b"1" * 5000 + b"]}")  # found: int() past 4300 digits escaped as ValueError
@example(b'{"data": ' + b"[" * 50_000 + b"}")
@example(b"\xef\xbb\xbf" + json.dumps({"data": [1, {}, None]}).encode())
def test_oura_page_reader(data: bytes) -> None:
    result = run_extractor(extract_oura_page, data)
    page = decode_json(data)
    if isinstance(page, dict) and isinstance(page.get("data"), list):
        # a readable page: one record per item, positions data[0], data[1], ...
        assert not isinstance(result, InputFormatError), result
        assert [r.position for r in result] == [f"data[{i}]" for i in range(len(page["data"]))]
        payloads = [r.payload for r in result if r.error is None]
        objects = [item for item in page["data"] if isinstance(item, dict)]
        assert json.dumps(payloads) == json.dumps(objects)  # as text: NaN != NaN
    else:
        assert isinstance(result, InputFormatError)


# -- the live client's check of a 200 body ---------------------------------------------------------
class _StaticCredentials:
    scopes = frozenset({"daily"})

    def access_token(self) -> str:
        return "t0"

    def refresh(self, rejected: str) -> str:
        return "t1"


DAY = date(2025, 3, 31)
WINDOW = RequestWindow(
    "daily_sleep", DAY, DAY, (("start_date", str(DAY)), ("end_date", f"{DAY}T23:59:59"))
)


@given(PAGE_INPUTS)
@example(b'{"data": [], "next_token": ' + b"1" * 5000 + b"}")  # found: ValueError escaped
@example(b'{"data": ' + b"[" * 50_000 + b"}")  # found: RecursionError escaped
@example(b'{"data": [], "next_token": "same"}')  # every page answers the same token: a loop
def test_oura_live_client_page_check(data: bytes) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=data))
    client = OuraApiClient(
        httpx.Client(transport=transport), _StaticCredentials(), api_base="https://oura.test",
        clock=FakeClock(), rng=random.Random(1),
    )
    pages: list[bytes] | None
    with within_a_second("the page check"):
        try:
            pages = list(client.pages(WINDOW))
        except OuraProtocolError as error:
            assert error.where == "daily_sleep" and str(error)
            pages = None
    if pages is not None:
        assert pages == [data]  # a page is yielded as received, and only a last page ends
