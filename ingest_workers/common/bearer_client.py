"""GET requests with a bearer token: the part of the live API clients that every source shares.

    200     returned to the source's client, which reads what its API promises
    401     one refresh through the credentials (which store a rotated refresh token before the
            new access token is used), then one retry; a second 401 goes to `_refused`
    429     wait `Retry-After`; 5xx and connection errors: jittered backoff (`http_retry`); past
            the retry budget, `_unavailable`
    other   `_refused`: the source knows what 403, 404 or 422 mean for its API

A source subclasses `BearerClient`, adds its routes, and says what its errors are by overriding
`_unavailable` and `_refused`. HTTP is an injected `httpx.Client` (tests point it at a simulator
or give it a MockTransport).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

import httpx

from ingest_workers.common.clock import Clock
from ingest_workers.common.http_retry import RetryPolicy, send_with_retries


class BearerCredentials(Protocol):
    """What the client needs of `credentials.RotatingCredentials`."""

    def access_token(self) -> str: ...

    def refresh(self, rejected_access_token: str) -> str: ...


class BearerClient(ABC):
    # sent with every request, after `Authorization`; a source may add its own
    headers: ClassVar[dict[str, str]] = {"Accept": "application/json"}

    def __init__(
        self,
        http: httpx.Client,
        credentials: BearerCredentials,
        *,
        api_base: str,
        clock: Clock,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._api_base = api_base.rstrip("/")
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()

    @abstractmethod
    def _unavailable(self, where: str, message: str, status: int | None) -> Exception:
        """The error for a request that 5xx, connection errors or 429s kept failing."""

    @abstractmethod
    def _refused(self, where: str, response: httpx.Response) -> Exception:
        """The error for any other answer than 200 (a 401 here came after the one refresh)."""

    def _get(self, where: str, path: str, params: dict[str, str]) -> httpx.Response:
        """`GET <api_base><path>?<params>` until a 200, which is returned; `where` names the
        endpoint or route in errors."""
        url = self._api_base + path
        token = self._credentials.access_token()
        refreshed = False

        def give_up(reason: str, status: int | None) -> Exception:
            return self._unavailable(where, f"gave up: {reason}", status)

        while True:
            headers = {"Authorization": f"Bearer {token}", **self.headers}
            response = send_with_retries(
                lambda headers=headers: self._http.get(url, params=params, headers=headers),
                policy=self._retry, clock=self._clock, rng=self._rng, give_up=give_up,
            )
            if response.status_code == 200:
                return response
            if response.status_code == 401 and not refreshed:
                token = self._credentials.refresh(token)
                refreshed = True
                continue
            raise self._refused(where, response)
