"""The access token a sync uses, kept fresh by a rotating refresh token, and the OAuth2 token
endpoint that renews it; shared by every live source.

`TokenEndpoint` speaks to `POST <token_url>` (form-encoded) and turns a 200 answer into a
`TokenPair`; a source subclass adds its grants and says what a refusal means for it.
`RotatingCredentials` hands out the current access token and refreshes it, following the one
rule that rotating single-use refresh tokens impose: the new pair is stored *before* the new
access token is used, and a run that loses a race uses the pair the winner stored:

    refresh(rejected access token), under the store's lock:
      1. re-read the store; if it already holds another, fresh token, another run refreshed: use it
      2. POST grant_type=refresh_token
           invalid_grant → another run may have used the same refresh token a moment ago and be
           about to store its pair: re-read a few times; if the stored refresh token changed, use
           it, else the token is revoked (RefreshRejectedError: connect again)
      3. save the new pair with the version read in 1
           conflict (409 / changed file) → re-read and use what the other run stored
      4. only now return the new access token
"""

from __future__ import annotations

import random
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.errors import (
    NotConnectedError,
    RefreshRejectedError,
    TokenStoreConflict,
)
from ingest_workers.common.http_retry import RetryPolicy, send_with_retries
from ingest_workers.common.token_store import StoredTokens, TokenPair, TokenStore

# Waits before re-reading the store after invalid_grant (another run may be mid-save).
SETTLE_WAITS_S = (0.5, 1.0, 2.0)


class TokenEndpoint(ABC):
    """One OAuth2 token endpoint: the request (with retries) and the pair a 200 answer holds.

    A subclass builds each grant's form and says, through `_unavailable`, `_refused` and
    `_incomplete`, which of its errors each failure is."""

    default_token_type = "bearer"  # when the answer names none

    def __init__(
        self,
        http: httpx.Client,
        *,
        token_url: str,
        clock: Clock,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self.token_url = token_url
        self._clock = clock
        self._retry = retry or RetryPolicy(max_attempts=4, max_elapsed_s=120.0)
        self._rng = rng or random.Random()

    @abstractmethod
    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for `refresh_token` (RefreshRejectedError when it is refused)."""

    @abstractmethod
    def _unavailable(self, grant: str, reason: str) -> Exception:
        """The error when the endpoint could not be reached within the retry budget."""

    @abstractmethod
    def _refused(self, grant: str, status: int, error: str, text: str) -> Exception:
        """The error for an answer other than 200: `error` is the OAuth2 error code (or
        `HTTP <status>`), `text` that code with its description."""

    @abstractmethod
    def _incomplete(self, missing: str) -> Exception:
        """The error for a 200 answer without the field `missing`."""

    def _request(self, form: dict[str, str], previous_refresh: str | None) -> TokenPair:
        """POST `form`; a 200 without a refresh token keeps `previous_refresh` (not rotated)."""
        grant = form["grant_type"]

        def give_up(reason: str, status: int | None) -> Exception:
            return self._unavailable(grant, reason)

        # Only "never sent" errors are repeated: a refresh whose answer was lost may already have
        # consumed (or retired) the refresh token, and sending it again would only get
        # invalid_grant, or look like token reuse to the server.
        response = send_with_retries(
            lambda: self._http.post(
                self.token_url, data=form, headers={"Accept": "application/json"}
            ),
            policy=self._retry, clock=self._clock, rng=self._rng, give_up=give_up,
            retry_on=(httpx.ConnectError, httpx.ConnectTimeout),
        )
        requested_at = self._clock.now()
        payload = _json_object(response)
        if response.status_code != 200:
            error = str(payload.get("error") or f"HTTP {response.status_code}")
            detail = str(payload.get("error_description") or payload.get("detail") or "").strip()
            text = f"{error}: {detail}" if detail else error
            raise self._refused(grant, response.status_code, error, text)
        access = payload.get("access_token")
        refresh = payload.get("refresh_token") or previous_refresh
        if not isinstance(access, str) or not access:
            raise self._incomplete("access_token")
        if not isinstance(refresh, str) or not refresh:
            raise self._incomplete("refresh_token")
        expires_in = payload.get("expires_in")
        expires_at = (
            requested_at + float(expires_in) if isinstance(expires_in, int | float) else None
        )
        scope = payload.get("scope")
        return TokenPair(
            access, refresh, expires_at, scope if isinstance(scope, str) else None,
            str(payload.get("token_type") or self.default_token_type),
        )


def _json_object(response: httpx.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class TokenGrant(Protocol):
    """What `RotatingCredentials` needs of a token endpoint."""

    def refresh(self, refresh_token: str) -> TokenPair: ...


@dataclass
class RefreshStats:
    """What `RotatingCredentials` did, for the run summary and for tests."""

    refreshed: int = 0  # refresh grants that succeeded and were stored
    adopted: int = 0  # times the token another run had stored was used instead
    conflicts: int = 0  # saves that lost an optimistic-concurrency race


class RotatingCredentials:
    """The access token of one run; thread-safe. A source subclass names itself in
    `not_connected`."""

    def __init__(
        self,
        store: TokenStore,
        grant: TokenGrant,
        clock: Clock,
        settle_waits: tuple[float, ...] = SETTLE_WAITS_S,
    ) -> None:
        self.store = store
        self._grant = grant
        self._clock = clock
        self._settle_waits = settle_waits
        self._lock = threading.Lock()
        self._current: TokenPair | None = None
        self.stats = RefreshStats()

    def not_connected(self) -> NotConnectedError:
        """The error for an empty store (a subclass says how to connect)."""
        return NotConnectedError(f"no tokens in {self.store.description}")

    def _load(self) -> StoredTokens:
        stored = self.store.load()
        if stored.tokens is None:
            raise self.not_connected()
        return stored

    def ensure_connected(self) -> None:
        """Raise NotConnectedError now, before any request is tried, if no tokens are stored."""
        _ = self.scopes

    def forget(self) -> None:
        """Drop the pair in hand, so the next access token comes from the store again."""
        with self._lock:
            self._current = None

    @property
    def scopes(self) -> frozenset[str]:
        with self._lock:
            if self._current is None:
                self._current = self._load().tokens
            assert self._current is not None
            return self._current.scopes

    def access_token(self) -> str:
        with self._lock:
            if self._current is None:
                self._current = self._load().tokens
            assert self._current is not None
            if self._current.due_for_refresh(self._clock.now()):
                return self._refresh(self._current.access_token)
            return self._current.access_token

    def refresh(self, rejected_access_token: str) -> str:
        """A fresh access token after the API rejected `rejected_access_token` (401)."""
        with self._lock:
            if self._current is not None and self._current.access_token != rejected_access_token:
                return self._current.access_token  # another thread of this run refreshed
            return self._refresh(rejected_access_token)

    def _adopt(self, tokens: TokenPair) -> str:
        self._current = tokens
        self.stats.adopted += 1
        return tokens.access_token

    def _refresh(self, rejected: str) -> str:
        now = self._clock.now()
        with self.store.lock():
            stored = self._load()
            tokens = stored.tokens
            assert tokens is not None
            if tokens.access_token != rejected and not tokens.due_for_refresh(now):
                return self._adopt(tokens)
            try:
                fresh = self._grant.refresh(tokens.refresh_token)
            except RefreshRejectedError:
                for wait in self._settle_waits:
                    self._clock.sleep(wait)
                    again = self.store.load().tokens
                    if again is not None and again.refresh_token != tokens.refresh_token:
                        return self._adopt(again)
                raise
            try:
                self.store.save(fresh, stored.version)
            except TokenStoreConflict:
                self.stats.conflicts += 1
                return self._adopt(self._load().tokens)  # type: ignore[arg-type]
            self.stats.refreshed += 1
            self._current = fresh
            return fresh.access_token
