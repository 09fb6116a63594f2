"""Errors of the live Peloton API client, as one small tree (all are `BiolakeError`s, so the CLI
prints the message and exits non-zero):

    PelotonApiError                     base of everything below
    ├── PelotonAuthError                no usable bearer token: the whole run stops
    │   ├── PelotonNotConnectedError    no refresh token in the settings or the token store
    │   └── PelotonRefreshRejectedError Auth0 refused the refresh token (revoked, reused)
    └── PelotonRequestFailed            one request failed; the run stops, what is stored stays
        ├── PelotonNotFoundError        404 (e.g. a workout deleted between two requests)
        ├── PelotonRequestError         403 and other 4xx: the request itself is refused
        ├── PelotonUnavailableError     5xx, connection errors or 429s past the retry budget
        └── PelotonProtocolError        a 200 that is not what the API promises

`PelotonRefreshRejectedError` is also a `oura_api_errors.RefreshRejectedError`: the rotation
logic of `oura_oauth.OuraCredentials` (shared by both sources) recognises a refused refresh by
that class. Token-store failures are the store's own `oura_api_errors.TokenStoreError`.

Messages name the route and the HTTP status, never a token.
"""

from __future__ import annotations

from biolake.errors import BiolakeError
from ingest_workers.oura.errors import RefreshRejectedError


class PelotonApiError(BiolakeError):
    """Base class of the live Peloton client's errors."""


class PelotonAuthError(PelotonApiError):
    """No usable bearer token; no other request can succeed."""


class PelotonNotConnectedError(PelotonAuthError):
    """Neither the settings nor the token store hold a refresh token."""


class PelotonRefreshRejectedError(PelotonAuthError, RefreshRejectedError):
    """Auth0 answered `invalid_grant` to the refresh token."""


class PelotonRequestFailed(PelotonApiError):
    """One API request failed. `route` and `status` say which and how."""

    def __init__(self, route: str, message: str, status: int | None = None) -> None:
        self.route = route
        self.status = status
        super().__init__(f"{route}: {message}")


class PelotonNotFoundError(PelotonRequestFailed):
    """404: the resource does not exist (any more)."""


class PelotonRequestError(PelotonRequestFailed):
    """403 or another 4xx that retrying cannot fix."""


class PelotonUnavailableError(PelotonRequestFailed):
    """5xx, connection errors or rate limiting outlasted the retry budget."""


class PelotonProtocolError(PelotonRequestFailed):
    """A successful response that is not what the API promises (not JSON, no `data`, a loop)."""
