"""The Workouts tab: every workout from silver `workouts`, filtered, charted and paged."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn
import param
import plotly.graph_objects as go
from panel.viewable import Viewer
from plotly.subplots import make_subplots

from app.dashboard.store import (
    WORKOUT_PERIODS,
    DashboardStore,
    WorkoutFilter,
    personal_bests,
)
from app.dashboard.views.components import (
    card,
    chart_figure,
    html_table,
    plotly_pane,
    table,
)
from app.insights import plotly_theme
from biolake.errors import BiolakeError

ANY = "All"
WORKOUT_COLUMNS = ["day", "discipline", "title", "instructor", "duration_min", "output_kj",
                   "avg_watts", "avg_cadence_rpm", "avg_hr", "calories_kcal", "source"]


def discipline_totals(workouts: pd.DataFrame) -> pd.DataFrame:
    """Per discipline: workouts (in all and from each source), minutes and output, the most
    frequent first."""
    if workouts.empty:
        return pd.DataFrame(columns=["discipline", "workouts", "minutes", "output_kj"])
    totals = (workouts.groupby("discipline")
              .agg(workouts=("workout_id", "size"), minutes=("duration_min", "sum"),
                   output_kj=("output_kj", "sum")))
    per_source = pd.crosstab(workouts["discipline"], workouts["source"])
    totals = totals.join(per_source).fillna(0).reset_index()
    columns = ["discipline", "workouts", *sorted(per_source.columns), "minutes", "output_kj"]
    totals = totals.loc[:, columns].astype({c: int for c in per_source.columns})
    return (totals.sort_values(["workouts", "discipline"], ascending=[False, True])
            .reset_index(drop=True))


def listing(workouts: pd.DataFrame) -> pd.DataFrame:
    """The workouts table's columns, days as dates."""
    return workouts.loc[:, WORKOUT_COLUMNS].assign(day=workouts["day"].dt.date)


def workout_figures(workouts: pd.DataFrame, after: pd.DataFrame) -> dict[str, go.Figure]:
    """Output, duration and heart rate of every workout over time (one colour per
    discipline), and the mean readiness on the day after each workout type."""
    colors = plotly_theme.COLORWAY
    over_time = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                              subplot_titles=("Output (kJ)", "Duration (min)", "Avg heart rate"))
    for i, (discipline, group) in enumerate(workouts.groupby("discipline")):
        color = plotly_theme.COLORS.get(discipline, colors[i % len(colors)])
        text = group["title"].fillna("") + " · " + group["instructor"].fillna("")
        for row, column in enumerate(("output_kj", "duration_min", "avg_hr"), start=1):
            over_time.add_trace(go.Scatter(
                x=group["day"], y=group[column], mode="markers", name=str(discipline),
                legendgroup=str(discipline), showlegend=row == 1, text=text,
                marker={"color": color, "size": 6, "opacity": 0.8},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.0f}<br>%{text}<extra></extra>"),
                row=row, col=1)
    over_time.update_annotations(font={"color": plotly_theme.MUTED, "size": 13})
    plotly_theme.themed(over_time, "Workouts over time")
    over_time.update_layout(margin={"t": 80})

    readiness = go.Figure(go.Bar(
        x=after["after"], y=after["next_day_readiness"], text=after["days"],
        texttemplate="%{y:.0f}", hovertemplate="after %{x}: %{y:.1f} (%{text} days)<extra></extra>",
        marker_color=[plotly_theme.COLORS["rest"] if a == "rest day"
                      else plotly_theme.COLORS["readiness"] for a in after["after"]]))
    readiness.update_yaxes(title_text="next-day readiness")
    plotly_theme.themed(readiness, "Readiness the day after")
    return {"workouts-over-time": over_time, "next-day-readiness": readiness}


def best_line(bests: pd.DataFrame, discipline: str, minutes: int) -> pn.pane.HTML | None:
    """"Best 30-minute ride: 412 kJ (2025-02-03, title)" with the figure in data-output-kj."""
    row = bests[(bests["discipline"] == discipline) & (bests["length_min"] == minutes)]
    if row.empty:
        return None
    best = row.iloc[0]
    kind = "ride" if discipline == "cycling" else discipline.replace("_", " ")
    return pn.pane.HTML(
        f'<span class="best" data-output-kj="{best.output_kj}">Best {minutes}-minute {kind}: '
        f"<b>{best.output_kj:.0f} kJ</b> ({best.day.date()}, {html.escape(str(best.title))}"
        f"{', ' + html.escape(str(best.instructor)) if pd.notna(best.instructor) else ''})"
        f"</span>", name=f"best-{discipline}-{minutes}", sizing_mode="stretch_width")


class WorkoutsView(Viewer):
    """Every workout of silver `workouts`, by period, discipline and instructor.

    The page is built once; a new choice updates its panes in place (tables' HTML, the charts'
    figures, the paged table's rows) rather than replacing them: a replaced Plotly chart can be
    purged while a resize is pending (the browser's '_guiEditing' error), and a kept one keeps
    its laid-out size."""

    store = param.ClassSelector(class_=DashboardStore)
    period = param.Selector(default="All", objects=list(WORKOUT_PERIODS), doc="Period")
    discipline = param.Selector(default=ANY, objects=[ANY], doc="Discipline")
    instructor = param.Selector(default=ANY, objects=[ANY], doc="Instructor")

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self._message = pn.pane.Alert("", alert_type="info", name="no-workouts", visible=False,
                                      sizing_mode="stretch_width")
        self._totals = html_table(pd.DataFrame(columns=["discipline"]), name="totals")
        self._totals_card = card("Workouts", self._totals, name="workout-totals")
        self._over_time = plotly_pane(go.Figure(), height=620, name="workouts-over-time")
        self._highlights = pn.Column(sizing_mode="stretch_width", margin=0)
        self._bests = html_table(pd.DataFrame(columns=["discipline"]), name="bests")
        self._next_day = plotly_pane(go.Figure(), height=320, name="next-day-readiness")
        self._rows: pn.widgets.Tabulator | None = None
        self._rows_card = card("Every workout", name="all-workouts")
        self._body = pn.Column(
            self._totals_card,
            card("Over time", self._over_time, name="over-time"),
            card("Personal bests · per discipline and length", self._highlights, self._bests,
                 name="personal-bests"),
            card("Next-day readiness", self._next_day, name="next-day"),
            self._rows_card,
            sizing_mode="stretch_width",
        )
        self._layout = pn.Column(self._message, self._body, sizing_mode="stretch_width")

    def load_choices(self) -> None:
        """The person's disciplines and instructors (when the tab opens)."""
        disciplines, instructors = self.store.workout_choices()
        self.param.discipline.objects = [ANY, *disciplines]
        self.param.instructor.objects = [ANY, *instructors]

    def chosen(self) -> WorkoutFilter:
        return WorkoutFilter(WORKOUT_PERIODS[self.period],
                             None if self.discipline == ANY else self.discipline,
                             None if self.instructor == ANY else self.instructor)

    def _show_message(self, text: str, alert_type: str) -> None:
        self._message.object, self._message.alert_type = text, alert_type
        self._message.visible, self._body.visible = True, False

    @param.depends("period", "discipline", "instructor", watch=True)
    def refresh(self) -> None:
        """Read the chosen workouts and update every pane in place."""
        self._layout.loading = True
        try:
            self._refresh()
        finally:
            self._layout.loading = False

    def _refresh(self) -> None:
        chosen = self.chosen()
        try:
            workouts = self.store.workouts(chosen)
            after = self.store.next_day_readiness(workouts, chosen.days)
        except BiolakeError as exc:
            self._show_message(f"The workouts cannot be shown: {exc}", "danger")
            return
        if workouts.empty:
            self._show_message("No workout matches these choices.", "info")
            return
        bests = personal_bests(workouts)
        figures = workout_figures(workouts, after)
        first, last = workouts["day"].min().date(), workouts["day"].max().date()
        self._totals_card[0].object = f"#### {len(workouts)} workouts · {first} to {last}"
        self._totals.object = html_table(discipline_totals(workouts), name="totals").object
        self._over_time.object = chart_figure(figures["workouts-over-time"], 620)
        self._highlights.objects = [line for line in (best_line(bests, "cycling", 20),
                                                      best_line(bests, "cycling", 30))
                                    if line is not None]
        self._bests.object = html_table(bests, name="bests").object
        self._next_day.object = chart_figure(figures["next-day-readiness"], 320)
        rows = listing(workouts)
        if self._rows is None:
            self._rows = table(rows, name="workouts", pagination="remote", page_size=20)
            self._rows_card.append(self._rows)
        else:
            self._rows.value = rows
        self._message.visible, self._body.visible = False, True

    def content(self) -> pn.viewable.Viewable:
        """The tab's page for the current choices (built once, refreshed in place)."""
        self.refresh()
        return self._layout

    def __panel__(self) -> pn.viewable.Viewable:
        try:
            self.load_choices()
        except BiolakeError as exc:
            return pn.pane.Alert(f"The workouts cannot be shown: {exc}", alert_type="danger")
        filters = pn.FlexBox(
            pn.widgets.Select.from_param(self.param.period, label="Period", width=160),
            pn.widgets.Select.from_param(self.param.discipline, label="Discipline", width=160),
            pn.widgets.Select.from_param(self.param.instructor, label="Instructor", width=160),
            sizing_mode="stretch_width")
        return pn.Column(filters, self.content(), sizing_mode="stretch_width")
