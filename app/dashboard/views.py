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
from plotly.subplots import make_subplots

from app.dashboard.store import (
    TREND_DAYS,
    WORKOUT_PERIODS,
    AskOutcome,
    DashboardStore,
    Trend,
    WorkoutFilter,
    personal_bests,
)
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
.bk-header {{ flex-wrap: wrap; }}
.bk-header .bk-headers-wrapper, .bk-header .bk-headers {{ flex-wrap: wrap; }}
@media (max-width: 600px) {{ .bk-header .bk-tab {{ padding: 4px 8px; }} }}
"""
# the page: no horizontal scroll at any width (narrow screens get narrower margins)
APP_CSS = """
:host { padding: 8px 24px; box-sizing: border-box; max-width: 100%; overflow-x: hidden; }
@media (max-width: 600px) { :host { padding: 4px 6px; } }
"""
# a card: the theme's panel colour; what is wider than the card scrolls inside it
CARD_CSS = f"""
:host {{ background: {plotly_theme.PANEL}; border-radius: 8px; padding: 8px 12px;
        box-sizing: border-box; max-width: 100%; }}
@media (max-width: 600px) {{ :host {{ padding: 6px 6px; }} }}
"""
TABLE_CSS = f"""
.scroll {{ overflow-x: auto; max-width: 100%; }}
table {{ border-collapse: collapse; font-size: 14px; color: {plotly_theme.TEXT}; }}
th, td {{ padding: 4px 10px; border-bottom: 1px solid {plotly_theme.GRID}; text-align: left;
          white-space: nowrap; }}
th {{ color: {plotly_theme.MUTED}; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
"""


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def plotly_pane(figure: go.Figure, **kwargs: Any) -> pn.pane.Plotly:
    """A chart as wide as its card at any window size: Plotly's autosize with the responsive
    config follows the container, and Panel lays it out again whenever it is shown (a chart
    of a tab rendered while hidden would otherwise keep Plotly's default 700 px)."""
    figure = plotly_theme.themed(figure)
    figure.update_layout(autosize=True, width=None)
    if "height" in kwargs:
        figure.update_layout(height=kwargs["height"])
    return pn.pane.Plotly(figure, sizing_mode="stretch_width",
                          config={"displaylogo": False, "responsive": True}, **kwargs)


def card(title: str, *objects: Any, name: str | None = None) -> pn.Column:
    """A titled block of the page, as wide as the page allows; narrow screens stack them."""
    header = pn.pane.Markdown(f"#### {html.escape(title)}", margin=(0, 5))
    return pn.Column(header, *objects, name=name or title, sizing_mode="stretch_width",
                     css_classes=["bl-card"], stylesheets=[CARD_CSS], margin=(6, 0))


def table(frame: pd.DataFrame, name: str, **kwargs: Any) -> pn.widgets.Tabulator:
    # a widget's name is its `label` since Panel 1.9; a table never shows it (tests find by it)
    options = {"pagination": "local", "page_size": 15, **kwargs}
    return pn.widgets.Tabulator(frame, disabled=True, show_index=False,
                                sizing_mode="stretch_width", theme="midnight", label=name,
                                **options)


def html_table(frame: pd.DataFrame, name: str, key: str | None = None) -> pn.pane.HTML:
    """A small table as plain HTML that scrolls sideways inside its card on a narrow screen;
    each row carries `data-<key>` (the first column's value) and each cell `data-column`."""
    key = key or str(frame.columns[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = _fmt(float(value), 1) if isinstance(value, float) else _fmt(value)
            if isinstance(value, pd.Timestamp):
                text = (value.date().isoformat() if value == value.normalize()
                        else value.strftime("%Y-%m-%d %H:%M"))
            cells.append(f'<td data-column="{html.escape(str(column), quote=True)}"'
                         f'{" class=num" if numeric else ""}>{html.escape(text)}</td>')
        body.append(f'<tr data-{key.replace("_", "-")}="{html.escape(str(row[key]), quote=True)}">'
                    f'{"".join(cells)}</tr>')
    return pn.pane.HTML(f'<div class="scroll"><table data-table="{html.escape(name, quote=True)}">'
                        f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
                        f"</div>", name=name, stylesheets=[TABLE_CSS],
                        sizing_mode="stretch_width")


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
    """Readiness, sleep, HRV, resting HR and output as 7-day means over 30, 90 or 365 days."""

    store = param.ClassSelector(class_=DashboardStore)
    days = param.Selector(default=90, objects=list(TREND_DAYS), doc="Trend period, days")

    @param.depends("days")
    def charts(self) -> pn.viewable.Viewable:
        try:
            trend = self.store.trend(int(self.days))
        except BiolakeError as exc:
            return pn.pane.Alert(f"The trends cannot be shown: {exc}", alert_type="danger")
        panes = [plotly_pane(figure, height=300, name=name)
                 for name, figure in trend_figures(trend).items()]
        flagged = len(trend.anomalies)
        note = pn.pane.Markdown(
            f"*Last {trend.period.days} days ({trend.period}) · {flagged} low day{'s' if flagged != 1 else ''} flagged by the "
            f"anomaly analysis (✕)*", name="trend-note", margin=(0, 5))
        return pn.Column(note, *panes, sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        selector = pn.widgets.RadioButtonGroup.from_param(
            self.param.days, label="Trend period (days)",
            options={f"{d} days": d for d in TREND_DAYS}, color="primary", variant="outline")
        return card("Trends", selector, pn.panel(self.charts, loading_indicator=True,
                                                 sizing_mode="stretch_width"), name="trends")


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


# -- Workouts ---------------------------------------------------------------------------------
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
    """Every workout of silver `workouts`, by period, discipline and instructor."""

    store = param.ClassSelector(class_=DashboardStore)
    period = param.Selector(default="All", objects=list(WORKOUT_PERIODS), doc="Period")
    discipline = param.Selector(default=ANY, objects=[ANY], doc="Discipline")
    instructor = param.Selector(default=ANY, objects=[ANY], doc="Instructor")

    def load_choices(self) -> None:
        """The person's disciplines and instructors (when the tab opens)."""
        disciplines, instructors = self.store.workout_choices()
        self.param.discipline.objects = [ANY, *disciplines]
        self.param.instructor.objects = [ANY, *instructors]

    def chosen(self) -> WorkoutFilter:
        return WorkoutFilter(WORKOUT_PERIODS[self.period],
                             None if self.discipline == ANY else self.discipline,
                             None if self.instructor == ANY else self.instructor)

    @param.depends("period", "discipline", "instructor")
    def content(self) -> pn.viewable.Viewable:
        chosen = self.chosen()
        try:
            workouts = self.store.workouts(chosen)
            after = self.store.next_day_readiness(workouts, chosen.days)
        except BiolakeError as exc:
            return pn.pane.Alert(f"The workouts cannot be shown: {exc}", alert_type="danger")
        if workouts.empty:
            return pn.pane.Alert("No workout matches these choices.", alert_type="info",
                                 name="no-workouts")
        totals = discipline_totals(workouts)
        bests = personal_bests(workouts)
        figures = workout_figures(workouts, after)
        highlights = [line for line in (best_line(bests, "cycling", 20),
                                        best_line(bests, "cycling", 30)) if line is not None]
        first, last = workouts["day"].min().date(), workouts["day"].max().date()
        return pn.Column(
            card(f"{len(workouts)} workouts · {first} to {last}",
                 html_table(totals, name="totals"), name="workout-totals"),
            card("Over time", plotly_pane(figures["workouts-over-time"], height=620,
                                          name="workouts-over-time"), name="over-time"),
            card("Personal bests · per discipline and length", *highlights,
                 html_table(bests, name="bests"), name="personal-bests"),
            card("Next-day readiness", plotly_pane(figures["next-day-readiness"], height=320,
                                                   name="next-day-readiness"),
                 name="next-day"),
            card("Every workout", table(listing(workouts), name="workouts",
                                        pagination="remote", page_size=20),
                 name="all-workouts"),
            sizing_mode="stretch_width",
        )

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
        return pn.Column(filters, pn.panel(self.content, loading_indicator=True,
                                           sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")


# -- Ask --------------------------------------------------------------------------------------
# a button that puts the answer's SQL on the clipboard (no server round trip); the fallback
# copies through a hidden text area where the Clipboard API is not offered
COPY_JS = """
const done = () => { button.label = 'Copied'; setTimeout(() => { button.label = 'Copy SQL'; }, 1500); };
const fallback = () => {
  const area = document.createElement('textarea');
  area.value = sql; area.style.position = 'fixed'; area.style.opacity = '0';
  document.body.appendChild(area); area.select();
  try { document.execCommand('copy'); done(); } catch (e) { /* nothing to copy to */ }
  area.remove();
};
if (navigator.clipboard && window.isSecureContext) {
  navigator.clipboard.writeText(sql).then(done, fallback);
} else { fallback(); }
"""


def interpretation_of(answer: Any) -> str | None:
    """How the translator understood the question, when it says (`interpretation` in the
    answer's JSON; older translators do not give one)."""
    try:
        value = answer.as_json().get("interpretation")
    except AttributeError:
        return None
    return str(value).strip() or None if value else None


def answer_view(outcome: AskOutcome) -> pn.Column:
    """One chat answer: how the question was understood (when the translator says), the
    sentence, the translator, the SQL (collapsed, with a copy button), the table and a chart
    when the shape suits; or the error, plainly."""
    if outcome.error is not None:
        return pn.Column(pn.pane.Alert(outcome.error, alert_type="danger", name="error"),
                         sizing_mode="stretch_width")
    answer = outcome.answer
    copy = pn.widgets.Button(label="Copy SQL", color="light", width=100, css_classes=["copy-sql"])
    copy.js_on_click(args={"sql": answer.sql, "button": copy}, code=COPY_JS)
    parts: list[Any] = []
    interpretation = interpretation_of(answer)
    if interpretation:
        parts.append(pn.pane.Markdown(f"*Understood as:* {html.escape(interpretation)}",
                                      name="interpretation", sizing_mode="stretch_width",
                                      styles={"color": plotly_theme.MUTED}))
    parts += [
        pn.pane.Markdown(html.escape(answer.answer), name="sentence",
                         sizing_mode="stretch_width"),
        pn.pane.Markdown(f"*answered by the **{answer.translator}** translator on "
                         f"{answer.engine} in {answer.elapsed_ms} ms*", name="translator",
                         sizing_mode="stretch_width"),
        pn.Card(pn.pane.Markdown(f"```sql\n{answer.sql}\n```", sizing_mode="stretch_width",
                                 styles={"overflow-x": "auto"}),
                title="SQL", collapsed=True, name="sql", sizing_mode="stretch_width"),
        copy,
        table(outcome.frame, name="result"),
    ]
    figure = chart_for(outcome.frame)
    if figure is not None:
        parts.append(plotly_pane(figure, name="chart", height=320))
    return card(outcome.question, *parts, name="answer")


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
        # this session's questions, newest first; a click asks again
        self.asked: list[str] = []
        self.history = pn.FlexBox(name="history", sizing_mode="stretch_width",
                                  css_classes=["history"])
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
        self._remember(text)
        outcome = await asyncio.to_thread(self.store.ask, text)
        reply = answer_view(outcome)
        self.feed.remove(pending)
        self.feed.append(reply)
        return reply

    def _remember(self, text: str) -> None:
        self.asked = [text, *[q for q in self.asked if q != text]]
        buttons = []
        for question in self.asked:
            button = pn.widgets.Button(label=question, color="default")
            button.on_click(self._suggest)
            buttons.append(button)
        self.history.objects = buttons

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            card("Try", pn.FlexBox(*self.suggestions, sizing_mode="stretch_width"),
                 name="suggestions"),
            card("Asked in this session", self.history, name="question-history"),
            self.feed,
            pn.Row(self.question, self.send, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")


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
