"""Sleep → readiness: does the sleep score of day d go with the readiness score of day d + 1?

Pairs: every day d of the period with a sleep score whose next calendar date d + 1 (also in the
period) has a readiness score. Pearson r and its two-sided p-value measure the link; a least-
squares line (readiness = slope * sleep + intercept) gives its size in score points.

Threshold: at least 10 pairs (MIN_PAIRS). Below 10, only |r| > 0.63 could reach p < 0.05, and
a single unusual night moves r by more than the effects worth knowing about, so the result is
reported but nothing is concluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from app.insights.base import (
    InsightResult,
    Period,
    daily_frame,
    finite,
    format_p,
    next_day,
    strength,
    too_few,
)
from app.insights.plotly_theme import COLORS, empty_figure, themed

NAME = "sleep_readiness"
TITLE = "Sleep → next-day readiness"
MIN_PAIRS = 10


@dataclass(frozen=True)
class SleepReadinessPair:
    day: date  # the night's day d; the readiness is that of d + 1
    sleep_score: float
    next_day_readiness: float


@dataclass(frozen=True, kw_only=True)
class SleepReadinessResult(InsightResult):
    r: float | None
    slope: float | None  # next-day readiness points per sleep score point
    intercept: float | None
    pairs: tuple[SleepReadinessPair, ...]


def analyze(rows: pd.DataFrame, period: Period) -> SleepReadinessResult:
    daily = daily_frame(rows, period, ("sleep_score", "readiness_score"))
    paired = pd.DataFrame(
        {"sleep": daily["sleep_score"], "next_readiness": next_day(daily["readiness_score"])}
    ).dropna()
    x, y = paired["sleep"].to_numpy(), paired["next_readiness"].to_numpy()
    n = len(paired)
    r = p = slope = intercept = None
    caveats: list[str] = []
    # Pearson r is undefined for a constant variable; SciPy would warn and return NaN
    if n >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
        correlation = stats.pearsonr(x, y)
        r, p = finite(correlation.statistic), finite(correlation.pvalue)
        fit = stats.linregress(x, y)
        slope, intercept = finite(fit.slope), finite(fit.intercept)
    elif n >= 3:
        caveats.append("The sleep or the next-day readiness score never varies: no correlation.")
    if n < MIN_PAIRS:
        caveats.append(too_few(n, MIN_PAIRS, "nights are followed by a readiness score",
                               "below that only a very strong link could be told from chance"))
    caveats.append("A correlation, not a cause: a third factor (illness, travel, training) can "
                   "lower both.")
    return SleepReadinessResult(
        analyzer=NAME, title=TITLE, period=period, n=n, min_n=MIN_PAIRS,
        sufficient=n >= MIN_PAIRS, statistic=r, statistic_name="Pearson r", p_value=p,
        effect_size=r, effect_size_name="Pearson r", caveats=tuple(caveats),
        r=r, slope=slope, intercept=intercept,
        pairs=tuple(
            SleepReadinessPair(d.date(), float(s), float(t))
            for d, s, t in zip(paired.index, x, y, strict=True)
        ),
    )


def visualize(result: SleepReadinessResult) -> go.Figure:
    if not result.pairs:
        return empty_figure(result.title, "No night is followed by a readiness score yet")
    x = [pair.sleep_score for pair in result.pairs]
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=x, y=[pair.next_day_readiness for pair in result.pairs], mode="markers",
        name="nights", marker={"color": COLORS["sleep"], "size": 8, "opacity": 0.8},
        customdata=[pair.day.isoformat() for pair in result.pairs],
        hovertemplate="night of %{customdata}<br>sleep %{x}<br>next-day readiness %{y}"
                      "<extra></extra>",
    ))
    if result.slope is not None and result.intercept is not None:
        ends = [min(x), max(x)]
        figure.add_trace(go.Scatter(
            x=ends, y=[result.slope * v + result.intercept for v in ends], mode="lines",
            name="linear fit", line={"color": COLORS["fit"], "width": 2},
            hovertemplate=f"readiness = {result.slope:.2f} * sleep + {result.intercept:.1f}"
                          f"<br>r = {result.r:.2f}, n = {result.n}<extra></extra>",
        ))
    figure.update_xaxes(title_text="sleep score (day d)")
    figure.update_yaxes(title_text="readiness score (day d + 1)")
    return themed(figure, result.title)


def narrate(result: SleepReadinessResult) -> list[str]:
    if not result.sufficient:
        return [
            f"Only {result.n} nights in this period are followed by a readiness score the next "
            f"day; at least {result.min_n} are needed before a correlation says anything, so "
            "there is no conclusion about sleep and next-day readiness yet."
        ]
    if result.r is None or result.slope is None:
        return ["Your sleep or next-day readiness score did not vary in this period, so their "
                "link cannot be measured."]
    stats_text = f"r = {result.r:.2f}, {format_p(result.p_value)}, n = {result.n} nights"
    if not result.significant:
        return [
            f"There is no clear link between your sleep score and the next day's readiness "
            f"({stats_text}): at alpha {result.alpha} it cannot be told from chance."
        ]
    direction = "rises" if result.r > 0 else "falls"
    return [
        f"After better-scored nights your next-day readiness {direction}: a {strength(result.r)} "
        f"correlation ({stats_text}).",
        f"Each extra sleep score point goes with {result.slope:+.2f} readiness points the next "
        f"day, so 10 points of sleep score are worth about {10 * result.slope:+.1f} points of "
        "readiness.",
        "This is a correlation over your own days, not proof that sleep alone causes it.",
    ]
