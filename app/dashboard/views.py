"""One Viewer per dashboard tab. Each depends on the `DashboardStore` and builds plain Panel
objects, so tests can instantiate them and look at what they contain without a browser.

Nothing here queries while a session is being created (that runs on the server's shared IO
loop): the overview loads after the page has connected, the other tabs when they are opened,
both on the server's thread pool (see server.py)."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import pandas as pd
import panel as pn
import param
import plotly.graph_objects as go
from panel.viewable import Viewer

from app.dashboard.store import AskOutcome, DashboardStore
from app.insights import plotly_theme
from app.nl2sql.offline import EXAMPLE_QUESTIONS
from biolake.errors import BiolakeError

ACCENT = plotly_theme.COLORS["readiness"]
# Bokeh's tab header in Panel's dark theme draws the selected label dark on dark: give every
# label the theme's colours (the rules apply inside the Tabs' shadow root)
TABS_CSS = f"""
.bk-header .bk-tab {{ color: {plotly_theme.MUTED}; }}
.bk-header .bk-tab:hover {{ color: {plotly_theme.TEXT}; }}
.bk-header .bk-tab.bk-active {{
  color: {plotly_theme.TEXT}; background-color: {plotly_theme.PANEL};
  border-color: {plotly_theme.GRID}; border-top: 2px solid {ACCENT}; font-weight: 600;
}}
"""


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def plotly_pane(figure: go.Figure, **kwargs: Any) -> pn.pane.Plotly:
    return pn.pane.Plotly(plotly_theme.themed(figure), sizing_mode="stretch_width",
                          config={"displaylogo": False}, **kwargs)


def table(frame: pd.DataFrame, name: str, **kwargs: Any) -> pn.widgets.Tabulator:
    # a widget's name is its `label` since Panel 1.9; a table never shows it (tests find by it)
    return pn.widgets.Tabulator(frame, disabled=True, pagination="local", page_size=15,
                                show_index=False, sizing_mode="stretch_width",
                                theme="midnight", label=name, **kwargs)


def chart_for(frame: pd.DataFrame, title: str = "") -> go.Figure | None:
    """A chart when the result's shape suits one: a label or date column and one or more
    numeric columns, with at least two rows. Dates give lines, labels give bars."""
    if len(frame) < 2 or frame.shape[1] < 2:
        return None
    numeric = [c for c in frame.columns[1:] if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if not numeric:
        return None
    x = frame.columns[0]
    as_dates = pd.to_datetime(frame[x], errors="coerce", format="ISO8601")
    figure = go.Figure()
    for column in numeric[:4]:
        if as_dates.notna().all():
            figure.add_trace(go.Scatter(x=as_dates, y=frame[column], name=str(column),
                                        mode="lines+markers"))
        else:
            figure.add_trace(go.Bar(x=frame[x].astype(str), y=frame[column], name=str(column)))
    return plotly_theme.themed(figure, title or None)


# -- Overview ---------------------------------------------------------------------------------
class OverviewView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)

    def _today(self) -> pn.viewable.Viewable:
        state = self.store.today_state()
        if state is None:
            return pn.pane.Alert("No day with data yet: run `biolake etl`.", alert_type="warning")
        return pn.Column(
            pn.Row(
                pn.indicators.Number(label="Readiness", value=state["readiness_score"] or 0,
                                     format="{value}", colors=[(60, "#ff7043"), (75, "#ffd54f"),
                                                               (101, "#81c784")]),
                pn.indicators.Number(label="Sleep", value=state["sleep_score"] or 0,
                                     format="{value}"),
                pn.pane.Markdown(f"### Energy: {state['energy_state']}\n{state['guidance']}\n\n"
                                 f"*{state['day']}*", name="energy"),
            ),
            pn.pane.Alert(f"**Workout:** {state['recommendation'] or 'no recommendation'} "
                          f"({state['recommended_intensity'] or '-'})", alert_type="info",
                          name="recommendation"),
        )

    def _kpis(self) -> pn.viewable.Viewable:
        cards = []
        for kpi in self.store.kpis():
            delta = "" if kpi.delta is None else f"{kpi.delta:+.1f} vs previous 30 days"
            cards.append(pn.pane.Markdown(
                f"**{kpi.name}**\n\n## {_fmt(kpi.value)}\n\n{delta}", name=kpi.name,
                styles={"background": plotly_theme.PANEL, "padding": "8px 12px",
                        "border-radius": "8px"}, width=190))
        return pn.Column("### Last 30 days", pn.FlexBox(*cards))

    def _freshness(self) -> pn.viewable.Viewable:
        sources = self.store.source_freshness()
        if not sources:
            return pn.pane.Alert("No data has been ingested yet.", alert_type="warning")
        frame = pd.DataFrame([{"source": s.source, "last ingested": s.last_ingested,
                               "objects": s.objects, "stale": s.stale} for s in sources])
        items: list[Any] = ["### Data freshness", table(frame, name="freshness")]
        stale = [s.source for s in sources if s.stale]
        if stale:
            items.insert(1, pn.pane.Alert(
                f"Stale: no new data from {', '.join(stale)} in more than 2 days.",
                alert_type="danger", name="stale-warning"))
        return pn.Column(*items)

    def content(self) -> pn.viewable.Viewable:
        try:
            return pn.Column(self._today(), self._kpis(), self._freshness(),
                             sizing_mode="stretch_width")
        except BiolakeError as exc:
            return pn.pane.Alert(f"The overview cannot be shown: {exc}", alert_type="danger")

    def __panel__(self) -> pn.viewable.Viewable:
        # deferred: the queries run once the page has connected, on the thread pool, and not
        # while the session is created on the IO loop every session shares
        return pn.panel(self.content, defer_load=True, loading_indicator=True,
                        sizing_mode="stretch_width")


# -- Ask --------------------------------------------------------------------------------------
def answer_view(outcome: AskOutcome) -> pn.Column:
    """One chat answer: the sentence, the translator, the SQL (collapsed), the table and a chart
    when the shape suits; or the error, plainly."""
    if outcome.error is not None:
        return pn.Column(pn.pane.Alert(outcome.error, alert_type="danger", name="error"))
    answer = outcome.answer
    parts: list[Any] = [
        pn.pane.Markdown(html.escape(answer.answer), name="sentence"),
        pn.pane.Markdown(f"*answered by the **{answer.translator}** translator on "
                         f"{answer.engine} in {answer.elapsed_ms} ms*", name="translator"),
        pn.Card(pn.pane.Markdown(f"```sql\n{answer.sql}\n```"), title="SQL", collapsed=True,
                name="sql", sizing_mode="stretch_width"),
        table(outcome.frame, name="result"),
    ]
    figure = chart_for(outcome.frame)
    if figure is not None:
        parts.append(plotly_pane(figure, name="chart", height=320))
    return pn.Column(*parts, sizing_mode="stretch_width")


class AskView(Viewer):
    """A chat: questions and their answers, newest last. Built from plain widgets rather than
    `pn.chat` (whose icons load a web font from a CDN, which this dashboard must never need)."""

    store = param.ClassSelector(class_=DashboardStore)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.question = pn.widgets.TextInput(placeholder="Ask about your sleep, readiness, "
                                             "workouts...", sizing_mode="stretch_width")
        self.send = pn.widgets.Button(label="Ask", color="primary", width=90)
        self.feed = pn.Column(sizing_mode="stretch_width", name="chat")
        self.suggestions = [pn.widgets.Button(label=q, color="light") for q in EXAMPLE_QUESTIONS]
        for button in self.suggestions:
            button.on_click(self._suggest)
        self.send.on_click(self._submit)
        self.question.param.watch(self._submit, "enter_pressed")

    async def _suggest(self, event: Any) -> None:
        await self.ask(event.obj.label)

    async def _submit(self, _event: Any = None) -> None:
        text, self.question.value = self.question.value, ""
        if text.strip():
            await self.ask(text)

    async def ask(self, text: str) -> pn.Column:
        """Show the question, then its answer; the query runs in a thread, so other sessions
        keep being served meanwhile."""
        pending = pn.indicators.LoadingSpinner(value=True, size=24, label="Answering...")
        self.feed.extend([pn.pane.Markdown(f"**You:** {html.escape(text)}"), pending])
        outcome = await asyncio.to_thread(self.store.ask, text)
        reply = answer_view(outcome)
        self.feed.remove(pending)
        self.feed.append(reply)
        return reply

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column("Try:", pn.FlexBox(*self.suggestions), self.feed,
                         pn.Row(self.question, self.send), sizing_mode="stretch_width")


# -- Insights ---------------------------------------------------------------------------------
class InsightsView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)
    days = param.Selector(default=90, objects=[30, 60, 90, 180, 365], doc="Period, days")

    @param.depends("days")
    def _insights(self) -> pn.viewable.Viewable:
        try:
            period, insights = self.store.insights(int(self.days))
        except BiolakeError as exc:
            return pn.pane.Alert(f"Insights cannot be computed: {exc}", alert_type="danger")
        cards = [
            pn.Card(
                *[pn.pane.Markdown(html.escape(line)) for line in i.narrative],
                plotly_pane(i.analyzer.visualize(i.result), height=380,
                            name=f"chart-{i.analyzer.name}"),
                title=i.result.title, name=i.analyzer.name, sizing_mode="stretch_width",
            )
            for i in insights
        ]
        return pn.Column(pn.pane.Markdown(f"*{period} ({period.days} days)*"), *cards,
                         sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        selector = pn.widgets.RadioButtonGroup.from_param(self.param.days, label="Period (days)")
        return pn.Column(selector, pn.panel(self._insights, loading_indicator=True),
                         sizing_mode="stretch_width")


# -- Reports ----------------------------------------------------------------------------------
class ReportsView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)
    week = param.Selector(default=None, objects=[], doc="The weekly report shown")

    def load_weeks(self) -> None:
        """List the lake's reports (when the tab opens: a listing of S3 can be slow)."""
        weeks = self.store.reports()
        self.param.week.objects = weeks
        self.week = weeks[0] if weeks else None

    @param.depends("week")
    def _report(self) -> pn.viewable.Viewable:
        if self.week is None:
            return pn.pane.Alert("No weekly report yet: run `biolake report`.", alert_type="info")
        document = self.store.report_html(self.week)
        # the report is self-contained; a sandboxed iframe keeps its styles to itself
        return pn.pane.HTML(
            f'<iframe sandbox="" style="width:100%;height:900px;border:0" '
            f'srcdoc="{html.escape(document, quote=True)}"></iframe>',
            sizing_mode="stretch_width", name="report")

    def __panel__(self) -> pn.viewable.Viewable:
        self.load_weeks()
        return pn.Column(pn.widgets.Select.from_param(self.param.week, label="Week"),
                         self._report, sizing_mode="stretch_width")


# -- Data -------------------------------------------------------------------------------------
class DataView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)

    def __panel__(self) -> pn.viewable.Viewable:
        log = self.store.ingestion_log()
        quarantine = self.store.quarantine()
        columns = [c for c in ("finished_at", "source", "dataset", "original_name", "status",
                               "record_count", "error_count", "error") if c in log.columns]
        return pn.Column(
            "### Ingestion log", table(log.loc[:, columns], name="ingestion-log"),
            f"### Quarantine ({len(quarantine)} records)",
            table(quarantine, name="quarantine") if len(quarantine)
            else pn.pane.Markdown("Nothing quarantined.", name="quarantine"),
            "### Tables", table(self.store.table_freshness(), name="tables"),
            sizing_mode="stretch_width",
        )


def build_app(store: DashboardStore) -> pn.Column:
    """The page: a header and the five tabs, dark. A plain layout rather than a Panel template:
    the templates load web fonts from Google, which a machine without internet (and a privacy
    minded user) should never need."""
    tabs = pn.Tabs(
        ("Overview", OverviewView(store=store)),
        ("Ask", AskView(store=store)),
        ("Insights", InsightsView(store=store)),
        ("Reports", ReportsView(store=store)),
        ("Data", DataView(store=store)),
        dynamic=True, sizing_mode="stretch_width", name="tabs", stylesheets=[TABS_CSS],
    )
    header = pn.pane.Markdown(f"## Bio-Lakehouse · {html.escape(store.person_id)}",
                              styles={"color": ACCENT}, name="header")
    return pn.Column(
        header, tabs, sizing_mode="stretch_width", name="app",
        styles={"background": plotly_theme.BACKGROUND, "color": plotly_theme.TEXT,
                "font-family": plotly_theme.FONT, "padding": "8px 24px", "min-height": "100vh"},
    )
