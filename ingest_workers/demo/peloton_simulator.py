"""A local Peloton API for tests and demos: one person's workouts behind the real API surface, on
127.0.0.1 (port 0 picks a free one). Documents come from `peloton_documents`.

Routes, and what they imitate (docs/DATA-FORMATS.md 3.2):

    POST /oauth/token                         Auth0's refresh-token grant (form or JSON body),
         public client (client_id, no secret). Refresh tokens rotate and are single use: a
         reused, unknown or revoked one answers 403 `invalid_grant`, as Auth0 does. With
         `rotate_refresh_tokens=False` the answer carries no refresh_token (the old one stays).
    GET  /api/me                              `{id, username, ...}`
    GET  /api/user/{id}/workouts              `joins`, `limit` (at most 100), `page` (from 0),
         `sort_by=-created`; envelope `{data, limit, page, page_count, total, count,
         show_previous, show_next}`; another user's id answers 403
    GET  /api/workout/{id}/performance_graph  `every_n` seconds per sample; unknown id → 404

Every /api route needs `Authorization: Bearer`; an unknown or expired token answers 401.
Faults, off by default: `fail_next(n, status, route=..., retry_after=...)` answers the next n
matching requests with `status` (429 with Retry-After; 0 drops the connection);
`expire_access_tokens()`, `revoke_refresh_tokens()`. `set_workouts()` changes the account
between syncs (a new ride appears).

What happened is kept for tests: `requests` (every /api request and its status),
`token_requests`, and `served` (the exact bytes of every 200 answer, by request path).
The server, the token endpoint's plumbing and the injected `Clock` (shared with the client in
tests) are the simulators' shared scaffolding (`api_simulator`).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from ingest_workers.common.clock import Clock
from ingest_workers.demo.api_simulator import (
    ApiSimulator,
    DropConnection,
    Reply,
    Request,
    bearer_token,
    json_body,
)
from ingest_workers.demo.peloton_documents import PelotonDocuments, performance_graph

DEFAULT_CLIENT_ID = "WVoJxVDdPoFx4RNewvvg6ch2mZ7bwnsM"
SCOPE = "openid offline_access peloton-api.members:default"
MAX_LIMIT = 100


@dataclass
class _RefreshGrant:
    used: bool = False
    revoked: bool = False


@dataclass
class _Fault:
    status: int  # 0: drop the connection without an answer
    route: str | None  # "me" | "workouts" | "performance_graph" | None (any /api route)
    remaining: int
    retry_after: str | None = None


class PelotonSimulator(ApiSimulator):
    """The server and one account's state; controls and records as the module docstring says."""

    thread_name = "peloton-simulator"
    content_type = "application/json; charset=utf-8"
    json_token_forms = True  # Auth0 takes a form or a JSON body
    token_not_found: ClassVar[dict[str, Any]] = {"error": "not_found"}
    _faults: list[_Fault]

    def __init__(
        self,
        documents: PelotonDocuments,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        clock: Clock | None = None,
        access_token_ttl_s: int = 172_800,  # about 48 h, as observed
        rotate_refresh_tokens: bool = True,
        units: Literal["imperial", "metric"] = "imperial",
        default_limit: int = 20,
    ) -> None:
        super().__init__(clock)
        self.documents = documents
        self.user_id = documents.user_id
        self.client_id = client_id
        self.access_token_ttl_s = access_token_ttl_s
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.units = units
        self.default_limit = default_limit
        self.workouts = list(documents.workouts)
        self.served: dict[str, list[bytes]] = {}  # request path → bodies of its 200 answers
        self._access: dict[str, float] = {}  # token → expires_at
        self._refresh: dict[str, _RefreshGrant] = {}

    # -- controls -------------------------------------------------------------------------------
    def issue_refresh_token(self) -> str:
        """A refresh token, as a person copies it from a signed-in browser (README)."""
        with self._lock:
            token = secrets.token_urlsafe(32)
            self._refresh[token] = _RefreshGrant()
            return token

    def expire_access_tokens(self) -> None:
        with self._lock:
            now = self.clock.now()
            self._access = {t: min(exp, now) for t, exp in self._access.items()}

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            for grant in self._refresh.values():
                grant.revoked = True

    def fail_next(
        self, count: int, status: int = 500, *, route: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        with self._lock:
            self._faults.append(_Fault(status, route, count, retry_after))

    def set_workouts(self, workouts: list[dict[str, Any]]) -> None:
        with self._lock:
            self.workouts = sorted(workouts, key=lambda w: (w["created_at"], w["id"]), reverse=True)

    def served_bodies(self, route_part: str = "") -> list[bytes]:
        return [b for path, bodies in self.served.items() if route_part in path for b in bodies]

    # -- token endpoint ---------------------------------------------------------------------------
    def token(self, form: dict[str, Any], request: Request) -> dict:
        if form.get("client_id") != self.client_id:
            raise Reply(401, {"error": "access_denied", "error_description": "Unauthorized"})
        if form.get("grant_type") != "refresh_token":
            raise Reply(403, {"error": "unauthorized_client",
                              "error_description": "Grant type not allowed for the client."})
        token = str(form.get("refresh_token") or "")
        grant = self._refresh.get(token)
        if grant is None or grant.revoked or grant.used:
            raise Reply(403, {"error": "invalid_grant",
                              "error_description": "Unknown or invalid refresh token."})
        access = secrets.token_urlsafe(32)
        self._access[access] = self.clock.now() + self.access_token_ttl_s
        answer = {"access_token": access, "id_token": secrets.token_urlsafe(16), "scope": SCOPE,
                  "expires_in": self.access_token_ttl_s, "token_type": "Bearer"}
        if self.rotate_refresh_tokens:
            grant.used = True
            answer["refresh_token"] = self.issue_refresh_token()
        return answer

    # -- GET ------------------------------------------------------------------------------------
    def get(self, request: Request) -> Reply:
        route = _route(request.path)
        try:
            if not request.path.startswith("/api/"):
                raise Reply(404, {"status": 404, "message": "Not Found"})
            fault = self._fault(route)
            if fault is not None and fault.status == 0:
                self._record(request, 0, route=route)
                raise DropConnection
            if fault is not None:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                raise Reply(fault.status, {"status": fault.status, "message": "injected"}, extra)
            self._authenticate(request.authorization)
            body = json_body(self._api(request.path, request.query))
            self.served.setdefault(request.target, []).append(body)
        except Reply as reply:
            retry_after = reply.headers.get("Retry-After")
            self._record(request, reply.status, route=route, retry_after=retry_after)
            return reply
        self._record(request, 200, route=route)
        return Reply(200, body)

    # -- /api -------------------------------------------------------------------------------------
    def _fault(self, route: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.route in (None, route):
                fault.remaining -= 1
                return fault
        return None

    def _authenticate(self, header: str | None) -> None:
        token = bearer_token(header)
        expires_at = self._access.get(token)
        if expires_at is None or expires_at <= self.clock.now():
            raise Reply(401, {"status": 401, "error_code": 3010, "message": "Login required"})

    def _api(self, path: str, query: dict[str, str]) -> Any:
        parts = path.strip("/").split("/")
        if parts == ["api", "me"]:
            return {"id": self.user_id, "username": "sample_rider", "is_profile_private": True}
        if len(parts) == 4 and parts[:2] == ["api", "user"] and parts[3] == "workouts":
            if parts[2] != self.user_id:
                raise Reply(403, {"status": 403, "message": "This profile is private"})
            return self._workouts(query)
        if len(parts) == 4 and parts[:2] == ["api", "workout"] and parts[3] == "performance_graph":
            session = self.documents.sessions.get(parts[2])
            if session is None or all(w["id"] != parts[2] for w in self.workouts):
                raise Reply(404, {"status": 404, "message": "Workout not found"})
            every_n = int(query.get("every_n") or 5)
            return performance_graph(session, max(1, every_n), self.units)
        raise Reply(404, {"status": 404, "message": "Not Found"})

    def _workouts(self, query: dict[str, str]) -> dict:
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit") or self.default_limit)))
            page = max(0, int(query.get("page") or 0))
        except ValueError:
            message = {"status": 400, "message": "limit and page must be integers"}
            raise Reply(400, message) from None
        joins = set((query.get("joins") or "").split(","))
        total = len(self.workouts)
        page_count = max(1, math.ceil(total / limit))
        data = []
        for workout in self.workouts[page * limit : (page + 1) * limit]:
            item = dict(workout)
            if "ride" not in joins:
                item["ride"] = {"id": workout["ride"]["id"]}
            elif "ride.instructor" not in joins:
                item["ride"] = {k: v for k, v in workout["ride"].items() if k != "instructor"}
            data.append(item)
        return {
            "data": data, "limit": limit, "page": page, "page_count": page_count, "total": total,
            "count": len(data), "show_previous": page > 0, "show_next": page + 1 < page_count,
            "sort_by": "-created,-pk",
        }


def _route(path: str) -> str:
    if path.endswith("/performance_graph"):
        return "performance_graph"
    if path.endswith("/workouts"):
        return "workouts"
    return "me" if path.rstrip("/").endswith("/me") else "other"


__all__ = ["DEFAULT_CLIENT_ID", "PelotonSimulator"]
