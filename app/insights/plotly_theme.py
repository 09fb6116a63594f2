"""The one Plotly look of Bio-Lakehouse: a dark theme shared by the insights, the dashboard and
the weekly report, so a chart looks the same wherever it is shown.

The template is a plain object applied per figure (`themed`), never registered as Plotly's
global default: importing this module changes nothing for anyone else's figures.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BACKGROUND = "#111418"
PANEL = "#181c22"
GRID = "#2a3038"
TEXT = "#e6e9ee"
MUTED = "#8b95a3"
FONT = "Inter, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

# One colour per measure, used by every chart that shows it (a reader learns them once).
COLORS: dict[str, str] = {
    "readiness": "#4fc3f7",
    "sleep": "#b39ddb",
    "hrv": "#81c784",
    "output": "#ffb74d",
    "fit": "#f06292",
    "mean_7d": "#4dd0e1",
    "mean_14d": "#ffd54f",
    "anomaly": "#ff5252",
    "missed": "#ff9800",
    "rest": "#90a4ae",
    "cycling": "#ffb74d",
    "strength": "#e57373",
    "other": "#a1887f",
    "high": "#ff7043",
    "low": "#4db6ac",
}

# Colour order for traces that have no measure of their own.
COLORWAY = ["#4fc3f7", "#ffb74d", "#81c784", "#f06292", "#b39ddb", "#ffd54f", "#4db6ac"]


def _template() -> go.layout.Template:
    # start from Plotly's own dark template so every trace type has sensible dark defaults,
    # then override what makes it ours
    base = go.layout.Template(pio.templates["plotly_dark"])
    axis = {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID,
            "tickfont": {"color": MUTED}, "title": {"font": {"color": MUTED}}}
    base.layout.update(
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=PANEL,
        font={"family": FONT, "color": TEXT, "size": 13},
        colorway=COLORWAY,
        title={"font": {"size": 17, "color": TEXT}, "x": 0.02, "xanchor": "left"},
        legend={"bgcolor": "rgba(0,0,0,0)", "font": {"color": MUTED},
                "orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 60, "r": 24, "t": 64, "b": 64},
        hoverlabel={"bgcolor": PANEL, "font": {"color": TEXT}},
        xaxis=axis,
        yaxis=axis,
    )
    return base


TEMPLATE: go.layout.Template = _template()


def themed(figure: go.Figure, title: str | None = None) -> go.Figure:
    """The figure in the Bio-Lakehouse dark theme (changed in place and returned)."""
    figure.update_layout(template=TEMPLATE)
    if title is not None:
        figure.update_layout(title_text=title)
    return figure


def empty_figure(title: str, message: str) -> go.Figure:
    """A themed figure with no data and a centred note, for when there is nothing to plot."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                          yref="paper", font={"color": MUTED, "size": 14})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return themed(figure, title)
