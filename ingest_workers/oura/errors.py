"""Errors of the live Oura API v2 client, as one small tree on the live sources' shared one
(`common.errors`; all are `BiolakeError`s, so the CLI prints the message and exits non-zero):

    OuraApiError                    base of everything below (a LiveSourceError)
    ├── OuraAuthError               no usable access token: the whole run stops (a LiveAuthError)
    │   ├── NotConnectedError       no tokens stored yet: run `biolake auth oura`
    │   ├── RefreshRejectedError    the refresh token was refused (revoked, expired or reused)
    │   └── AuthorizationError      the authorization-code step failed (denied, bad state, timeout)
    └── OuraEndpointError           one endpoint failed; the other endpoints go on (RequestFailed)
        ├── OuraForbiddenError      403: scope not granted or membership lapsed (not transient)
        ├── OuraRequestError        400/404/422: the request itself is wrong (not transient)
        ├── OuraUnavailableError    5xx, connection errors or 429s past the retry budget
        └── OuraProtocolError       a 200 that is not an Oura list response, or a paging loop

`NotConnectedError` and `RefreshRejectedError` are also the shared classes of the same name, so
the shared `RotatingCredentials` recognises them. Token-store failures are the store's own
`common.errors.TokenStoreError`.

Messages name the endpoint, the HTTP status and Oura's own `detail`, never a token or secret.
"""

from __future__ import annotations

from ingest_workers.common import errors as common


class OuraApiError(common.LiveSourceError):
    """Base class of the live Oura client's errors."""


class OuraAuthError(OuraApiError, common.LiveAuthError):
    """No usable access token; retrying the other endpoints cannot help."""


class NotConnectedError(OuraAuthError, common.NotConnectedError):
    """No Oura tokens are stored yet."""


class RefreshRejectedError(OuraAuthError, common.RefreshRejectedError):
    """Oura refused the refresh token (`invalid_grant`): revoked, expired or already used."""


class AuthorizationError(OuraAuthError):
    """The authorization-code flow did not produce tokens."""


class OuraEndpointError(OuraApiError, common.RequestFailed):
    """One endpoint could not be synced. `where` (the endpoint) and `status` say which and how."""


class OuraForbiddenError(OuraEndpointError):
    """403: the token lacks the endpoint's scope, or the Oura membership has lapsed."""


class OuraRequestError(OuraEndpointError):
    """A 4xx other than 401/403/429: the request itself is wrong."""


class OuraUnavailableError(OuraEndpointError):
    """5xx, connection errors or rate limiting outlasted the retry budget."""


class OuraProtocolError(OuraEndpointError):
    """A successful response that is not what the API promises (not JSON, no `data`, a loop)."""
