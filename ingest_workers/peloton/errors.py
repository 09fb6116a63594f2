"""Errors of the live Peloton API client, as one small tree on the live sources' shared one
(`common.errors`; all are `BiolakeError`s, so the CLI prints the message and exits non-zero):

    PelotonApiError                     base of everything below (a LiveSourceError)
    ├── PelotonAuthError                no usable bearer token: the whole run stops (LiveAuthError)
    │   ├── PelotonNotConnectedError    no refresh token in the settings or the token store
    │   └── PelotonRefreshRejectedError Auth0 refused the refresh token (revoked, reused)
    └── PelotonRequestFailed            one request failed; the run stops, what is stored stays
        ├── PelotonNotFoundError        404 (e.g. a workout deleted between two requests)
        ├── PelotonRequestError         403 and other 4xx: the request itself is refused
        ├── PelotonUnavailableError     5xx, connection errors or 429s past the retry budget
        └── PelotonProtocolError        a 200 that is not what the API promises

`PelotonNotConnectedError` and `PelotonRefreshRejectedError` are also the shared
`NotConnectedError` and `RefreshRejectedError`: the shared rotation logic
(`common.credentials.RotatingCredentials`) recognises a refused refresh by that class.
Token-store failures are the store's own `common.errors.TokenStoreError`.

Messages name the route and the HTTP status, never a token.
"""

from __future__ import annotations

from ingest_workers.common import errors as common


class PelotonApiError(common.LiveSourceError):
    """Base class of the live Peloton client's errors."""


class PelotonAuthError(PelotonApiError, common.LiveAuthError):
    """No usable bearer token; no other request can succeed."""


class PelotonNotConnectedError(PelotonAuthError, common.NotConnectedError):
    """Neither the settings nor the token store hold a refresh token."""


class PelotonRefreshRejectedError(PelotonAuthError, common.RefreshRejectedError):
    """Auth0 answered `invalid_grant` to the refresh token."""


class PelotonRequestFailed(PelotonApiError, common.RequestFailed):
    """One API request failed. `where` (the route) and `status` say which and how."""


class PelotonNotFoundError(PelotonRequestFailed):
    """404: the resource does not exist (any more)."""


class PelotonRequestError(PelotonRequestFailed):
    """403 or another 4xx that retrying cannot fix."""


class PelotonUnavailableError(PelotonRequestFailed):
    """5xx, connection errors or rate limiting outlasted the retry budget."""


class PelotonProtocolError(PelotonRequestFailed):
    """A successful response that is not what the API promises (not JSON, no `data`, a loop)."""
