"""The Overview tab: today's state, 30-day KPIs, the trend panel and data freshness."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
import plotly.graph_objects as go
from panel.viewable import Viewer
from plotly.subplots import make_subplots

from app.dashboard.store import (
    TREND_DAYS,
    DashboardStore,
    Trend,
)
from app.dashboard.views.components import (
    _fmt,
    card,
    chart_figure,
    html_table,
    plotly_pane,
)
from app.insights import plotly_theme
from biolake.errors import BiolakeError


def _line(frame: pd.DataFrame, column: str, name: str, color: str) -> go.Scatter:
    return go.Scatter(x=frame["day"], y=frame[column], name=name, mode="lines",
                      line={"color": color, "width": 2}, connectgaps=True)


def _anomaly_marks(trend: Trend, measure: str, column: str) -> go.Scatter | None:
    """The anomaly analysis' low days of `measure`, marked on the 7-day mean's line."""
    low = trend.anomalies[trend.anomalies["low"].str.contains(measure)]
    if low.empty:
        return None
    on_line = trend.daily.set_index("day")[column].reindex(low["day"])
    return go.Scatter(x=low["day"], y=on_line.to_numpy(), mode="markers",
                      name=f"low {measure} day", text=low["low"],
                      hovertemplate="%{x|%b %d}: low %{text}<extra></extra>",
                      marker={"color": plotly_theme.COLORS["anomaly"], "size": 9,
                              "symbol": "x"})


def trend_figures(trend: Trend) -> dict[str, go.Figure]:
    """The trend panel's three charts: readiness and sleep, HRV and resting heart rate (the
    7-day means, with the anomaly analysis' low days marked), and the training load."""
    daily, colors = trend.daily, plotly_theme.COLORS
    scores = go.Figure([_line(daily, "readiness_score_7d", "Readiness", colors["readiness"]),
                        _line(daily, "sleep_score_7d", "Sleep score", colors["sleep"])])
    marks = _anomaly_marks(trend, "readiness", "readiness_score_7d")
    if marks is not None:
        scores.add_trace(marks)
    plotly_theme.themed(scores, "Readiness and sleep · 7-day means")

    body = make_subplots(specs=[[{"secondary_y": True}]])
    body.add_trace(_line(daily, "hrv_avg_7d", "HRV (ms)", colors["hrv"]), secondary_y=False)
    body.add_trace(_line(daily, "resting_hr_7d", "Resting HR (bpm)", colors["high"]),
                   secondary_y=True)
    marks = _anomaly_marks(trend, "hrv", "hrv_avg_7d")
    if marks is not None:
        body.add_trace(marks, secondary_y=False)
    body.update_yaxes(title_text="HRV (ms)", secondary_y=False)
    body.update_yaxes(title_text="Resting HR", secondary_y=True, showgrid=False)
    plotly_theme.themed(body, "HRV and resting heart rate · 7-day means")

    load = make_subplots(specs=[[{"secondary_y": True}]])
    load.add_trace(go.Bar(x=trend.weekly["week"], y=trend.weekly["output_kj"],
                          name="Weekly output (kJ)", marker_color=colors["output"],
                          opacity=0.55, xperiod=7 * 86_400_000, xperiodalignment="start"),
                   secondary_y=False)
    load.add_trace(_line(daily, "total_output_kj_7d", "Daily output, 7-day mean (kJ)",
                         colors["mean_14d"]), secondary_y=True)
    load.update_yaxes(title_text="kJ per week", secondary_y=False)
    load.update_yaxes(title_text="kJ per day", secondary_y=True, showgrid=False)
    plotly_theme.themed(load, "Training load · weekly output")
    return {"trend-scores": scores, "trend-body": body, "trend-load": load}


class TrendPanel(Viewer):
    """Readiness, sleep, HRV, resting HR and output as 7-day means over 30, 90 or 365 days.

    A new period updates the charts in place (each pane's figure) rather than replacing them:
    a replaced Plotly chart is purged in the browser while a resize of it may still be pending,
    which then fails there ("Cannot read properties of undefined (reading '_guiEditing')")."""

    store = param.ClassSelector(class_=DashboardStore)
    days = param.Selector(default=90, objects=list(TREND_DAYS), doc="Trend period, days")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._body = pn.Column(sizing_mode="stretch_width")
        self._panes: dict[str, pn.pane.Plotly] = {}
        self._note = pn.pane.Markdown("", name="trend-note", margin=(0, 5))
        self._show()

    @param.depends("days", watch=True)
    def _show(self) -> None:
        try:
            trend = self.store.trend(int(self.days))
        except BiolakeError as exc:
            self._panes = {}
            self._body.objects = [pn.pane.Alert(f"The trends cannot be shown: {exc}",
                                                alert_type="danger")]
            return
        figures = trend_figures(trend)
        flagged = len(trend.anomalies)
        self._note.object = (
            f"*Last {trend.period.days} days ({trend.period}) · {flagged} low "
            f"day{'s' if flagged != 1 else ''} flagged by the anomaly analysis (✕)*")
        if list(figures) == list(self._panes):
            for name, figure in figures.items():
                self._panes[name].object = chart_figure(figure, height=300)
            return
        self._panes = {name: plotly_pane(figure, height=300, name=name)
                       for name, figure in figures.items()}
        self._body.objects = [self._note, *self._panes.values()]

    def charts(self) -> pn.Column:
        """The note and the charts of the current period."""
        return self._body

    def __panel__(self) -> pn.viewable.Viewable:
        selector = pn.widgets.RadioButtonGroup.from_param(
            self.param.days, label="Trend period (days)",
            options={f"{d} days": d for d in TREND_DAYS}, color="primary", variant="outline")
        return card("Trends", selector, self._body, name="trends")


class OverviewView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)

    def _today(self) -> pn.viewable.Viewable:
        state = self.store.today_state()
        if state is None:
            return pn.pane.Alert("No day with data yet: run `biolake etl`.", alert_type="warning")
        return card(
            f"Today · {state['day']}",
            pn.FlexBox(
                pn.indicators.Number(label="Readiness", value=state["readiness_score"] or 0,
                                     format="{value}", colors=[(60, "#ff7043"), (75, "#ffd54f"),
                                                               (101, "#81c784")],
                                     font_size="40pt", title_size="14pt"),
                pn.indicators.Number(label="Sleep", value=state["sleep_score"] or 0,
                                     format="{value}", font_size="40pt", title_size="14pt"),
                pn.pane.Markdown(f"### Energy: {state['energy_state']}\n{state['guidance']}",
                                 name="energy", min_width=200, sizing_mode="stretch_width"),
                flex_wrap="wrap", sizing_mode="stretch_width",
            ),
            pn.pane.Alert(f"**Workout:** {state['recommendation'] or 'no recommendation'} "
                          f"({state['recommended_intensity'] or '-'})", alert_type="info",
                          name="recommendation", sizing_mode="stretch_width"),
            name="today",
        )

    def _kpis(self) -> pn.viewable.Viewable:
        cards = []
        for kpi in self.store.kpis():
            delta = "" if kpi.delta is None else f"{kpi.delta:+.1f} vs previous 30 days"
            cards.append(pn.pane.Markdown(
                f"**{kpi.name}**\n\n## {_fmt(kpi.value)}\n\n{delta}", name=kpi.name,
                styles={"background": plotly_theme.BACKGROUND, "padding": "4px 10px",
                        "border-radius": "8px"}, width=150, margin=(4, 4)))
        return card("Last 30 days", pn.FlexBox(*cards, sizing_mode="stretch_width"), name="kpis")

    def _freshness(self) -> pn.viewable.Viewable:
        sources = self.store.source_freshness()
        if not sources:
            return pn.pane.Alert("No data has been ingested yet.", alert_type="warning")
        frame = pd.DataFrame([{"source": s.source, "last ingested": s.last_ingested,
                               "objects": s.objects, "stale": s.stale} for s in sources])
        items: list[Any] = [html_table(frame, name="freshness")]
        stale = [s.source for s in sources if s.stale]
        if stale:
            items.insert(0, pn.pane.Alert(
                f"Stale: no new data from {', '.join(stale)} in more than 2 days.",
                alert_type="danger", name="stale-warning", sizing_mode="stretch_width"))
        return card("Data freshness", *items, name="data-freshness")

    def content(self) -> pn.viewable.Viewable:
        try:
            return pn.Column(self._today(), self._kpis(), TrendPanel(store=self.store),
                             self._freshness(), sizing_mode="stretch_width")
        except BiolakeError as exc:
            return pn.pane.Alert(f"The overview cannot be shown: {exc}", alert_type="danger")

    def __panel__(self) -> pn.viewable.Viewable:
        # deferred: the queries run once the page has connected, on the thread pool, and not
        # while the session is created on the IO loop every session shares
        return pn.panel(self.content, defer_load=True, loading_indicator=True,
                        sizing_mode="stretch_width")
