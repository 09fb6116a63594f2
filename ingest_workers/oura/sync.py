"""`biolake ingest oura` without `--from-dir`: sync every endpoint from the live Oura API v2.

Per endpoint, independently (one failing does not stop the others):

    range    --since/--until when given; else from the endpoint's watermark (the last day of its
             latest complete request window, kept in the ingestion log) minus the look-back days,
             because Oura rescores past days; a first sync goes back `oura_first_sync_days`
    windows  `api_client.request_windows` (one for date routes, 28-day ones for heartrate),
             oldest first; an endpoint stops at its first failing window, so its watermark never
             skips a gap
    store    every page of a window is fetched before any is stored, then each page goes to
             bronze exactly as received through the one bronze writer (source `oura_api`,
             dataset = endpoint, as with --from-dir, so the ETL reads both alike); finally one
             log commit marks the window complete

An authentication failure (no tokens, refresh token refused) stops the run: every endpoint
after it is reported as not attempted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from biolake.lake import Lake
from biolake.settings import BiolakeSettings
from biolake.sources import OURA_API
from ingest_workers.bronze_writer import INGESTED
from ingest_workers.common.bronze_store import store_response
from ingest_workers.common.clock import Clock, SystemClock
from ingest_workers.common.runtime import Runtime, http_client
from ingest_workers.common.token_store import TokenStore
from ingest_workers.ingestion_log import IngestionLog
from ingest_workers.oura.api_client import OuraApiClient, RequestWindow, request_windows
from ingest_workers.oura.api_files import OURA_ENDPOINTS, extract_oura_page
from ingest_workers.oura.errors import OuraAuthError, OuraEndpointError, OuraProtocolError
from ingest_workers.oura.oauth import OuraCredentials, OuraOAuth, oura_token_store

OK = "ok"
FAILED = "failed"
NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True)
class OuraConnection:
    http: httpx.Client
    store: TokenStore
    oauth: OuraOAuth
    credentials: OuraCredentials
    client: OuraApiClient


@contextmanager
def connect(settings: BiolakeSettings, runtime: Runtime) -> Iterator[OuraConnection]:
    """The OAuth client, token store, credentials and API client the settings describe."""
    client_id, client_secret = settings.require_oura_client()
    store = oura_token_store(settings)
    with http_client(runtime) as http:
        oauth = OuraOAuth(
            http, api_base=settings.oura_api_base, auth_base=settings.oura_auth_base,
            client_id=client_id, client_secret=client_secret,
            redirect_uri=settings.oura_redirect_uri, scopes=settings.oura_scopes,
            clock=runtime.clock, rng=runtime.rng,
        )
        credentials = OuraCredentials(store, oauth, runtime.clock)
        client = OuraApiClient(
            http, credentials, api_base=settings.oura_api_base, clock=runtime.clock,
            rng=runtime.rng,
        )
        yield OuraConnection(http, store, oauth, credentials, client)


@dataclass(frozen=True)
class EndpointResult:
    endpoint: str
    status: str  # ok | failed | not_attempted
    first_day: date | None = None
    last_day: date | None = None
    windows: int = 0  # complete request windows
    pages: int = 0
    new_objects: int = 0  # pages whose bytes were not in bronze yet
    records: int = 0  # documents in the pages received
    error: str | None = None


@dataclass
class SyncReport:
    results: list[EndpointResult] = field(default_factory=list)

    @property
    def failed(self) -> list[EndpointResult]:
        """Every endpoint not synced: failed, or not attempted after an authentication error."""
        return [r for r in self.results if r.status != OK]

    def lines(self) -> tuple[list[str], list[str]]:
        """(stdout lines, stderr lines) for people."""
        out, err = [], []
        for r in self.results:
            days = f"{r.first_day}..{r.last_day}" if r.first_day else "-"
            out.append(
                f"{r.status:<14} {OURA_API}/{r.endpoint:<25} {days:<22} windows={r.windows} "
                f"pages={r.pages} new={r.new_objects} records={r.records}"
            )
            if r.error:
                err.append(f"error: {r.error}")
        synced = len(self.results) - len(self.failed)
        summary = f"oura: {synced} of {len(self.results)} endpoints synced"
        for status, label in ((FAILED, "failed"), (NOT_ATTEMPTED, "not attempted")):
            names = [r.endpoint for r in self.results if r.status == status]
            if names:
                summary += f"; {label}: " + ", ".join(names)
        out.append(summary)
        return out, err


def sync_range(
    watermark: date | None,
    *,
    until: date,
    since: date | None,
    lookback_days: int,
    first_sync_days: int,
) -> tuple[date, date]:
    """The local days to request for one endpoint."""
    if since is not None:
        first = since
    elif watermark is not None:
        first = watermark - timedelta(days=lookback_days)
    else:
        first = until - timedelta(days=first_sync_days - 1)
    return min(first, until), until


def _store_window(
    lake: Lake,
    log: IngestionLog,
    window: RequestWindow,
    bodies: list[bytes],
    person_id: str,
    clock: Clock,
) -> tuple[list[str], int, int]:
    """Every page of a window into bronze; returns (object keys, new objects, records)."""
    keys: list[str] = []
    new = records = 0
    for n, body in enumerate(bodies, start=1):
        outcome = store_response(
            lake, log, body=body, source=OURA_API, dataset=window.endpoint,
            name=f"{window.endpoint}_{window.first_day}_{window.last_day}_{n}.json",
            extension="json", extractor=extract_oura_page, person_id=person_id, clock=clock,
        )
        if outcome.failed:  # kept in bronze and logged as rejected, but the window is not done
            raise OuraProtocolError(window.endpoint, f"page {n} was rejected: {outcome.error}")
        keys.append(outcome.object_key)
        new += outcome.status == INGESTED
        records += outcome.record_count
    return keys, new, records


def sync_oura(
    client: OuraApiClient,
    lake: Lake,
    *,
    person_id: str,
    until: date,
    since: date | None = None,
    endpoints: tuple[str, ...] = OURA_ENDPOINTS,
    lookback_days: int = 7,
    first_sync_days: int = 365,
    clock: Clock | None = None,
) -> SyncReport:
    """Sync `endpoints` of the live Oura API into bronze, each endpoint on its own.

    Args:
        client: the API client (`connect` builds it from the settings).
        lake: where bronze and the ingestion log are.
        person_id: whose data it is (bronze keys and log rows carry it).
        until: the last local day to request.
        since: the first local day; None: each endpoint's watermark minus `lookback_days`, or
            `first_sync_days` back on a first sync.
        endpoints: which endpoints, in this order.
        lookback_days, first_sync_days: see `since`.
        clock: the time the log records (default: the real time).

    Returns the report of every endpoint (`ok`, `failed`, or `not_attempted` after an
    authentication error); endpoint failures are in it, not raised.

    Raises:
        TokenStoreError: the token store cannot be read or written.
    """
    clock = clock or SystemClock()
    log = IngestionLog(lake)
    report = SyncReport()
    stopped: OuraAuthError | None = None
    for endpoint in endpoints:
        if stopped is not None:  # the same credentials would fail the same way
            report.results.append(EndpointResult(endpoint, NOT_ATTEMPTED))
            continue
        first, last = sync_range(
            log.watermark(person_id, OURA_API, endpoint), until=until, since=since,
            lookback_days=lookback_days, first_sync_days=first_sync_days,
        )
        windows = pages = new = records = 0
        error: str | None = None
        try:
            for window in request_windows(endpoint, first, last):
                bodies = list(client.pages(window))  # all of a window before any of it is stored
                keys, window_new, window_records = _store_window(
                    lake, log, window, bodies, person_id, clock
                )
                log.mark_window(keys, window.first_day, window.last_day)
                windows, pages = windows + 1, pages + len(bodies)
                new, records = new + window_new, records + window_records
        except OuraAuthError as exc:
            stopped, error = exc, str(exc)
        except OuraEndpointError as exc:
            error = str(exc)
        report.results.append(EndpointResult(
            endpoint, FAILED if error else OK, first, last, windows, pages, new, records, error,
        ))
    return report


def run_live_sync(
    settings: BiolakeSettings,
    lake: Lake,
    *,
    since: date | None = None,
    until: date | None = None,
    endpoints: tuple[str, ...] = OURA_ENDPOINTS,
    runtime: Runtime | None = None,
) -> SyncReport:
    """The whole `biolake ingest oura` run from settings (see `sync_oura`).

    Raises:
        ConfigError: no Oura client id or secret in the settings.
        NotConnectedError: no tokens stored yet (`biolake auth oura` first).
        TokenStoreError: the token store cannot be read or written.
    """
    runtime = runtime or Runtime()
    with connect(settings, runtime) as oura:
        oura.credentials.ensure_connected()
        return sync_oura(
            oura.client, lake, person_id=settings.person_id, until=until or settings.today,
            since=since, endpoints=endpoints, lookback_days=settings.oura_lookback_days,
            first_sync_days=settings.oura_first_sync_days, clock=runtime.clock,
        )
