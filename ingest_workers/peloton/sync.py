"""`biolake ingest peloton --api [--since D]`: sync workouts from Peloton's unofficial REST API.

    who      `GET /api/me` → the user id
    pages    the workout list, newest first, page by page (`peloton_page_size` per page)
    graphs   for each COMPLETE workout of a page that needs one, its performance graph
             (averages and summaries; `every_n` = `peloton_graph_every_n` seconds per sample)
    store    a page's graphs, then the page itself, each exactly as received through the one
             bronze writer (source `peloton_api`, datasets `workouts` and `performance_graph`),
             each logged in the ingestion log. Nothing of a page is stored until all of its
             graphs are in hand, so every stored page has its graphs stored before it: the ETL
             joins a workout to its graph, and this order puts both in the same ETL batch.

Which workouts need a graph, and when the walk stops:

    --since D    every workout that started on or after local day D gets its graph (again: the
                 same bytes are stored once); the walk stops after the first page reaching
                 before D
    (default)    workouts without a stored graph get one; the walk stops after the first page
                 whose workouts all had a graph before this run. A first sync reads everything.

Workouts not COMPLETE (a class still running) get no graph yet; a later sync fetches it. A
graph that answers 404 (deleted meanwhile) is reported and skipped. Any other failure stops the
run with what was stored so far kept (each stored page complete), and exit code 1; a rerun
picks up where it stopped, since nothing is stored twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import pyarrow.compute as pc

from biolake.lake import Lake
from biolake.settings import BiolakeSettings
from biolake.sources import PELOTON_API
from ingest_workers.bronze_writer import INGESTED, IngestOutcome
from ingest_workers.common.bronze_store import store_response
from ingest_workers.common.clock import Clock, SystemClock
from ingest_workers.common.errors import LiveSourceError
from ingest_workers.common.runtime import Runtime, http_client
from ingest_workers.ingestion_log import IngestionLog
from ingest_workers.peloton.api_client import PelotonApiClient, WorkoutsPage, safe_id
from ingest_workers.peloton.api_json import (
    GRAPH_DATASET,
    WORKOUTS_DATASET,
    graph_extension,
    graph_workout_id,
    peloton_api_extractor,
)
from ingest_workers.peloton.auth import PelotonAuth0, PelotonCredentials, peloton_token_store
from ingest_workers.peloton.errors import PelotonNotFoundError

COMPLETE = "COMPLETE"


@dataclass(frozen=True)
class PelotonConnection:
    http: httpx.Client
    credentials: PelotonCredentials
    client: PelotonApiClient


@contextmanager
def connect(settings: BiolakeSettings, runtime: Runtime) -> Iterator[PelotonConnection]:
    """The token store, credentials and API client the settings describe."""
    store = peloton_token_store(settings)
    with http_client(runtime) as http:
        auth = PelotonAuth0(
            http, auth_base=settings.peloton_auth_base, client_id=settings.peloton_client_id,
            clock=runtime.clock, rng=runtime.rng,
        )
        seed = settings.peloton_refresh_token
        credentials = PelotonCredentials(
            store, auth, runtime.clock, seed.get_secret_value() if seed else None
        )
        client = PelotonApiClient(
            http, credentials, api_base=settings.peloton_api_base, clock=runtime.clock,
            rng=runtime.rng,
        )
        yield PelotonConnection(http, credentials, client)


@dataclass
class PelotonSyncReport:
    user_id: str | None = None
    pages: int = 0  # pages fetched
    new_pages: int = 0  # pages whose bytes were not in bronze yet
    workouts: int = 0  # workouts listed in the pages fetched
    graphs: int = 0  # performance graphs fetched
    new_graphs: int = 0
    missing_graphs: list[str] = field(default_factory=list)  # 404: workout ids
    object_keys: list[str] = field(default_factory=list)  # every bronze object of this run
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def lines(self) -> tuple[list[str], list[str]]:
        """(stdout lines, stderr lines) for people."""
        out = [
            f"{'failed' if self.failed else 'ok':<8} {PELOTON_API}/{WORKOUTS_DATASET:<18} "
            f"pages={self.pages} new={self.new_pages} workouts={self.workouts}",
            f"{'failed' if self.failed else 'ok':<8} {PELOTON_API}/{GRAPH_DATASET:<18} "
            f"fetched={self.graphs} new={self.new_graphs} missing={len(self.missing_graphs)}",
        ]
        err = [f"warning: no performance graph (404) for workout {w}" for w in self.missing_graphs]
        if self.error:
            err.append(f"error: {self.error}")
        return out, err


def _local_day(workout: dict[str, Any]) -> date | None:
    """The day a workout started, in its own time zone (UTC when the zone is unknown)."""
    start = workout.get("start_time")
    if not isinstance(start, int | float):
        return None
    try:
        zone = ZoneInfo(str(workout.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.fromtimestamp(start, UTC).astimezone(zone).date()


def known_graph_workouts(log: IngestionLog, person_id: str) -> set[str]:
    """Workouts whose performance graph is already in bronze (the id is in the object key)."""
    rows = log.read_all()
    if rows.num_rows == 0:
        return set()
    mask = pc.and_(
        pc.and_(pc.equal(rows["person_id"], person_id), pc.equal(rows["source"], PELOTON_API)),
        pc.and_(pc.equal(rows["dataset"], GRAPH_DATASET), pc.equal(rows["status"], INGESTED)),
    )
    keys = rows.filter(mask)["object_key"].to_pylist()
    return {w for w in (graph_workout_id(k) for k in keys) if w is not None}


def _store(
    lake: Lake, log: IngestionLog, *, body: bytes, dataset: str, extension: str, name: str,
    person_id: str, clock: Clock,
) -> IngestOutcome:
    """One response into bronze through the one bronze writer."""
    return store_response(
        lake, log, body=body, source=PELOTON_API, dataset=dataset, name=name,
        extension=extension, extractor=peloton_api_extractor(dataset), person_id=person_id,
        clock=clock,
    )


def _wanted(workout: dict[str, Any], since: date | None, known: set[str]) -> bool:
    if workout.get("status", COMPLETE) != COMPLETE:
        return False
    if since is not None:
        day = _local_day(workout)
        return day is not None and day >= since
    return workout.get("id") not in known


def _walk_ends(page: WorkoutsPage, since: date | None, known: set[str]) -> bool:
    if since is not None:
        days = [d for d in (_local_day(w) for w in page.workouts) if d is not None]
        return bool(days) and min(days) < since
    return bool(page.workouts) and all(w.get("id") in known for w in page.workouts)


def sync_peloton(
    client: PelotonApiClient,
    lake: Lake,
    *,
    person_id: str,
    since: date | None = None,
    page_size: int = 50,
    every_n: int = 60,
    clock: Clock | None = None,
) -> PelotonSyncReport:
    """Sync the workouts and their performance graphs from the live Peloton API into bronze.

    Args:
        client: the API client (`connect` builds it from the settings).
        lake: where bronze and the ingestion log are.
        person_id: whose data it is (bronze keys and log rows carry it).
        since: (re)read every workout from this local day on; None: only workouts without a
            stored graph, stopping at the first page that has nothing new.
        page_size: workouts per page requested.
        every_n: seconds per sample of the performance graphs.
        clock: the time the log records (default: the real time).

    Returns the report. An API or token-store failure does not raise: it stops the walk and is
    the report's `error` (what was stored before it stays, each stored page complete).
    """
    clock = clock or SystemClock()
    log = IngestionLog(lake)
    known = known_graph_workouts(log, person_id)  # as before this run: decides where to stop
    report = PelotonSyncReport()
    try:
        report.user_id = client.user_id()
        for page in client.pages(report.user_id, page_size):
            report.pages += 1
            report.workouts += len(page.workouts)
            graphs: list[tuple[str, bytes]] = []
            for workout in page.workouts:
                if not _wanted(workout, since, known):
                    continue
                workout_id = safe_id(workout.get("id"), "id", "workouts page")
                try:
                    graphs.append((workout_id, client.performance_graph(workout_id, every_n)))
                except PelotonNotFoundError:
                    report.missing_graphs.append(workout_id)
            # the whole page is in hand: its graphs first, then the page (see the docstring)
            for workout_id, body in graphs:
                outcome = _store(
                    lake, log, body=body, dataset=GRAPH_DATASET,
                    extension=graph_extension(workout_id),
                    name=f"{GRAPH_DATASET}.{graph_extension(workout_id)}",
                    person_id=person_id, clock=clock,
                )
                report.graphs += 1
                report.new_graphs += outcome.status == INGESTED
                report.object_keys.append(outcome.object_key)
            outcome = _store(
                lake, log, body=page.body, dataset=WORKOUTS_DATASET, extension="json",
                name=f"{WORKOUTS_DATASET}_page{page.page}.json", person_id=person_id,
                clock=clock,
            )
            report.new_pages += outcome.status == INGESTED
            report.object_keys.append(outcome.object_key)
            if _walk_ends(page, since, known):
                break
    except LiveSourceError as exc:  # Peloton's errors and the token store's
        report.error = str(exc)
    return report


def run_peloton_sync(
    settings: BiolakeSettings,
    lake: Lake,
    *,
    since: date | None = None,
    runtime: Runtime | None = None,
) -> PelotonSyncReport:
    """The whole `biolake ingest peloton --api` run from settings (see `sync_peloton`).

    Raises:
        PelotonNotConnectedError: no tokens stored and no refresh token in the settings.
        PelotonAuthError: the settings' refresh token was refused while filling the store.
        TokenStoreError: the token store cannot be read or written.
    """
    runtime = runtime or Runtime()
    with connect(settings, runtime) as peloton:
        peloton.credentials.ensure_connected()  # no tokens at all: fail before any request
        return sync_peloton(
            peloton.client, lake, person_id=settings.person_id, since=since,
            page_size=settings.peloton_page_size, every_n=settings.peloton_graph_every_n,
            clock=runtime.clock,
        )
