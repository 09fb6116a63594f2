"""One Viewer per dashboard tab (a module each: overview, workouts, ask, and tabs for insights,
reports and data; components holds the cards, tables and CSS they share). Each depends on the
`DashboardStore` and builds plain Panel objects, so tests can instantiate them and look at what
they contain without a browser.

Nothing here queries while a session is being created (that runs on the server's shared IO
loop): the overview loads after the page has connected, the other tabs when they are opened,
both on the server's thread pool (see server.py)."""

from __future__ import annotations

import html

import panel as pn

from app.dashboard.store import DashboardStore
from app.dashboard.views.ask import AskView, answer_view, interpretation_of
from app.dashboard.views.components import ACCENT, APP_CSS, TABS_CSS, chart_for
from app.dashboard.views.overview import OverviewView, TrendPanel
from app.dashboard.views.tabs import DataView, InsightsView, ReportsView
from app.dashboard.views.workouts import WorkoutsView
from app.insights import plotly_theme

__all__ = [
    "AskView", "DataView", "InsightsView", "OverviewView", "ReportsView", "TrendPanel",
    "WorkoutsView", "answer_view", "build_app", "chart_for", "interpretation_of",
]


def build_app(store: DashboardStore) -> pn.Column:
    """The page: a header and the six tabs, dark. A plain layout rather than a Panel template:
    the templates load web fonts from Google, which a machine without internet (and a privacy
    minded user) should never need."""
    tabs = pn.Tabs(
        ("Overview", OverviewView(store=store)),
        ("Workouts", WorkoutsView(store=store)),
        ("Ask", AskView(store=store)),
        ("Insights", InsightsView(store=store)),
        ("Reports", ReportsView(store=store)),
        ("Data", DataView(store=store)),
        dynamic=True, sizing_mode="stretch_width", name="tabs", stylesheets=[TABS_CSS],
    )
    header = pn.pane.Markdown(f"## Bio-Lakehouse · {html.escape(store.person_id)}",
                              styles={"color": ACCENT}, name="header")
    return pn.Column(
        header, tabs, sizing_mode="stretch_width", name="app", stylesheets=[APP_CSS],
        styles={"background": plotly_theme.BACKGROUND, "color": plotly_theme.TEXT,
                "font-family": plotly_theme.FONT, "min-height": "100vh"},
    )
