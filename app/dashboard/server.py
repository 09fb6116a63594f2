"""`biolake serve`: the dashboard on a Panel (Bokeh/Tornado) server, with basic auth when a
password is set (and always when binding beyond loopback) and an unauthenticated `/healthz` for
probes that says only whether the lake can be read."""

from __future__ import annotations

import ipaddress
import json
import secrets
from typing import Any

import panel as pn
from tornado.web import RequestHandler

from app.dashboard.store import DashboardStore
from app.dashboard.views import build_app
from biolake.errors import ConfigError
from biolake.lake import Lake
from biolake.settings import BiolakeSettings

HEALTH_PATH = "/healthz"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_options(settings: BiolakeSettings, host: str) -> dict[str, Any]:
    """pn.serve's auth arguments: basic auth when a password is set; refused without one when
    the server would be reachable from other machines."""
    if settings.dashboard_password is None:
        if not is_loopback(host):
            raise ConfigError(
                f"the dashboard would bind {host}, beyond this machine, without authentication: "
                f"set BIOLAKE_DASHBOARD_PASSWORD (and BIOLAKE_DASHBOARD_USER)"
            )
        return {}
    secret = settings.dashboard_cookie_secret
    return {
        "basic_auth": {settings.dashboard_user: settings.dashboard_password.get_secret_value()},
        "cookie_secret": secret.get_secret_value() if secret else secrets.token_urlsafe(32),
        "oauth_guest_endpoints": [HEALTH_PATH],
    }


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
                threaded: bool = False, show: bool = False) -> Any:
    """The server (started when `threaded`, else ready for `.start()` / `io_loop.start()`)."""
    options = auth_options(settings, host)

    def session() -> pn.viewable.Viewable:
        # the JS of the panes on tabs rendered later (dynamic tabs) must be in the first page
        pn.extension("plotly", "tabulator")
        pn.config.theme = "dark"  # per session on a server: widgets and tables in dark
        return build_app(DashboardStore(settings, lake))

    return pn.serve(
        {"/": session}, address=host, port=port, show=show, start=threaded, threaded=threaded,
        # loopback: only pages served here may open the websocket; elsewhere auth guards it
        websocket_origin=([f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")]
                          if is_loopback(host) else "*"),
        extra_patterns=[(HEALTH_PATH, HealthHandler, {"lake": lake})],
        title="Bio-Lakehouse", verbose=False, **options,
    )
