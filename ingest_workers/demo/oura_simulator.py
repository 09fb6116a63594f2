"""A local Oura API v2 for tests and `biolake demo`: the sample person's documents behind the
real API surface, on 127.0.0.1 (port 0 picks a free one).

Routes, and what they imitate (docs/DATA-FORMATS.md section 1):

    GET  /v2/usercollection/{endpoint}   list routes. Date routes filter on `day` with
         start_date (inclusive) and end_date: date-only is read as midnight, so that day is
         dropped; a date-time includes its day. heartrate takes start_datetime/end_datetime
         (both inclusive, at most 30 days: 400 beyond ⚠ the real status is undocumented) and
         returns nothing for start_date/end_date. Unparseable dates answer 200 with no data (as
         the real API does); a start after the end answers 422 with FastAPI's
         HTTPValidationError. Pages of `page_size` documents, `next_token` until the last page;
         a next_token sent with other filters than it was issued for is refused (400), which
         catches clients that drop the filters when paging.
    GET  /oauth/authorize                the consent page, consenting at once: 302 to
         redirect_uri?code=...&state=... (codes are single use, valid 10 minutes)
    POST /oauth/token                    authorization_code and refresh_token grants; refresh
         tokens rotate and are single use (`invalid_grant` on reuse; RFC 6749 error bodies)

Faults, all off by default: per-token rate limit (429 with Retry-After and the X-RateLimit-*
headers), access-token expiry (401), scopes per token (403 for an endpoint whose scope was not
granted), injected 5xx or dropped connections every n-th request or for the next n requests.

Heart-rate rows are served as the real API was observed to serve them, without
`timestamp_unix` (spec 1.35 requires it); `heartrate_timestamp_unix=True` adds it.

The server, its lifecycle, the token endpoint's plumbing and the clock are the simulators'
shared scaffolding (`api_simulator`): tests share one `FakeClock` with the client, so token
lifetimes and rate-limit windows pass when the client sleeps, not in real time.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from ingest_workers.common.clock import Clock
from ingest_workers.demo.api_simulator import (
    ApiSimulator,
    DropConnection,
    Reply,
    Request,
    bearer_token,
)
from ingest_workers.oura.api_client import (
    ENDPOINT_SCOPES,
    HEARTRATE_MAX_DAYS,
    TIME_SERIES_ENDPOINTS,
)

ALL_SCOPES = frozenset({*ENDPOINT_SCOPES.values(), "email", "personal"})
DATA_PREFIX = "/v2/usercollection/"
CODE_LIFETIME_S = 600


@dataclass
class _AccessGrant:
    scopes: frozenset[str]
    expires_at: float


@dataclass
class _RefreshGrant:
    scopes: frozenset[str]
    used_at: float | None = None
    replacement: dict | None = None  # the token response the one use returned
    revoked: bool = False


@dataclass
class _Code:
    scopes: frozenset[str]
    redirect_uri: str
    expires_at: float


@dataclass
class _Fault:
    status: int  # 0: drop the connection without an answer
    endpoint: str | None
    every: int = 0
    remaining: int = 0
    seen: int = 0


def document_key(endpoint: str, doc: dict) -> tuple:
    """A document's identity, as silver keys it (heart rate has no id; real cardiovascular-age
    rows lack one too)."""
    if endpoint == "heartrate":
        return (doc.get("timestamp"), doc.get("source"))
    if endpoint == "daily_cardiovascular_age":
        return (doc.get("day"),)
    return (doc.get("id"),)


def load_saved_pages(oura_dir: Path) -> dict[str, list[dict]]:
    """Documents of `<endpoint>_<n>.json` pages (the sample person's files), in page order."""
    documents: dict[str, list[dict]] = {}
    for endpoint in ENDPOINT_SCOPES:
        pages = [
            p for p in Path(oura_dir).glob(f"{endpoint}_*.json")
            if p.stem.removeprefix(f"{endpoint}_").isdigit()
        ]
        pages.sort(key=lambda p: int(p.stem.removeprefix(f"{endpoint}_")))
        documents[endpoint] = [d for p in pages for d in json.loads(p.read_bytes())["data"]]
    return documents


def _parse_day(value: str | None) -> tuple[date | None, bool]:
    """(day, is_date_only) of a start_date/end_date value; (None, False) if unparseable."""
    if value is None:
        return None, False
    try:
        return date.fromisoformat(value), len(value) == 10
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date(), False
    except ValueError:
        return None, False


def _parse_instant(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _validation_error(loc: list[str], msg: str, value: Any) -> dict:
    """FastAPI's HTTPValidationError, the one error body the spec defines."""
    return {"detail": [{"type": "value_error", "loc": loc, "msg": msg, "input": value}]}


class OuraSimulator(ApiSimulator):
    """The server and its state. Controls for tests and the demo: `grant()` and `issue_code()`
    (tokens and codes without the browser step), `expire_access_tokens()`,
    `revoke_refresh_tokens()`, `fail_every()`/`fail_next()`, the `rate_limit` attributes.
    What happened: `requests` (every data request with its status), `token_requests`, and
    `served` (each endpoint's documents served in 200 pages, by identity)."""

    thread_name = "oura-simulator"
    _faults: list[_Fault]

    def __init__(
        self,
        documents: dict[str, list[dict]],
        *,
        client_id: str = "biolake-demo",
        client_secret: str = "biolake-demo-secret",
        clock: Clock | None = None,
        page_size: int = 40,
        heartrate_page_size: int = 5000,  # as the sample files; real heart-rate pages are large
        access_token_ttl_s: int = 86_400,
        rate_limit: int | None = None,
        rate_window_s: int = 300,
        heartrate_timestamp_unix: bool = False,
        refresh_reuse_interval_s: float = 0.0,
        consented_scopes: frozenset[str] | None = None,
    ) -> None:
        unknown = set(documents) - set(ENDPOINT_SCOPES)
        if unknown:
            raise ValueError(f"unknown Oura endpoints: {sorted(unknown)}")
        super().__init__(clock)
        self.documents = {e: list(documents.get(e, [])) for e in ENDPOINT_SCOPES}
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.heartrate_page_size = heartrate_page_size
        self.access_token_ttl_s = access_token_ttl_s
        self.rate_limit = rate_limit
        self.rate_window_s = rate_window_s
        self.heartrate_timestamp_unix = heartrate_timestamp_unix
        # Some OAuth servers replay the same answer for a refresh token reused within a few
        # seconds (Auth0's "reuse interval"); Oura documents nothing, so it is off by default.
        self.refresh_reuse_interval_s = refresh_reuse_interval_s
        self.consented_scopes = consented_scopes
        self.served: dict[str, dict[tuple, dict]] = {e: {} for e in ENDPOINT_SCOPES}
        self._access: dict[str, _AccessGrant] = {}
        self._refresh: dict[str, _RefreshGrant] = {}
        self._codes: dict[str, _Code] = {}
        self._rate: dict[str, tuple[float, int]] = {}

    @classmethod
    def from_saved_pages(cls, oura_dir: Path, **options: Any) -> OuraSimulator:
        return cls(load_saved_pages(oura_dir), **options)

    # -- controls for tests and the demo ----------------------------------------------------------
    def grant(self, scopes: frozenset[str] | None = None) -> dict:
        """A fresh token pair, as the token endpoint would answer (skips the consent page)."""
        with self._lock:
            return self._issue(frozenset(ALL_SCOPES if scopes is None else scopes))

    def issue_code(self, redirect_uri: str, scopes: frozenset[str] | None = None) -> str:
        """An authorization code, as the consent page would put in the redirect."""
        with self._lock:
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Code(
                frozenset(ALL_SCOPES if scopes is None else scopes), redirect_uri,
                self.clock.now() + CODE_LIFETIME_S,
            )
            return code

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on (as after its lifetime)."""
        with self._lock:
            for grant in self._access.values():
                grant.expires_at = min(grant.expires_at, self.clock.now())

    def revoke_refresh_tokens(self) -> None:
        """As when the user revokes the app's access: every refresh token is refused."""
        with self._lock:
            for grant in self._refresh.values():
                grant.revoked = True

    def fail_every(self, n: int, status: int = 500, endpoint: str | None = None) -> None:
        """Every n-th data request (of `endpoint`, or any) answers `status` (0: connection drop)."""
        with self._lock:
            self._faults.append(_Fault(status, endpoint, every=n))

    def fail_next(self, count: int, status: int = 500, endpoint: str | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault(status, endpoint, remaining=count))

    # -- tokens ---------------------------------------------------------------------------------
    def _issue(self, scopes: frozenset[str]) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._access[access] = _AccessGrant(scopes, self.clock.now() + self.access_token_ttl_s)
        self._refresh[refresh] = _RefreshGrant(scopes)
        return {
            "token_type": "bearer", "access_token": access, "refresh_token": refresh,
            "expires_in": self.access_token_ttl_s, "scope": " ".join(sorted(scopes)),
        }

    def token(self, form: dict[str, Any], request: Request) -> dict:
        header = request.authorization or ""
        if header.lower().startswith("basic "):  # client credentials may come as Basic auth
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            client_id, client_secret = user, password
        else:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if client_id != self.client_id or client_secret != self.client_secret:
            raise Reply(401, {"error": "invalid_client", "error_description": "unknown client"})
        grant_type = form.get("grant_type")
        now = self.clock.now()
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)  # single use: gone either way
            if code is None or code.expires_at < now:
                raise Reply(400, {"error": "invalid_grant",
                                  "error_description": "authorization code unknown, used or expired"})
            if form.get("redirect_uri") != code.redirect_uri:
                raise Reply(400, {"error": "invalid_grant",
                                  "error_description": "redirect_uri differs from the authorize request"})
            return self._issue(code.scopes)
        if grant_type == "refresh_token":
            token = form.get("refresh_token")
            if not token:
                raise Reply(400, {"error": "invalid_request",
                                  "error_description": "refresh_token is missing"})
            grant = self._refresh.get(token)
            if grant is None or grant.revoked:
                raise Reply(400, {"error": "invalid_grant",
                                  "error_description": "refresh token unknown or revoked"})
            if grant.used_at is not None:
                reuse = self.refresh_reuse_interval_s
                if grant.replacement and reuse > 0 and now - grant.used_at <= reuse:
                    return grant.replacement
                raise Reply(400, {"error": "invalid_grant",
                                  "error_description": "refresh token already used"})
            grant.used_at = now
            grant.replacement = self._issue(grant.scopes)
            return grant.replacement
        raise Reply(400, {"error": "unsupported_grant_type",
                          "error_description": f"grant_type {grant_type!r}"})

    def _authorize(self, query: dict[str, str]) -> str:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            raise Reply(400, {"detail": "unknown client_id or response_type is not 'code'"})
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri:
            raise Reply(400, {"detail": "redirect_uri is missing"})
        requested = frozenset(query.get("scope", "").split()) & ALL_SCOPES
        scopes = requested if self.consented_scopes is None else requested & self.consented_scopes
        code = self.issue_code(redirect_uri, scopes)
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return redirect_uri + separator + urlencode({"code": code, "state": query.get("state", "")})

    # -- GET ------------------------------------------------------------------------------------
    def get(self, request: Request) -> Reply:
        path, query = request.path, request.query
        try:
            if path == "/oauth/authorize":  # not recorded: `requests` are the data requests
                return Reply(302, None, {"Location": self._authorize(query)})
            if not path.startswith(DATA_PREFIX):
                raise Reply(404, {"detail": "Not Found"})
            endpoint = path[len(DATA_PREFIX):]
            fault = self._fault(endpoint)
            if fault == 0:
                self._record(request, 0)
                raise DropConnection
            if fault is not None:
                raise Reply(fault, {"detail": "Internal Server Error"})
            token, grant = self._authenticate(request.authorization)
            self._rate_limit(token)
            if endpoint not in ENDPOINT_SCOPES:
                raise Reply(404, {"detail": "Not Found"})
            scope = ENDPOINT_SCOPES[endpoint]
            if scope not in grant.scopes:
                raise Reply(403, {"detail": f"Forbidden: the token lacks scope '{scope}'"})
            body = self._list(endpoint, query)
        except Reply as reply:
            self._record(request, reply.status, retry_after=reply.headers.get("Retry-After"))
            return reply
        self._record(request, 200)
        return Reply(200, body)

    # -- data routes ----------------------------------------------------------------------------
    def _fault(self, endpoint: str) -> int | None:
        for fault in self._faults:
            if fault.endpoint not in (None, endpoint):
                continue
            fault.seen += 1
            if fault.every and fault.seen % fault.every == 0:
                return fault.status
            if fault.remaining > 0:
                fault.remaining -= 1
                return fault.status
        return None

    def _authenticate(self, header: str | None) -> tuple[str, _AccessGrant]:
        token = bearer_token(header)
        grant = self._access.get(token)
        if grant is None:
            raise Reply(401, {"detail": "Unauthorized: access token missing, malformed or revoked"})
        if grant.expires_at <= self.clock.now():
            raise Reply(401, {"detail": "Unauthorized: access token expired"})
        return token, grant

    def _rate_limit(self, token: str) -> None:
        if self.rate_limit is None:
            return
        now = self.clock.now()
        start, count = self._rate.get(token, (now, 0))
        if now >= start + self.rate_window_s:
            start, count = now, 0
        self._rate[token] = (start, count + 1)
        if count + 1 > self.rate_limit:
            reset = start + self.rate_window_s
            raise Reply(429, {"detail": "Rate limit exceeded"}, {
                "Retry-After": str(max(1, math.ceil(reset - now))),
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Window": str(self.rate_window_s),
                "X-RateLimit-Reset": str(math.ceil(reset)),
                "X-RateLimit-Tier": "token",
            })

    def _select(self, endpoint: str, query: dict[str, str]) -> list[dict]:
        docs = self.documents[endpoint]
        if endpoint in TIME_SERIES_ENDPOINTS:
            if "start_datetime" not in query:
                return []  # the real route ignores start_date/end_date and returns nothing
            start = _parse_instant(query["start_datetime"])
            end = _parse_instant(query["end_datetime"]) if "end_datetime" in query else (
                datetime.fromtimestamp(self.clock.now(), UTC))
            if start is None or end is None:
                return []  # like the real API: unparseable filters select nothing, no error
            if start > end:
                raise Reply(422, _validation_error(
                    ["query", "start_datetime"], "Start datetime must be before end datetime",
                    query["start_datetime"]))
            if end - start > timedelta(days=HEARTRATE_MAX_DAYS):
                raise Reply(400, {"detail": f"the time range exceeds {HEARTRATE_MAX_DAYS} days"})
            rows = [d for d in docs if start <= datetime.fromisoformat(d["timestamp"]) <= end]
            if self.heartrate_timestamp_unix:
                rows = [{**d, "timestamp_unix": int(
                    datetime.fromisoformat(d["timestamp"]).timestamp() * 1000)} for d in rows]
            return rows
        first, _ = _parse_day(query.get("start_date"))
        last, date_only = _parse_day(query.get("end_date"))
        if ("start_date" in query and first is None) or ("end_date" in query and last is None):
            return []
        if first is not None and last is not None and first > last:
            raise Reply(422, _validation_error(
                ["query", "start_date"], "Start date must be before end date", query["start_date"]))
        if last is not None and date_only:
            last -= timedelta(days=1)  # read as midnight: the end day itself is dropped
        return [
            d for d in docs
            if (first is None or d["day"] >= first.isoformat())
            and (last is None or d["day"] <= last.isoformat())
        ]

    @staticmethod
    def _next_token(endpoint: str, filters: dict[str, str], offset: int) -> str:
        state = json.dumps({"e": endpoint, "f": filters, "o": offset}, sort_keys=True)
        return base64.urlsafe_b64encode(state.encode()).decode().rstrip("=")

    def _list(self, endpoint: str, query: dict[str, str]) -> dict:
        filters = {k: v for k, v in query.items() if k != "next_token"}
        offset = 0
        if "next_token" in query:
            try:
                raw = query["next_token"]
                state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
                offset, issued_for = int(state["o"]), state
            except (ValueError, KeyError, TypeError):
                raise Reply(400, {"detail": "invalid next_token"}) from None
            if issued_for["e"] != endpoint or issued_for["f"] != filters:
                raise Reply(400, {"detail": "next_token was issued for other filters"})
        selected = self._select(endpoint, filters)
        size = self.heartrate_page_size if endpoint in TIME_SERIES_ENDPOINTS else self.page_size
        page = selected[offset : offset + size]
        more = offset + size < len(selected)
        for doc in page:
            self.served[endpoint][document_key(endpoint, doc)] = doc
        return {
            "data": page,
            "next_token": self._next_token(endpoint, filters, offset + size) if more else None,
        }


__all__ = ["ALL_SCOPES", "OuraSimulator", "document_key", "load_saved_pages"]
