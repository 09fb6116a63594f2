"""Building blocks every tab uses: the page's CSS, cards, tables and themed Plotly panes."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import panel as pn
import plotly.graph_objects as go

from app.insights import plotly_theme

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


def chart_figure(figure: go.Figure, height: int | None = None) -> go.Figure:
    """A figure themed and sized as every chart of the dashboard (see `plotly_pane`)."""
    figure = plotly_theme.themed(figure)
    figure.update_layout(autosize=True, width=None)
    if height is not None:
        figure.update_layout(height=height)
    return figure


def plotly_pane(figure: go.Figure, **kwargs: Any) -> pn.pane.Plotly:
    """A chart as wide as its card at any window size: Plotly's autosize with the responsive
    config follows the container, and Panel lays it out again whenever it is shown (a chart
    of a tab rendered while hidden would otherwise keep Plotly's default 700 px). To show
    other data, set the pane's `object` to a new `chart_figure` rather than replacing the pane."""
    return pn.pane.Plotly(chart_figure(figure, kwargs.get("height")), sizing_mode="stretch_width",
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
