"""`biolake auth oura`: the OAuth2 authorization-code flow, on a desktop or a headless machine.

The user opens the printed URL, approves on Oura's page, and Oura redirects the browser to the
registered redirect URI with `?code=...&state=...`. Two ways back, whichever comes first:

- a one-shot listener on 127.0.0.1 at the redirect URI's port (when the redirect URI is
  http://127.0.0.1:PORT/... or http://localhost:PORT/...) receives the redirect;
- on a machine without a browser, the user opens the URL elsewhere; the redirect then fails to
  load there, and they paste the URL from the address bar (or just the code) on stdin.

`state` guards against a forged redirect: a callback or pasted URL whose state differs is
refused. The code is exchanged at once (codes are single use, valid 10 minutes) and the tokens
are stored, replacing whatever the store held.
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from biolake.settings import BiolakeSettings
from ingest_workers.common.errors import TokenStoreConflict
from ingest_workers.common.runtime import Runtime
from ingest_workers.common.token_store import TokenPair, TokenStore
from ingest_workers.oura.errors import AuthorizationError
from ingest_workers.oura.oauth import OuraOAuth

_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Bio-Lakehouse</title>"
    "<p>{message}</p><p>You can close this tab.</p>"
)


def local_callback(redirect_uri: str) -> tuple[int, str] | None:
    """(port, path) to listen on when the redirect URI points at this machine, else None."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    return parts.port or 80, parts.path or "/"


def _query_of_paste(line: str) -> dict[str, str]:
    """The query of a pasted redirect URL, or {"code": line} for a bare code."""
    if "code=" in line or "error=" in line:
        query = urlsplit(line).query if "?" in line else line
        return dict(parse_qsl(query, keep_blank_values=True))
    return {"code": line}


class _CallbackServer:
    """One-shot HTTP listener on 127.0.0.1 for the redirect."""

    def __init__(self, port: int, path: str, deliver: Callable[[dict[str, str]], bool]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the code: keep it out of the terminal

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != path:
                    self._page(404, "Not the Bio-Lakehouse callback.")
                    return
                accepted = deliver(dict(parse_qsl(parts.query, keep_blank_values=True)))
                if accepted:
                    self._page(200, "Bio-Lakehouse received Oura's answer.")
                else:
                    self._page(400, "This redirect does not belong to the running "
                                    "`biolake auth oura` (state mismatch); it was ignored.")

            def _page(self, status: int, message: str) -> None:
                data = _PAGE.format(message=message).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise AuthorizationError(
                f"cannot listen on 127.0.0.1:{port} for the redirect ({exc.strerror}); free the "
                "port or run with --no-listen and paste the redirected URL"
            ) from exc
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def authorize(
    oauth: OuraOAuth,
    store: TokenStore,
    *,
    show: Callable[[str], None],
    paste: TextIO | None,
    timeout_s: float = 600.0,
    listen: bool = True,
) -> TokenPair:
    """Run the flow and store the tokens; returns them."""
    state = secrets.token_urlsafe(24)
    answers: queue.Queue[tuple[str, dict[str, str]]] = queue.Queue()

    def from_callback(query: dict[str, str]) -> bool:
        if query.get("state") != state:
            return False
        answers.put(("callback", query))
        return True

    callback = local_callback(oauth.redirect_uri) if listen else None
    server = _CallbackServer(*callback, from_callback) if callback else None
    try:
        show("Open this URL in a browser and approve access for Bio-Lakehouse:")
        show(f"  {oauth.authorization_url(state)}")
        if server is not None:
            show(f"Waiting for Oura's redirect to {oauth.redirect_uri} ...")
        show("On a machine without a browser: open the URL anywhere, then paste here the URL "
             "the browser was sent to (or just its code) and press Enter.")
        if paste is not None:
            threading.Thread(target=_read_pastes, args=(paste, answers), daemon=True).start()
        query = _wait_for_answer(answers, state, timeout_s, waiting_for_callback=server is not None)
    finally:
        if server is not None:
            server.close()
    if query.get("error"):
        raise AuthorizationError(
            f"Oura answered error={query['error']}"
            + (f" ({query['error_description']})" if query.get("error_description") else "")
            + ": access was not granted"
        )
    tokens = oauth.exchange_code(query["code"])
    _store_replacing(store, tokens)
    return tokens


def _read_pastes(stream: TextIO, answers: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        if line.strip():
            answers.put(("paste", _query_of_paste(line.strip())))
    answers.put(("eof", {}))


def _wait_for_answer(
    answers: queue.Queue, state: str, timeout_s: float, *, waiting_for_callback: bool
) -> dict[str, str]:
    try:
        while True:
            kind, query = answers.get(timeout=timeout_s)
            if kind == "eof":
                if waiting_for_callback:
                    continue  # no terminal input: the listener may still get the redirect
                raise AuthorizationError("stdin closed before a redirected URL or code was pasted")
            if kind == "paste" and "state" in query and query["state"] != state:
                raise AuthorizationError(
                    "the pasted URL's state does not match this authorization request (an old or "
                    "foreign link?); run `biolake auth oura` again and paste the new redirect"
                )
            if query.get("code") or query.get("error"):
                return query
            raise AuthorizationError("the pasted text holds no `code` parameter")
    except queue.Empty:
        raise AuthorizationError(
            f"no answer from Oura within {timeout_s:.0f} s; run `biolake auth oura` again"
        ) from None


def _store_replacing(store: TokenStore, tokens: TokenPair) -> None:
    """A fresh authorization replaces whatever is stored, even if another run just wrote."""
    for _ in range(5):
        try:
            store.save(tokens, store.load().version)
            return
        except TokenStoreConflict:
            continue
    raise AuthorizationError(f"{store.description} kept changing; the tokens were not stored")


def run_authorization(
    settings: BiolakeSettings,
    *,
    show: Callable[[str], None],
    paste: TextIO | None,
    timeout_s: float = 600.0,
    listen: bool = True,
    runtime: Runtime | None = None,
) -> TokenPair:
    """`biolake auth oura`: authorize with the settings' app and store; reports what was granted.

    Raises:
        ConfigError: no Oura client id or secret in the settings.
        AuthorizationError: access was denied, the answer did not come in `timeout_s`, or the
            pasted redirect was not this request's.
        OuraAuthError: Oura refused the client or the code.
        TokenStoreError: the tokens could not be stored.
    """
    from ingest_workers.oura.sync import connect

    with connect(settings, runtime or Runtime()) as oura:
        tokens = authorize(
            oura.oauth, oura.store, show=show, paste=paste, timeout_s=timeout_s, listen=listen,
        )
        show(f"connected: Oura tokens stored in {oura.store.description}")
        show(f"granted scopes: {tokens.scope or '(none reported)'}")
        missing = set(settings.oura_scopes.split()) - tokens.scopes
        if tokens.scope is not None and missing:
            show(f"warning: not granted: {' '.join(sorted(missing))}; the endpoints needing "
                 "them will fail with 403 until you authorize again and allow them")
        return tokens
