"""The live Peloton API client: the three routes a sync needs, returning the bytes Peloton sent.

    GET /api/me                                          the user id (nothing else is kept)
    GET /api/user/{id}/workouts?joins=ride,ride.instructor&limit=&page=&sort_by=-created
        pages `{data, limit, page, page_count, total, count}`, page 0 first (newest workouts)
    GET /api/workout/{id}/performance_graph?every_n=     averages and summaries of one workout

401 → one refresh (through the credentials, which store a rotated refresh token before the new
access token is used), then one retry; 429 → wait `Retry-After`; 5xx and connection errors →
jittered backoff (the live sources' shared `common.bearer_client`); 404 and other 4xx are not
retried. Ids taken from responses go into URL paths, so they must look like ids (`SAFE_ID`).

HTTP is an injected `httpx.Client` (tests point it at `peloton_simulator`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ingest_workers.common.bearer_client import BearerClient
from ingest_workers.peloton.errors import (
    PelotonAuthError,
    PelotonNotFoundError,
    PelotonProtocolError,
    PelotonRequestError,
    PelotonUnavailableError,
)

ME_ROUTE = "/api/me"
WORKOUTS_ROUTE = "/api/user/{user_id}/workouts"
GRAPH_ROUTE = "/api/workout/{workout_id}/performance_graph"
WORKOUT_JOINS = "ride,ride.instructor"
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PAGES = 10_000  # far beyond any real history, low enough to stop a runaway


@dataclass(frozen=True)
class WorkoutsPage:
    """One page of the workout list: the body as received and what the sync reads of it."""

    body: bytes
    page: int
    page_count: int | None
    workouts: list[dict[str, Any]]


def _json(body: bytes, route: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PelotonProtocolError(route, f"200 response is not JSON: {exc}") from exc


def safe_id(value: Any, what: str, route: str) -> str:
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise PelotonProtocolError(route, f"field '{what}' is not an id: {str(value)[:80]!r}")
    return value


class PelotonApiClient(BearerClient):
    """The three routes of a sync, over the shared bearer client; errors are Peloton's."""

    headers: ClassVar[dict[str, str]] = {
        **BearerClient.headers,
        "Peloton-Platform": "web",  # what the web app sends; some routes need it
    }

    def _unavailable(self, where: str, message: str, status: int | None) -> Exception:
        return PelotonUnavailableError(where, message, status)

    def _refused(self, where: str, response: httpx.Response) -> Exception:
        status = response.status_code
        if status == 401:
            return PelotonAuthError(
                f"{where}: Peloton rejected a freshly refreshed access token (401)"
            )
        if status == 404:
            return PelotonNotFoundError(where, "404 Not Found", status)
        return PelotonRequestError(where, f"{status} {response.reason_phrase}", status)

    def user_id(self) -> str:
        body = self._get(ME_ROUTE, ME_ROUTE, {}).content
        me = _json(body, ME_ROUTE)
        if not isinstance(me, dict):
            raise PelotonProtocolError(ME_ROUTE, "200 response is not a JSON object")
        return safe_id(me.get("id"), "id", ME_ROUTE)

    def workouts_page(self, user_id: str, page: int, limit: int) -> WorkoutsPage:
        route = WORKOUTS_ROUTE
        path = WORKOUTS_ROUTE.format(user_id=safe_id(user_id, "user id", route))
        params = {
            "joins": WORKOUT_JOINS, "limit": str(limit), "page": str(page), "sort_by": "-created",
        }
        body = self._get(route, path, params).content
        envelope = _json(body, route)
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
            raise PelotonProtocolError(
                route, f'page {page}: 200 response is not {{"data": [...], ...}}'
            )
        page_count = envelope.get("page_count")
        workouts = [w for w in envelope["data"] if isinstance(w, dict)]
        count = page_count if isinstance(page_count, int) else None
        return WorkoutsPage(body, page, count, workouts)

    def pages(self, user_id: str, limit: int) -> Iterator[WorkoutsPage]:
        """Every page, newest workouts first, until `page_count` (or an empty page)."""
        for page in range(MAX_PAGES):
            result = self.workouts_page(user_id, page, limit)
            yield result
            if not result.workouts or (
                result.page_count is not None and page + 1 >= result.page_count
            ):
                return
        raise PelotonProtocolError(WORKOUTS_ROUTE, f"more than {MAX_PAGES} pages")

    def performance_graph(self, workout_id: str, every_n: int) -> bytes:
        route = GRAPH_ROUTE
        path = GRAPH_ROUTE.format(workout_id=safe_id(workout_id, "workout id", route))
        body = self._get(route, path, {"every_n": str(every_n)}).content
        if not isinstance(_json(body, route), dict):
            raise PelotonProtocolError(
                route, f"workout {workout_id}: 200 response is not a JSON object"
            )
        return body
