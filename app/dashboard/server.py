"""`biolake serve`: the dashboard on a Panel (Bokeh/Tornado) server, and an unauthenticated
`/healthz` for probes that says only whether the lake can be read.

Authentication (`BIOLAKE_DASHBOARD_AUTH`):

    auto    basic when BIOLAKE_DASHBOARD_PASSWORD is set, none otherwise (the default)
    basic   Panel's basic auth: BIOLAKE_DASHBOARD_USER and BIOLAKE_DASHBOARD_PASSWORD
    oauth   Panel's OAuth: a provider Panel knows (github, google, ...), or `generic` with the
            authorize, token and userinfo endpoints of any OAuth 2 / OpenID server; optionally
            only the users in BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS get in
    none    nobody is asked, which is refused unless the server binds a loopback address

Sessions share the server's one IO loop, so nothing slow may run on it: widget events run on a
pool of `dashboard_threads` threads, the overview's queries run after the page has connected
(on that pool too), and the chat awaits its answer in a thread.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn
from tornado.web import RequestHandler, decode_signed_value

from app.dashboard.store import DashboardStore
from app.dashboard.views import build_app
from biolake.errors import ConfigError
from biolake.lake import Lake
from biolake.settings import BiolakeSettings

HEALTH_PATH = "/healthz"
# the dashboard's own browser files (app/dashboard/static), served at /biolake-static/
STATIC_ROUTE = "biolake-static"
STATIC_DIR = Path(__file__).parent / "static"
GUARD_URL = f"{STATIC_ROUTE}/plotly_guard.js"
# Panel's providers that take their endpoints from the settings rather than knowing them
ENDPOINT_PROVIDERS = {"generic", "password", "auth_code"}

StoreFactory = Callable[[BiolakeSettings, Lake], DashboardStore]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_mode(settings: BiolakeSettings) -> str:
    """basic, oauth or none ("auto" resolved: basic exactly when a password is set)."""
    if settings.dashboard_auth == "auto":
        return "basic" if settings.dashboard_password is not None else "none"
    return settings.dashboard_auth


def auth_options(settings: BiolakeSettings, host: str) -> dict[str, Any]:
    """pn.serve's auth arguments for the settings; a server reachable from other machines
    without authentication is refused."""
    mode = auth_mode(settings)
    if mode == "none":
        if not is_loopback(host):
            raise ConfigError(
                f"the dashboard would bind {host}, beyond this machine, without authentication "
                f"(BIOLAKE_DASHBOARD_AUTH={settings.dashboard_auth}): set BIOLAKE_DASHBOARD_AUTH="
                f"basic with BIOLAKE_DASHBOARD_PASSWORD, or BIOLAKE_DASHBOARD_AUTH=oauth"
            )
        return {}
    secret = settings.dashboard_cookie_secret
    # without a configured secret, logins last until the server restarts (and one replica only)
    common = {"cookie_secret": secret.get_secret_value() if secret else secrets.token_urlsafe(32),
              "oauth_guest_endpoints": [HEALTH_PATH]}
    if mode == "basic":
        if settings.dashboard_password is None:
            raise ConfigError("BIOLAKE_DASHBOARD_AUTH=basic needs BIOLAKE_DASHBOARD_PASSWORD")
        password = settings.dashboard_password.get_secret_value()
        return {"basic_auth": {settings.dashboard_user: password}, **common}
    return {**oauth_options(settings), **common}


def oauth_options(settings: BiolakeSettings) -> dict[str, Any]:
    """pn.serve's OAuth arguments. The generic provider's endpoints go in `oauth_extra_params`
    (Panel reads them there before its PANEL_OAUTH_* variables), so nothing is put in the
    process environment."""
    from panel.auth import AUTH_PROVIDERS

    provider = settings.dashboard_oauth_provider
    if provider not in AUTH_PROVIDERS:
        raise ConfigError(f"BIOLAKE_DASHBOARD_OAUTH_PROVIDER={provider!r} is not one of Panel's "
                          f"OAuth providers: {', '.join(sorted(AUTH_PROVIDERS))}")
    required = {"BIOLAKE_DASHBOARD_OAUTH_KEY": settings.dashboard_oauth_key}
    if provider != "auth_code":  # the code-challenge (PKCE) flow has no client secret
        required["BIOLAKE_DASHBOARD_OAUTH_SECRET"] = settings.dashboard_oauth_secret
    if provider in ("generic", "auth_code"):
        required["BIOLAKE_DASHBOARD_OAUTH_AUTHORIZE_URL"] = settings.dashboard_oauth_authorize_url
    if provider in ENDPOINT_PROVIDERS:
        required["BIOLAKE_DASHBOARD_OAUTH_TOKEN_URL"] = settings.dashboard_oauth_token_url
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ConfigError(f"BIOLAKE_DASHBOARD_AUTH=oauth with provider {provider} needs "
                          f"{', '.join(missing)}")
    extra: dict[str, Any] = {}
    if provider in ENDPOINT_PROVIDERS:
        endpoints = {"AUTHORIZE_URL": settings.dashboard_oauth_authorize_url,
                     "TOKEN_URL": settings.dashboard_oauth_token_url,
                     "USER_URL": settings.dashboard_oauth_user_url}
        extra.update({k: v for k, v in endpoints.items() if v})
    if settings.dashboard_oauth_scopes:
        extra["scope"] = settings.dashboard_oauth_scopes.split()
    secret = settings.dashboard_oauth_secret
    return {
        "oauth_provider": provider,
        "oauth_key": settings.dashboard_oauth_key,
        "oauth_secret": secret.get_secret_value() if secret else None,
        "oauth_redirect_uri": settings.dashboard_oauth_redirect_uri,
        "oauth_extra_params": extra,
    }


def only_users(allowed: frozenset[str], cookie_secret: str) -> Callable[[Any], bool]:
    """Panel's authorize callback: the signed-in user (Panel's signed `user` cookie, never
    the unsigned guest marker) must be one of `allowed`."""

    def authorized(_user_info: Any) -> bool:
        raw = pn.state.cookies.get("user")
        user = decode_signed_value(cookie_secret, "user", raw) if raw else None
        return user is not None and user.decode("utf-8") in allowed

    return authorized


class HealthHandler(RequestHandler):
    """200 {"status": "ok"} when the lake answers; 503 otherwise. No data, no auth."""

    def initialize(self, lake: Lake) -> None:
        self.lake = lake

    def get(self) -> None:
        try:
            self.lake.list_dirs("")
            status, body = 200, {"status": "ok"}
        except OSError as exc:
            status, body = 503, {"status": "error", "reason": type(exc).__name__}
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


def make_server(settings: BiolakeSettings, lake: Lake, host: str, port: int, *,
                threaded: bool = False, show: bool = False,
                store_factory: StoreFactory = DashboardStore) -> Any:
    """The server (started when `threaded`, else ready for `.start()` / `io_loop.start()`).
    `store_factory` builds each session's store (tests give a slow one)."""
    options = auth_options(settings, host)
    allowed = settings.dashboard_allowed_users
    if "oauth_provider" in options and allowed:
        pn.config.authorize_callback = only_users(allowed, options["cookie_secret"])
    # events of every session run on this pool instead of the shared IO loop
    pn.config.nthreads = settings.dashboard_threads

    def session() -> pn.viewable.Viewable:
        # the JS of the panes on tabs rendered later (dynamic tabs) must be in the first page
        pn.extension("plotly", "tabulator")
        pn.config.js_files = {**pn.config.js_files, "biolake_plotly_guard": GUARD_URL}
        pn.config.theme = "dark"  # per session on a server: widgets and tables in dark
        return build_app(store_factory(settings, lake))

    return pn.serve(
        {"/": session}, address=host, port=port, show=show, start=threaded, threaded=threaded,
        # loopback: only pages served here may open the websocket; elsewhere auth guards it
        websocket_origin=([f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")]
                          if is_loopback(host) else "*"),
        extra_patterns=[(HEALTH_PATH, HealthHandler, {"lake": lake})],
        static_dirs={STATIC_ROUTE: str(STATIC_DIR)},
        title="Bio-Lakehouse", verbose=False, **options,
    )
