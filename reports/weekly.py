"""The weekly report: the five insights over one Monday-to-Sunday week with trailing context,
the week's KPIs against the previous week, charts as embedded PNG images, and a narrative (by
Claude from the aggregates when configured, from templates otherwise: `narrative.py`), rendered
into one self-contained HTML file (no external references).

The numbers are also machine-readable: the insights as `biolake insights --format json` prints
them (`<script id="insights-data">`), and `data-*` attributes on every KPI and chart.

Pure parts (`default_week`, `weekly_kpis`, `render_html`) take rows and return values;
`build_report` calls only what it is given (the chart renderer, the narrator); `archive.write_report`
is the only I/O besides reading the rows (`generate_weekly_report`).
"""

from __future__ import annotations

import base64
import json
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.insights import Insight, Period, as_json, load_daily_rows, plotly_theme, run_all
from app.insights.base import daily_frame
from app.insights.suite import figure_lines
from biolake.lake import Lake
from reports.archive import WrittenReport, write_report
from reports.narrative import ClaudeNarrator, Narrative, narrative_facts, write_narrative
from reports.week import CONTEXT_DAYS, Kpi, ReportError, Week, weekly_kpis

TEMPLATES = Path(__file__).with_name("templates")
NO_NARRATOR = "no Claude narrator given"
CHART_SIZE = (900, 420)


# -- charts -------------------------------------------------------------------------------------
class KaleidoRenderer:
    """PNGs of figures through kaleido and the system Chromium, with MathJax off (it would load
    from a CDN; there is no internet). Used as a context manager, one browser renders every chart
    of a report (about 0.2 s each instead of 4 s for a browser per chart)."""

    def __init__(self, width: int = CHART_SIZE[0], height: int = CHART_SIZE[1]) -> None:
        self.width, self.height = width, height
        self._server = False

    def __enter__(self) -> KaleidoRenderer:
        import kaleido

        # asked first: kaleido's renderer waits forever when its browser cannot start
        if chromium_path() is None:
            raise ReportError(f"no Chromium to draw the report's charts; {_CHROMIUM_HINT}")
        try:
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        except (RuntimeError, OSError) as exc:
            raise ReportError(f"kaleido could not start Chromium ({exc}); {_CHROMIUM_HINT}") from exc
        self._server = True
        return self

    def __exit__(self, *_: object) -> None:
        if self._server:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            self._server = False

    def __call__(self, figure: go.Figure) -> bytes:
        import plotly.io as pio

        pio.defaults.mathjax = None
        try:
            with warnings.catch_warnings():  # the server already has MathJax off
                warnings.filterwarnings("ignore", "The kopts argument is ignored")
                return pio.to_image(figure, format="png", width=self.width, height=self.height)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ReportError(f"kaleido could not render a chart ({exc}); {_CHROMIUM_HINT}") from exc


def chromium_path() -> str | None:
    """The Chromium kaleido would start (BROWSER_PATH, PATH, the usual places), if it exists."""
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    return path if path and os.access(path, os.X_OK) else None


_CHROMIUM_HINT = "install Chromium (`apt-get install chromium`) or set BROWSER_PATH to one"


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSection:
    name: str
    title: str
    narrative: list[str]
    figures: list[str]  # "name = value" lines
    caveats: list[str]
    image: str  # a data URI
    numbers: dict[str, str]  # the chart's result as JSON values, for data-* attributes


@dataclass(frozen=True)
class WeeklyReport:
    person_id: str
    week: Week
    period: Period  # what the analyzers saw
    rows: int
    kpis: list[Kpi]
    narrative: Narrative
    sections: list[ReportSection]
    insights_json: dict[str, Any]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "no data"
    text = f"{value:.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.1f}"
    return f"{text} {unit}".strip()


def summary_sentences(kpis: list[Kpi], insights: list[Insight]) -> list[str]:
    """The narrative from templates: the KPIs that moved, then each significant finding."""
    lines: list[str] = []
    for kpi in kpis[:3]:
        if kpi.delta is None:
            lines.append(f"{kpi.name}: {_fmt(kpi.value, kpi.unit)} (no comparison week).")
        else:
            word = "up" if kpi.delta > 0 else "down" if kpi.delta < 0 else "unchanged"
            change = "" if word == "unchanged" else f" {_fmt(abs(kpi.delta), kpi.unit)}"
            lines.append(f"{kpi.name} was {_fmt(kpi.value, kpi.unit)}, {word}{change} "
                         f"on the week before.")
    found = [i for i in insights if i.result.significant]
    if found:
        lines.append("Over the last four weeks: " + " ".join(i.narrative[0] for i in found))
    else:
        lines.append("None of the five analyses found a statistically clear pattern over the "
                     "last four weeks.")
    return lines


def _numbers(insight: Insight) -> dict[str, str]:
    r = insight.result.to_json()  # the same values `biolake insights --format json` prints
    return {field: json.dumps(r[field]) for field in ("n", "statistic", "p_value", "effect_size")}


def build_report(
    rows: pd.DataFrame,
    person_id: str,
    week: Week,
    render_png: Callable[[go.Figure], bytes],
    context_days: int = CONTEXT_DAYS,
    narrator: ClaudeNarrator | None = None,
    why_not: str = NO_NARRATOR,
) -> WeeklyReport:
    """Everything the template shows, from one person's gold daily rows (which must cover the
    context period, at least the week and the week before). The narrative is the narrator's
    (given only aggregates) or, without one or when it fails, the templates' (`why_not`)."""
    period = Period.ending(week.end, max(context_days, 14))
    insights = run_all(rows, period)
    kpis = weekly_kpis(rows, week)
    sections = [
        ReportSection(
            name=i.analyzer.name, title=i.result.title, narrative=i.narrative,
            figures=figure_lines(i), caveats=list(i.result.caveats),
            image=data_uri(render_png(plotly_theme.themed(i.analyzer.visualize(i.result)))),
            numbers=_numbers(i),
        )
        for i in insights
    ]
    in_period = daily_frame(rows, period, ()).shape[0]
    narrative = write_narrative(narrative_facts(week, period, kpis, insights),
                                summary_sentences(kpis, insights), narrator, why_not)
    return WeeklyReport(
        person_id=person_id, week=week, period=period, rows=in_period, kpis=kpis,
        narrative=narrative, sections=sections,
        insights_json=as_json(insights, person_id, period, in_period),
    )


def render_html(report: WeeklyReport) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html", "html.j2"]))
    env.filters["fmt"] = _fmt
    env.filters["json"] = lambda value: json.dumps(value)  # exact values for data-* attributes
    template = env.get_template("weekly.html.j2")
    return template.render(
        report=report, theme=plotly_theme,
        # the machine-readable results, for checks and tools; </ cannot close the script tag
        insights_json=json.dumps(report.insights_json, default=str).replace("</", "<\\/"),
    )


def generate_weekly_report(
    queries: Any,
    person_id: str,
    week: Week,
    out_dir: Path,
    lake: Lake | None,
    render_png: Callable[[go.Figure], bytes] | None = None,
    narrator: ClaudeNarrator | None = None,
    why_not: str = NO_NARRATOR,
) -> tuple[WrittenReport, WeeklyReport]:
    """Read the rows through the read-only path, build, render (kaleido unless `render_png` is
    given) and write the report."""
    period = Period.ending(week.end, CONTEXT_DAYS)
    rows = load_daily_rows(queries, person_id, period)
    if render_png is None:
        with KaleidoRenderer() as renderer:
            report = build_report(rows, person_id, week, renderer, narrator=narrator,
                                  why_not=why_not)
    else:
        report = build_report(rows, person_id, week, render_png, narrator=narrator,
                              why_not=why_not)
    return write_report(render_html(report), week, out_dir, lake), report
