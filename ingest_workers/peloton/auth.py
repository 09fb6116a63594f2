"""Peloton's bearer token: Auth0's refresh-token grant, and where the rotating tokens are kept.

Peloton's old `POST /auth/login` answers 403 since October 2025; the web app now signs in with
Auth0 (authorization code + PKCE) and calls the API with `Authorization: Bearer`, refreshed at
`POST https://auth.onepeloton.com/oauth/token` with `grant_type=refresh_token` and the web app's
public client id (docs/DATA-FORMATS.md 3.2). Bio-Lakehouse needs no password and no browser
step: the user copies one refresh token once (README), and every run refreshes from the store.

Auth0 may rotate refresh tokens (each refresh returns a new one and retires the old), so the
rules of the Oura client apply unchanged and are reused, not rewritten:

- the stores are `oura_token_store.FileTokenStore` / `KubernetesSecretTokenStore` (atomic,
  versioned writes; a lock file or the Secret's resourceVersion settles races);
- `oura_oauth.OuraCredentials` hands out the access token, refreshes on expiry or 401, and
  stores the new pair *before* the new access token is used.

What is Peloton's own: the seed (an empty store is filled from `BIOLAKE_PELOTON_REFRESH_TOKEN`
through one refresh, so even the first access token comes from a stored pair), and one fallback:
when the stored refresh token is refused and the settings hold a *different* one, the user has
pasted a new token, so it is tried once before giving up.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.http_retry import RetryPolicy, send_with_retries
from ingest_workers.oura.errors import TokenStoreConflict
from ingest_workers.oura.oauth import SETTLE_WAITS_S, OuraCredentials
from ingest_workers.common.token_store import (
    FileTokenStore,
    KubernetesSecretTokenStore,
    OuraTokens,
    TokenStore,
    kubernetes_core_api,
    pod_namespace,
)
from ingest_workers.peloton.errors import (
    PelotonAuthError,
    PelotonNotConnectedError,
    PelotonRefreshRejectedError,
)

TOKEN_ROUTE = "/oauth/token"
HOW_TO_CONNECT = (
    "copy a new refresh token as the README's 'Connect your Peloton account' shows and set "
    "BIOLAKE_PELOTON_REFRESH_TOKEN"
)


class PelotonAuth0:
    """The refresh-token grant of Peloton's Auth0 tenant (a public client: no secret)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        auth_base: str,
        client_id: str,
        clock: Clock,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self.token_url = auth_base.rstrip("/") + TOKEN_ROUTE
        self.client_id = client_id
        self._clock = clock
        self._retry = retry or RetryPolicy(max_attempts=4, max_elapsed_s=120.0)
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"PelotonAuth0(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def refresh(self, refresh_token: str) -> OuraTokens:
        """A new token pair; the old refresh token stays valid when Auth0 does not rotate."""
        form = {
            "grant_type": "refresh_token", "client_id": self.client_id,
            "refresh_token": refresh_token,
        }

        def give_up(reason: str, status: int | None) -> Exception:
            return PelotonAuthError(
                f"Peloton token endpoint {self.token_url} unavailable: {reason}"
            )

        # Only "never sent" errors are repeated: a refresh whose answer was lost may already have
        # retired the refresh token, and sending it again could look like token reuse to Auth0.
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
            detail = str(payload.get("error_description") or "").strip()
            text = f"{error}: {detail}" if detail else error
            if error == "invalid_grant":  # Auth0 answers it with 403 (sometimes 400)
                raise PelotonRefreshRejectedError(
                    f"Peloton refused the refresh token ({text}): it was revoked, expired or "
                    f"already used; {HOW_TO_CONNECT}"
                )
            if error in ("unauthorized_client", "invalid_client", "access_denied"):
                raise PelotonAuthError(
                    f"Peloton's Auth0 refused client id {self.client_id!r} ({text}): check "
                    "BIOLAKE_PELOTON_CLIENT_ID (docs/DATA-FORMATS.md 3.2)"
                )
            raise PelotonAuthError(
                f"Peloton token endpoint answered {response.status_code} ({text})"
            )
        access = payload.get("access_token")
        refresh = payload.get("refresh_token") or refresh_token  # not rotated: keep the old one
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise PelotonAuthError(
                "Peloton token endpoint answered 200 without field 'access_token'"
            )
        expires_in = payload.get("expires_in")
        expires_at = (
            requested_at + float(expires_in) if isinstance(expires_in, int | float) else None
        )
        scope = payload.get("scope")
        return OuraTokens(
            access, refresh, expires_at, scope if isinstance(scope, str) else None,
            str(payload.get("token_type") or "Bearer"),
        )


def _json_object(response: httpx.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def peloton_token_store(settings: Any) -> TokenStore:
    """The store `settings.peloton_token_store` names (a `biolake.settings.BiolakeSettings`);
    the same store classes as Oura's, at Peloton's own file or Secret."""
    if settings.peloton_token_store == "kubernetes":
        namespace = settings.peloton_k8s_namespace or pod_namespace()
        return KubernetesSecretTokenStore(
            kubernetes_core_api(), namespace, settings.peloton_k8s_secret
        )
    return FileTokenStore(settings.effective_peloton_token_file)


def _non_blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


class PelotonCredentials:
    """The access token of one run (thread-safe): `OuraCredentials` over a Peloton store, plus
    the seed and the fallback described in the module docstring."""

    def __init__(
        self,
        store: TokenStore,
        auth: PelotonAuth0,
        clock: Clock,
        seed_refresh_token: str | None,
        settle_waits: tuple[float, ...] = SETTLE_WAITS_S,
    ) -> None:
        self.store = store
        self._auth = auth
        self._clock = clock
        self._seed = _non_blank(seed_refresh_token)
        self._settle_waits = settle_waits
        self._lock = threading.Lock()
        self._seed_tried = False
        self._inner = self._credentials()
        self.seeded = 0  # refresh grants made with the settings' token, for reports and tests

    def _credentials(self) -> OuraCredentials:
        # PelotonAuth0 offers the one method OuraCredentials calls: refresh(token) -> tokens
        auth: Any = self._auth
        return OuraCredentials(self.store, auth, self._clock, self._settle_waits)

    @property
    def stats(self) -> Any:
        return self._inner.stats

    def ensure_connected(self) -> None:
        """Fill an empty store from the settings' refresh token; raise if there is none."""
        with self._lock, self.store.lock():
            stored = self.store.load()
            if stored.tokens is not None:
                return
            if self._seed is None:
                raise PelotonNotConnectedError(
                    f"no Peloton tokens in {self.store.description} and no refresh token in the "
                    f"settings: {HOW_TO_CONNECT}"
                )
            self._seed_tried = True
            self._save_seeded(stored.version)

    def _save_seeded(self, version: str | None) -> None:
        tokens = self._auth.refresh(self._seed or "")
        self.seeded += 1
        try:
            self.store.save(tokens, version)  # stored before the access token is ever used
        except TokenStoreConflict:
            pass  # another run stored a pair meanwhile: the next load uses it
        self._inner = self._credentials()

    def access_token(self) -> str:
        return self._with_fallback(lambda: self._inner.access_token())

    def refresh(self, rejected_access_token: str) -> str:
        return self._with_fallback(lambda: self._inner.refresh(rejected_access_token))

    def _with_fallback(self, call: Any) -> str:
        try:
            return call()
        except PelotonRefreshRejectedError:
            with self._lock, self.store.lock():
                stored = self.store.load()
                current = stored.tokens.refresh_token if stored.tokens else None
                if self._seed is None or self._seed_tried or self._seed == current:
                    raise
                self._seed_tried = True  # the settings' token gets one chance per run
                self._save_seeded(stored.version)
            return self._inner.access_token()
