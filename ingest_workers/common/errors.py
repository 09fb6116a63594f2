"""Errors of the shared part of the live sources (the sources that sync through an API: Oura,
Peloton), as one small tree. All are `BiolakeError`s, so the CLI prints the message and exits
non-zero:

    LiveSourceError                 base of everything a live source raises
    ├── LiveAuthError               no usable access token: no other request of the run can work
    │   ├── NotConnectedError       no tokens stored yet
    │   └── RefreshRejectedError    the refresh token was refused (revoked, expired or reused)
    ├── RequestFailed               one API request failed; `where` and `status` say which, how
    └── TokenStoreError             the token store (file or Kubernetes Secret) cannot be used
        └── TokenStoreConflict      someone else saved first (the caller re-reads; not shown)

Shared code raises the token-store errors itself and recognises a refused refresh by
`RefreshRejectedError`. Everything else is raised by a source, as its own subclass of these
(`oura.errors`, `peloton.errors`), so a source's `except` sites and messages stay its own.
Messages name the route or endpoint and the HTTP status, never a token or secret.
"""

from __future__ import annotations

from biolake.errors import BiolakeError


class LiveSourceError(BiolakeError):
    """Base class of the live sources' errors."""


class LiveAuthError(LiveSourceError):
    """No usable access token; retrying other requests cannot help."""


class NotConnectedError(LiveAuthError):
    """No tokens are stored yet (the source's subclass says how to connect)."""


class RefreshRejectedError(LiveAuthError):
    """The token endpoint refused the refresh token (`invalid_grant`): revoked, expired or
    already used. `RotatingCredentials` waits for another run's save before giving up."""


class RequestFailed(LiveSourceError):
    """One API request failed. `where` (an endpoint or route) and `status` say which and how."""

    def __init__(self, where: str, message: str, status: int | None = None) -> None:
        self.where = where
        self.status = status
        super().__init__(f"{where}: {message}")


class TokenStoreError(LiveSourceError):
    """The token store (file or Kubernetes Secret) cannot be read or written."""


class TokenStoreConflict(TokenStoreError):
    """The stored tokens changed since they were read (optimistic concurrency)."""
