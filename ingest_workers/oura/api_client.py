"""The live Oura API v2 client: list routes, page by page, as the raw bytes Oura sent.

What the real API needs (docs/DATA-FORMATS.md 1.1, 1.3, 1.4), and where it is handled here:

- date-keyed routes take `start_date`/`end_date`; a date-only `end_date` is read as midnight and
  drops that day, so the last day is sent as `YYYY-MM-DDT23:59:59` (`request_windows`)
- heartrate ignores `start_date`/`end_date` and returns nothing: it takes `start_datetime`/
  `end_datetime` with an offset (httpx sends `+` as `%2B`), at most 30 days per call; windows
  here are 28 local days, padded to cover those days in every timezone (`request_windows`)
- `next_token` is followed until null, re-sending the same filters; a repeated token is a loop
- 401 → one refresh, then one retry; 429 → wait `Retry-After`; 5xx and connection errors →
  jittered backoff (the live sources' shared `common.bearer_client`); 403 → this endpoint stops
  (scope or membership)

HTTP is an injected `httpx.Client` (tests give it a MockTransport or point it at the simulator).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import httpx

from ingest_workers.common.bearer_client import BearerClient, BearerCredentials
from ingest_workers.oura.errors import (
    OuraAuthError,
    OuraForbiddenError,
    OuraProtocolError,
    OuraRequestError,
    OuraUnavailableError,
)

LIST_ROUTE = "/v2/usercollection/{endpoint}"

# The OAuth scope each synced endpoint needs. The spec names email, personal, daily, heartrate,
# workout, tag, session and spo2Daily; the live API also enforces `stress` and `heart_health`
# (DATA-FORMATS 1.1). Which of daily/stress guards daily_stress is not documented ⚠: `stress`.
ENDPOINT_SCOPES: dict[str, str] = {
    "daily_readiness": "daily",
    "daily_sleep": "daily",
    "sleep": "daily",
    "daily_activity": "daily",
    "heartrate": "heartrate",
    "daily_spo2": "spo2Daily",
    "workout": "workout",
    "session": "session",
    "daily_stress": "stress",
    "daily_resilience": "stress",
    "daily_cardiovascular_age": "heart_health",
    "vO2_max": "heart_health",
}
TIME_SERIES_ENDPOINTS = frozenset({"heartrate"})
HEARTRATE_MAX_DAYS = 30  # the API's limit per call
HEARTRATE_WINDOW_DAYS = 28  # 28 local days + 26 h of timezone padding < 30 days
MAX_PAGES = 10_000  # per window: far beyond any real history, low enough to stop a runaway


@dataclass(frozen=True)
class RequestWindow:
    """One filtered list request (followed through all its pages): the local days it covers
    and the query parameters that select them."""

    endpoint: str
    first_day: date
    last_day: date
    params: tuple[tuple[str, str], ...]


def request_windows(endpoint: str, first_day: date, last_day: date) -> list[RequestWindow]:
    """The requests that fetch `endpoint` for the local days first_day..last_day, oldest first."""
    if last_day < first_day:
        return []
    if endpoint not in TIME_SERIES_ENDPOINTS:
        params = (("start_date", first_day.isoformat()), ("end_date", f"{last_day}T23:59:59"))
        return [RequestWindow(endpoint, first_day, last_day, params)]
    windows = []
    start = first_day
    while start <= last_day:
        end = min(last_day, start + timedelta(days=HEARTRATE_WINDOW_DAYS - 1))
        # Heart-rate timestamps are UTC and the person's offset is unknown here, so each window
        # spans its local days in every timezone: from the first day's midnight at UTC+14 to
        # the midnight after the last day at UTC-12 (docs: "send + as %2B"; httpx does)
        params = (
            ("start_datetime", f"{start}T00:00:00+14:00"),
            ("end_datetime", f"{end + timedelta(days=1)}T00:00:00-12:00"),
        )
        windows.append(RequestWindow(endpoint, start, end, params))
        start = end + timedelta(days=1)
    return windows


class Credentials(BearerCredentials, Protocol):
    """What the client needs of `oauth.OuraCredentials`: also the scopes, to explain a 403."""

    @property
    def scopes(self) -> frozenset[str]: ...


def _detail(response: httpx.Response) -> str:
    """Oura's own explanation (FastAPI `detail`: a string or a list of {loc, msg}), if any."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, list):
        parts = [
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}"
            for d in detail if isinstance(d, dict)
        ]
        detail = "; ".join(parts)
    return f" ({detail})" if detail else ""


class OuraApiClient(BearerClient):
    """The list routes of Oura API v2, over the shared bearer client; errors are Oura's."""

    _credentials: Credentials  # OuraCredentials: the scopes explain a 403

    def _unavailable(self, where: str, message: str, status: int | None) -> Exception:
        return OuraUnavailableError(where, message, status)

    def _refused(self, where: str, response: httpx.Response) -> Exception:
        status = response.status_code
        if status == 401:
            return OuraAuthError(
                f"{where}: Oura rejected a freshly refreshed access token (401"
                f"{_detail(response)}); run `biolake auth oura` to connect again"
            )
        if status == 403:
            return OuraForbiddenError(where, self._forbidden(where, response), status)
        return OuraRequestError(
            where, f"{status} {response.reason_phrase}{_detail(response)}", status
        )

    def _forbidden(self, endpoint: str, response: httpx.Response) -> str:
        scope = ENDPOINT_SCOPES.get(endpoint, "?")
        granted = self._credentials.scopes
        if granted and scope not in granted:
            why = (f"the token was granted without the '{scope}' scope; run `biolake auth oura` "
                   f"again and allow '{scope}' (BIOLAKE_OURA_SCOPES)")
        else:
            why = (f"the '{scope}' scope was withdrawn or the Oura membership has lapsed; renew "
                   f"the membership or run `biolake auth oura` again allowing '{scope}'")
        return f"403 Forbidden{_detail(response)}: {why}"

    def pages(self, window: RequestWindow) -> Iterator[bytes]:
        """Every page of one window, as received, following `next_token` with the same filters."""
        endpoint = window.endpoint
        filters = dict(window.params)
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            query = {**filters, "next_token": token} if token else filters
            body = self._get(endpoint, LIST_ROUTE.format(endpoint=endpoint), query).content
            try:
                page = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise OuraProtocolError(endpoint, f"200 response is not JSON: {exc}") from exc
            except RecursionError as exc:  # "[[[[..."
                raise OuraProtocolError(endpoint, "200 response nests JSON too deeply") from exc
            except ValueError as exc:  # the only other ValueError json raises: the digit limit
                limit = sys.get_int_max_str_digits()
                message = f"200 response holds an integer of more than {limit} digits"
                raise OuraProtocolError(endpoint, message) from exc
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise OuraProtocolError(endpoint, '200 response is not {"data": [...], ...}')
            yield body
            token = page.get("next_token")
            if not token:
                return
            if not isinstance(token, str) or token in seen:
                raise OuraProtocolError(endpoint, "next_token repeats: the API is paging in a loop")
            seen.add(token)
        raise OuraProtocolError(endpoint, f"more than {MAX_PAGES} pages in one window")
