"""Oura's OAuth2 token endpoint, and the access token a sync uses.

`OuraOAuth` speaks to `POST <api>/oauth/token` (authorization code → tokens, refresh token →
tokens). `OuraCredentials` hands out the current access token and refreshes it, following the
one rule that rotating single-use refresh tokens impose: the new pair is stored *before* the new
access token is used, and a run that loses a race uses the pair the winner stored:

    refresh(rejected access token), under the store's lock:
      1. re-read the store; if it already holds another, fresh token, another run refreshed: use it
      2. POST grant_type=refresh_token
           invalid_grant → another run may have used the same refresh token a moment ago and be
           about to store its pair: re-read a few times; if the stored refresh token changed, use
           it, else the token is revoked (RefreshRejectedError: run `biolake auth oura`)
      3. save the new pair with the version read in 1
           conflict (409 / changed file) → re-read and use what the other run stored
      4. only now return the new access token
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.http_retry import RetryPolicy, send_with_retries
from ingest_workers.oura.errors import (
    AuthorizationError,
    NotConnectedError,
    OuraAuthError,
    RefreshRejectedError,
    TokenStoreConflict,
)
from ingest_workers.common.token_store import OuraTokens, StoredTokens, TokenStore

# Waits before re-reading the store after invalid_grant (another run may be mid-save).
SETTLE_WAITS_S = (0.5, 1.0, 2.0)


class OuraOAuth:
    """The authorization-code and refresh grants of one Oura API application."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_base: str,
        auth_base: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: str,
        clock: Clock,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self.token_url = f"{api_base.rstrip('/')}/oauth/token"
        self.authorize_base = f"{auth_base.rstrip('/')}/oauth/authorize"
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self._clock = clock
        self._retry = retry or RetryPolicy(max_attempts=4, max_elapsed_s=120.0)
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"OuraOAuth(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def authorization_url(self, state: str) -> str:
        query = urlencode(
            {"response_type": "code", "client_id": self.client_id,
             "redirect_uri": self.redirect_uri, "state": state, "scope": self.scopes}
        )
        return f"{self.authorize_base}?{query}"

    def exchange_code(self, code: str) -> OuraTokens:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        return self._token_request(form, previous_refresh=None)

    def refresh(self, refresh_token: str) -> OuraTokens:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_request(form, previous_refresh=refresh_token)

    def _token_request(self, form: dict[str, str], previous_refresh: str | None) -> OuraTokens:
        body = {**form, "client_id": self.client_id, "client_secret": self._client_secret}
        grant = form["grant_type"]

        def give_up(reason: str, status: int | None) -> Exception:
            return OuraAuthError(f"Oura token endpoint {self.token_url} unavailable ({grant}): {reason}")

        # Only "never sent" errors are repeated: a refresh whose answer was lost may already have
        # consumed the single-use refresh token, and repeating it would only get invalid_grant.
        response = send_with_retries(
            lambda: self._http.post(self.token_url, data=body, headers={"Accept": "application/json"}),
            policy=self._retry, clock=self._clock, rng=self._rng, give_up=give_up,
            retry_on=(httpx.ConnectError, httpx.ConnectTimeout),
        )
        requested_at = self._clock.now()
        payload = _json_object(response)
        if response.status_code != 200:
            error = str(payload.get("error") or f"HTTP {response.status_code}")
            detail = str(payload.get("error_description") or payload.get("detail") or "").strip()
            text = f"{error}: {detail}" if detail else error
            if error == "invalid_grant" and grant == "refresh_token":
                raise RefreshRejectedError(
                    f"Oura refused the stored refresh token ({text}): it was revoked, expired or "
                    "already used; run `biolake auth oura` to connect again"
                )
            if error == "invalid_grant":
                raise AuthorizationError(
                    f"Oura refused the authorization code ({text}): codes are single use and "
                    "valid 10 minutes; run `biolake auth oura` again"
                )
            if error == "invalid_client" or response.status_code == 401:
                raise OuraAuthError(
                    f"Oura rejected the client ({text}): check BIOLAKE_OURA_CLIENT_ID and "
                    "BIOLAKE_OURA_CLIENT_SECRET"
                )
            raise OuraAuthError(f"Oura token endpoint answered {response.status_code} ({text})")
        access = payload.get("access_token")
        refresh = payload.get("refresh_token") or previous_refresh
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise OuraAuthError(
                f"Oura token endpoint answered 200 without field "
                f"'{'access_token' if not access else 'refresh_token'}'"
            )
        expires_in = payload.get("expires_in")
        expires_at = (
            requested_at + float(expires_in) if isinstance(expires_in, int | float) else None
        )
        scope = payload.get("scope")
        return OuraTokens(
            access, refresh, expires_at, scope if isinstance(scope, str) else None,
            str(payload.get("token_type") or "bearer"),
        )


def _json_object(response: httpx.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class RefreshStats:
    """What `OuraCredentials` did, for the run summary and for tests."""

    refreshed: int = 0  # refresh grants that succeeded and were stored
    adopted: int = 0  # times the token another run had stored was used instead
    conflicts: int = 0  # saves that lost an optimistic-concurrency race


class OuraCredentials:
    """The access token of one run; thread-safe."""

    def __init__(
        self,
        store: TokenStore,
        oauth: OuraOAuth,
        clock: Clock,
        settle_waits: tuple[float, ...] = SETTLE_WAITS_S,
    ) -> None:
        self.store = store
        self._oauth = oauth
        self._clock = clock
        self._settle_waits = settle_waits
        self._lock = threading.Lock()
        self._current: OuraTokens | None = None
        self.stats = RefreshStats()

    def _load(self) -> StoredTokens:
        stored = self.store.load()
        if stored.tokens is None:
            raise NotConnectedError(
                f"no Oura tokens in {self.store.description}: run `biolake auth oura` first"
            )
        return stored

    def ensure_connected(self) -> None:
        """Raise NotConnectedError now, before any endpoint is tried, if no tokens are stored."""
        _ = self.scopes

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

    def _adopt(self, tokens: OuraTokens) -> str:
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
                fresh = self._oauth.refresh(tokens.refresh_token)
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
