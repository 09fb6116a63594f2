"""Peloton's bearer token: Auth0's refresh-token grant, and where the rotating tokens are kept.

Peloton's old `POST /auth/login` answers 403 since October 2025; the web app now signs in with
Auth0 (authorization code + PKCE) and calls the API with `Authorization: Bearer`, refreshed at
`POST https://auth.onepeloton.com/oauth/token` with `grant_type=refresh_token` and the web app's
public client id (docs/DATA-FORMATS.md 3.2). Bio-Lakehouse needs no password and no browser
step: the user copies one refresh token once (README), and every run refreshes from the store.

Auth0 may rotate refresh tokens (each refresh returns a new one and retires the old), so the
live sources' shared rules apply unchanged (`common/`), like Oura's:

- the stores are `common.token_store.FileTokenStore` / `KubernetesSecretTokenStore` (atomic,
  versioned writes; a lock file or the Secret's resourceVersion settles races);
- `common.credentials.RotatingCredentials` hands out the access token, refreshes on expiry or
  401, and stores the new pair *before* the new access token is used.

What is Peloton's own: the seed (an empty store is filled from `BIOLAKE_PELOTON_REFRESH_TOKEN`
through one refresh, so even the first access token comes from a stored pair), and one fallback:
when the stored refresh token is refused and the settings hold a *different* one, the user has
pasted a new token, so it is tried once before giving up.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from typing import Any

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.credentials import SETTLE_WAITS_S, RotatingCredentials, TokenEndpoint
from ingest_workers.common.errors import TokenStoreConflict
from ingest_workers.common.http_retry import RetryPolicy
from ingest_workers.common.token_store import TokenPair, TokenStore, token_store
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


class PelotonAuth0(TokenEndpoint):
    """The refresh-token grant of Peloton's Auth0 tenant (a public client: no secret)."""

    default_token_type = "Bearer"

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
        super().__init__(
            http, token_url=auth_base.rstrip("/") + TOKEN_ROUTE, clock=clock, retry=retry, rng=rng
        )
        self.client_id = client_id

    def __repr__(self) -> str:
        return f"PelotonAuth0(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new token pair; the old refresh token stays valid when Auth0 does not rotate."""
        form = {
            "grant_type": "refresh_token", "client_id": self.client_id,
            "refresh_token": refresh_token,
        }
        return self._request(form, previous_refresh=refresh_token)

    def _unavailable(self, grant: str, reason: str) -> Exception:
        return PelotonAuthError(f"Peloton token endpoint {self.token_url} unavailable: {reason}")

    def _refused(self, grant: str, status: int, error: str, text: str) -> Exception:
        if error == "invalid_grant":  # Auth0 answers it with 403 (sometimes 400)
            return PelotonRefreshRejectedError(
                f"Peloton refused the refresh token ({text}): it was revoked, expired or "
                f"already used; {HOW_TO_CONNECT}"
            )
        if error in ("unauthorized_client", "invalid_client", "access_denied"):
            return PelotonAuthError(
                f"Peloton's Auth0 refused client id {self.client_id!r} ({text}): check "
                "BIOLAKE_PELOTON_CLIENT_ID (docs/DATA-FORMATS.md 3.2)"
            )
        return PelotonAuthError(f"Peloton token endpoint answered {status} ({text})")

    def _incomplete(self, missing: str) -> Exception:
        return PelotonAuthError(f"Peloton token endpoint answered 200 without field '{missing}'")


def peloton_token_store(settings: Any) -> TokenStore:
    """The store `settings.peloton_token_store` names (a `biolake.settings.BiolakeSettings`):
    the live sources' shared store classes, at Peloton's own file or Secret."""
    return token_store(
        settings.peloton_token_store, file=settings.effective_peloton_token_file,
        k8s_namespace=settings.peloton_k8s_namespace, k8s_secret=settings.peloton_k8s_secret,
        component="peloton-tokens",
    )


def _non_blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


class PelotonCredentials(RotatingCredentials):
    """The Peloton access token of one run (thread-safe): the shared rotation rules over
    Peloton's store, plus the seed and the fallback described in the module docstring."""

    def __init__(
        self,
        store: TokenStore,
        auth: PelotonAuth0,
        clock: Clock,
        seed_refresh_token: str | None,
        settle_waits: tuple[float, ...] = SETTLE_WAITS_S,
    ) -> None:
        super().__init__(store, auth, clock, settle_waits)
        self._seed = _non_blank(seed_refresh_token)
        # Held (before the store's lock) while seeding; never while the shared `_lock` is.
        self._seed_lock = threading.Lock()
        self._seed_tried = False
        self.seeded = 0  # refresh grants made with the settings' token, for reports and tests

    def not_connected(self) -> PelotonNotConnectedError:
        settings = " and no refresh token in the settings" if self._seed is None else ""
        return PelotonNotConnectedError(
            f"no Peloton tokens in {self.store.description}{settings}: {HOW_TO_CONNECT}"
        )

    def ensure_connected(self) -> None:
        """Fill an empty store from the settings' refresh token; raise if there is none."""
        with self._seed_lock, self.store.lock():
            stored = self.store.load()
            if stored.tokens is not None:
                return
            if self._seed is None:
                raise self.not_connected()
            self._seed_tried = True
            self._save_seeded(stored.version)
        self.forget()

    def _save_seeded(self, version: str | None) -> None:
        tokens = self._grant.refresh(self._seed or "")
        self.seeded += 1
        try:
            self.store.save(tokens, version)  # stored before the access token is ever used
        except TokenStoreConflict:
            pass  # another run stored a pair meanwhile: the next load uses it

    def access_token(self) -> str:
        return self._with_fallback(super().access_token)

    def refresh(self, rejected_access_token: str) -> str:
        return self._with_fallback(functools.partial(super().refresh, rejected_access_token))

    def _with_fallback(self, call: Callable[[], str]) -> str:
        try:
            return call()
        except PelotonRefreshRejectedError:
            with self._seed_lock, self.store.lock():
                stored = self.store.load()
                current = stored.tokens.refresh_token if stored.tokens else None
                if self._seed is None or self._seed_tried or self._seed == current:
                    raise
                self._seed_tried = True  # the settings' token gets one chance per run
                self._save_seeded(stored.version)
            self.forget()
            return super().access_token()
