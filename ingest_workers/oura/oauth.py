"""Oura's OAuth2 application: its token endpoint, the access token a sync uses, and where the
tokens are kept.

`OuraOAuth` speaks to `POST <api>/oauth/token` (authorization code → tokens, refresh token →
tokens) and builds the consent URL. Oura's refresh tokens are single use and rotate; the rules
that imposes (store the new pair before the new access token is used, adopt what a run that won
a race stored) are the live sources' shared ones, `common.credentials.RotatingCredentials`:
`OuraCredentials` only says, when nothing is stored, to run `biolake auth oura`.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.credentials import RotatingCredentials, TokenEndpoint
from ingest_workers.common.http_retry import RetryPolicy
from ingest_workers.common.token_store import TokenPair, TokenStore, token_store
from ingest_workers.oura.errors import (
    AuthorizationError,
    NotConnectedError,
    OuraAuthError,
    RefreshRejectedError,
)


class OuraOAuth(TokenEndpoint):
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
        super().__init__(
            http, token_url=f"{api_base.rstrip('/')}/oauth/token", clock=clock, retry=retry,
            rng=rng,
        )
        self.authorize_base = f"{auth_base.rstrip('/')}/oauth/authorize"
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes

    def __repr__(self) -> str:
        return f"OuraOAuth(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def authorization_url(self, state: str) -> str:
        query = urlencode(
            {"response_type": "code", "client_id": self.client_id,
             "redirect_uri": self.redirect_uri, "state": state, "scope": self.scopes}
        )
        return f"{self.authorize_base}?{query}"

    def exchange_code(self, code: str) -> TokenPair:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        return self._request(self._with_client(form), previous_refresh=None)

    def refresh(self, refresh_token: str) -> TokenPair:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._request(self._with_client(form), previous_refresh=refresh_token)

    def _with_client(self, form: dict[str, str]) -> dict[str, str]:
        return {**form, "client_id": self.client_id, "client_secret": self._client_secret}

    def _unavailable(self, grant: str, reason: str) -> Exception:
        return OuraAuthError(f"Oura token endpoint {self.token_url} unavailable ({grant}): {reason}")

    def _refused(self, grant: str, status: int, error: str, text: str) -> Exception:
        if error == "invalid_grant" and grant == "refresh_token":
            return RefreshRejectedError(
                f"Oura refused the stored refresh token ({text}): it was revoked, expired or "
                "already used; run `biolake auth oura` to connect again"
            )
        if error == "invalid_grant":
            return AuthorizationError(
                f"Oura refused the authorization code ({text}): codes are single use and "
                "valid 10 minutes; run `biolake auth oura` again"
            )
        if error == "invalid_client" or status == 401:
            return OuraAuthError(
                f"Oura rejected the client ({text}): check BIOLAKE_OURA_CLIENT_ID and "
                "BIOLAKE_OURA_CLIENT_SECRET"
            )
        return OuraAuthError(f"Oura token endpoint answered {status} ({text})")

    def _incomplete(self, missing: str) -> Exception:
        return OuraAuthError(f"Oura token endpoint answered 200 without field '{missing}'")


class OuraCredentials(RotatingCredentials):
    """The Oura access token of one run (thread-safe): the shared rotation rules over Oura's
    token store and OAuth application."""

    def not_connected(self) -> NotConnectedError:
        return NotConnectedError(
            f"no Oura tokens in {self.store.description}: run `biolake auth oura` first"
        )


def oura_token_store(settings: Any) -> TokenStore:
    """The store `settings.oura_token_store` names (a `biolake.settings.BiolakeSettings`)."""
    return token_store(
        settings.oura_token_store, file=settings.effective_oura_token_file,
        k8s_namespace=settings.oura_k8s_namespace, k8s_secret=settings.oura_k8s_secret,
        component="oura-tokens",
    )
