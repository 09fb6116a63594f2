"""What the Oura and Peloton simulators share: a threaded HTTP server on 127.0.0.1 (port 0 picks a
free one, so tests can run side by side), JSON answers, the plumbing of `POST /oauth/token`, a
record of every request, and the time from an injected `Clock` (tests share one `FakeClock` with
the client, so token lifetimes and Retry-After waits pass when the client sleeps, not in real
time).

A simulator subclasses `ApiSimulator` and answers in `get` (every GET) and `token` (the token
endpoint's form); both run under the simulator's lock, so its state needs no other locking.
Inside them, raising `Reply` answers at once, and raising `DropConnection` closes the connection
without any answer (what a client sees as a reset).
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from ingest_workers.common.clock import Clock, SystemClock

TOKEN_ROUTE = "/oauth/token"


class Reply(Exception):
    """An answer: raised inside a handler to answer at once, or returned by `get`. A body that
    is not bytes is sent as compact JSON; None sends no body and no Content-Type."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class DropConnection(Exception):
    """Raised inside `get` to close the connection without an answer."""


@dataclass(frozen=True)
class Request:
    """One request as a simulator sees it."""

    method: str
    target: str  # path and query exactly as sent
    path: str
    query: dict[str, str]
    authorization: str | None  # the Authorization header


@dataclass(frozen=True)
class RequestRecord:
    """One request the simulator answered (for tests to assert what the client sent)."""

    method: str
    path: str
    query: dict[str, str]
    status: int  # 0: the connection was dropped without an answer
    at: float
    route: str | None = None  # the simulator's name for the route, where it has one
    retry_after: str | None = None


def json_body(document: Any) -> bytes:
    """A JSON document as the real APIs send it: compact, no spaces."""
    return json.dumps(document, separators=(",", ":")).encode()


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header ('' when there is none)."""
    return header[7:].strip() if header and header.lower().startswith("bearer ") else ""


class ApiSimulator(ABC):
    """The server, its lifecycle, and what every simulator keeps for tests: `requests` (what
    `get` answered), `token_requests` ((grant_type, status) of each token request)."""

    thread_name: ClassVar[str] = "api-simulator"
    content_type: ClassVar[str] = "application/json"
    json_token_forms: ClassVar[bool] = False  # True: the token endpoint also takes a JSON body
    token_not_found: ClassVar[dict[str, Any]] = {"detail": "Not Found"}  # POST elsewhere

    def __init__(self, clock: Clock | None) -> None:
        self.clock = clock or SystemClock()
        self.requests: list[RequestRecord] = []
        self.token_requests: list[tuple[str, int]] = []  # (grant_type, status)
        self._faults: list[Any] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    @abstractmethod
    def get(self, request: Request) -> Reply:
        """Answer one GET (recording it in `requests` as the simulator sees fit)."""

    @abstractmethod
    def token(self, form: dict[str, Any], request: Request) -> dict:
        """The token endpoint's 200 answer to `form`; raise `Reply` to refuse."""

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1") -> Self:
        """Serve on `host` (loopback; a test cluster's node address lets its pods call in)."""
        simulator = self

        class Handler(_Handler):
            sim = simulator

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=self.thread_name, daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- what happened --------------------------------------------------------------------------
    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def status_counts(self, route: str | None = None) -> dict[int, int]:
        """How many requests (of `route`, or all) got each status."""
        counts: dict[int, int] = {}
        for r in self.requests:
            if route is None or r.route == route:
                counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def _record(
        self, request: Request, status: int, *, route: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        self.requests.append(RequestRecord(
            request.method, request.path, request.query, status, self.clock.now(), route,
            retry_after,
        ))


class _Handler(BaseHTTPRequestHandler):
    sim: ApiSimulator
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `requests`
        pass

    def _request(self) -> Request:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return Request(self.command, self.path, parts.path, query, self.headers.get("Authorization"))

    def _send(self, reply: Reply) -> None:
        body = reply.body
        data = b"" if body is None else body if isinstance(body, bytes) else json_body(body)
        self.send_response(reply.status)
        if body is not None:
            self.send_header("Content-Type", self.sim.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        content_type = self.headers.get("Content-Type") or ""
        if self.sim.json_token_forms and content_type.startswith("application/json"):
            try:
                form = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                form = {}
            return form if isinstance(form, dict) else {}
        return dict(parse_qsl(raw, keep_blank_values=True))

    def do_GET(self) -> None:
        request = self._request()
        with self.sim._lock:
            try:
                reply = self.sim.get(request)
            except DropConnection:
                self.close_connection = True  # no answer at all: the client sees a reset
                return
        self._send(reply)

    def do_POST(self) -> None:
        request = self._request()
        form = self._form()
        sim = self.sim
        with sim._lock:
            try:
                if request.path != TOKEN_ROUTE:
                    raise Reply(404, sim.token_not_found)
                reply = Reply(200, sim.token(form, request))
            except Reply as refused:
                reply = refused
            sim.token_requests.append((str(form.get("grant_type", "")), reply.status))
        self._send(Reply(reply.status, reply.body, {"Cache-Control": "no-store", **reply.headers}))
