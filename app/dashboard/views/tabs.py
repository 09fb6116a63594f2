"""The Insights, Reports and Data tabs."""

from __future__ import annotations

import html
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from app.dashboard.store import (
    DashboardStore,
)
from app.dashboard.views.components import (
    card,
    plotly_pane,
    table,
)
from biolake.errors import BiolakeError


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
                css_classes=["bl-card"],
            )
            for i in insights
        ]
        return pn.Column(pn.pane.Markdown(f"*{period} ({period.days} days)*"), *cards,
                         sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        selector = pn.widgets.RadioButtonGroup.from_param(self.param.days, label="Period (days)",
                                                          color="primary", variant="outline")
        return pn.Column(selector, pn.panel(self._insights, loading_indicator=True),
                         sizing_mode="stretch_width")


# -- Reports ----------------------------------------------------------------------------------
class ReportsView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)
    week = param.Selector(default=None, objects=[], doc="The weekly report shown")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.weeks: list[str] = []

    def load_weeks(self) -> None:
        """List the lake's reports (when the tab opens: a listing of S3 can be slow)."""
        weeks = self.weeks = self.store.reports()
        self.param.week.objects = list(weeks)  # param adds None to the list it is given
        self.week = weeks[0] if weeks else None

    @param.depends("week")
    def _report(self) -> pn.viewable.Viewable:
        if self.week is None:
            return pn.pane.Alert("No weekly report yet: run `biolake report`.", alert_type="info",
                                 name="no-report")
        document = self.store.report_html(self.week)
        # the report is self-contained; a sandboxed iframe keeps its styles to itself
        return pn.pane.HTML(
            f'<iframe sandbox="" style="width:100%;height:900px;border:0" '
            f'srcdoc="{html.escape(document, quote=True)}"></iframe>',
            sizing_mode="stretch_width", name="report")

    def __panel__(self) -> pn.viewable.Viewable:
        self.load_weeks()
        weeks = self.weeks
        listing = pn.pane.Markdown(
            (f"{len(weeks)} stored week{'s' if len(weeks) != 1 else ''}, newest first: "
             + ", ".join(weeks)) if weeks else "", name="weeks", sizing_mode="stretch_width")
        return pn.Column(pn.FlexBox(pn.widgets.Select.from_param(self.param.week, label="Week",
                                                                 width=180), listing,
                                    sizing_mode="stretch_width"),
                         pn.panel(self._report, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")


# -- Data -------------------------------------------------------------------------------------
class DataView(Viewer):
    store = param.ClassSelector(class_=DashboardStore)

    def __panel__(self) -> pn.viewable.Viewable:
        log = self.store.ingestion_log()
        quarantine = self.store.quarantine()
        columns = [c for c in ("finished_at", "source", "dataset", "original_name", "status",
                               "record_count", "error_count", "error") if c in log.columns]
        return pn.Column(
            card("Ingestion log", table(log.loc[:, columns], name="ingestion-log"),
                 name="ingestion"),
            card(f"Quarantine ({len(quarantine)} records)",
                 table(quarantine, name="quarantine") if len(quarantine)
                 else pn.pane.Markdown("Nothing quarantined.", name="quarantine"),
                 name="quarantined"),
            card("Tables", table(self.store.table_freshness(), name="tables"), name="lake-tables"),
            sizing_mode="stretch_width",
        )
