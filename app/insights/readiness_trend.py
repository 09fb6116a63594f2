"""Readiness trend: is readiness drifting up or down over the period?

Rolling means over calendar windows, as everywhere in this project: the 7-day mean of day d is
the mean of the readiness values in [d - 6, d], the 14-day mean of those in [d - 13, d], never
the last 7 or 14 rows. A mean is shown only when at least half of its window has values (4 of 7,
7 of 14), so a "14-day mean" is never one lonely day at the start of the data.

Size and direction: a least-squares line through the 14-day means against the calendar day
gives the slope in points per week. Evidence: overlapping 14-day means share 13 of 14 days, so
a regression on them counts each day up to 14 times and its p-value means nothing; the p-value
comes instead from the same regression on the daily readiness values. The direction is
"rising" or "falling" only when that p is below alpha and both slopes agree in sign, else
"flat" ("unknown" below the threshold).

Threshold: at least 21 days with a readiness score (MIN_DAYS). A 14-day mean needs 14 days to
fill its window once; three weeks leave at least a week of full-window means to draw a line
through, and with 21 daily values a moderate trend (|r| ≥ 0.43) can reach p < 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from app.insights.base import (
    ALPHA,
    InsightResult,
    Period,
    daily_frame,
    day_numbers,
    finite,
    format_p,
    too_few,
)
from app.insights.plotly_theme import COLORS, empty_figure, themed

NAME = "readiness_trend"
TITLE = "Readiness trend"
MIN_DAYS = 21
WINDOWS = (7, 14)


def min_values(window: int) -> int:
    """Values a window needs before its mean is shown: at least half of its days."""
    return math.ceil(window / 2)


@dataclass(frozen=True)
class TrendPoint:
    day: date
    readiness: float
    mean_7d: float | None
    mean_14d: float | None


@dataclass(frozen=True, kw_only=True)
class ReadinessTrendResult(InsightResult):
    direction: str  # rising, falling, flat, unknown
    slope_per_week: float | None  # of the 14-day mean, points per week
    intercept: float | None  # the fitted 14-day mean on the period's first day
    r_squared: float | None  # of the 14-day-mean fit (descriptive only)
    daily_slope_per_week: float | None  # the daily-values fit that gives the p-value
    change_over_period: float | None  # slope * the span of the 14-day means, in points
    latest_mean_7d: float | None
    latest_mean_14d: float | None
    points: tuple[TrendPoint, ...]


def rolling_means(readiness: pd.Series) -> pd.DataFrame:
    """7- and 14-day calendar-window means of a day-indexed series (values only, gaps allowed)."""
    values = readiness.dropna()
    # a time-based window on a DatetimeIndex covers (d - w days, d]: calendar days, not rows
    return pd.DataFrame({
        f"mean_{w}d": values.rolling(f"{w}D", min_periods=min_values(w)).mean() for w in WINDOWS
    }, index=values.index).assign(readiness=values)


def analyze(rows: pd.DataFrame, period: Period) -> ReadinessTrendResult:
    daily = daily_frame(rows, period, ("readiness_score",))
    means = rolling_means(daily["readiness_score"])
    n = len(means)
    fitted = means["mean_14d"].dropna()
    slope = intercept = r_squared = daily_slope = p = change = None
    caveats = []
    if len(fitted) >= 3 and n >= 3:
        fit = stats.linregress(day_numbers(fitted.index, period.start), fitted.to_numpy())
        slope, intercept = finite(fit.slope * 7), finite(fit.intercept)
        r_squared = finite(fit.rvalue**2)
        span_days = (fitted.index[-1] - fitted.index[0]).days
        change = None if slope is None else slope * span_days / 7
        evidence = stats.linregress(day_numbers(means.index, period.start),
                                    means["readiness"].to_numpy())
        daily_slope, p = finite(evidence.slope * 7), finite(evidence.pvalue)
    sufficient = n >= MIN_DAYS and slope is not None
    if not sufficient:
        direction = "unknown"
        caveats.append(too_few(n, MIN_DAYS, "days have a readiness score",
                               "a 14-day mean needs three weeks to show a trend"))
    elif (p is not None and p < ALPHA and slope and daily_slope
          and (slope > 0) == (daily_slope > 0)):
        direction = "rising" if slope > 0 else "falling"
    else:
        direction = "flat"
    caveats.append("Readiness carries over from day to day, so even the daily fit's p-value is "
                   "optimistic: treat a p near 0.05 as weak evidence.")
    latest = means.iloc[-1] if n else None
    return ReadinessTrendResult(
        analyzer=NAME, title=TITLE, period=period, n=n, min_n=MIN_DAYS, sufficient=sufficient,
        statistic=slope, statistic_name="slope of the 14-day mean (points per week)",
        p_value=p, effect_size=change,
        effect_size_name="fitted change of the 14-day mean over the period (points)",
        caveats=tuple(caveats), direction=direction, slope_per_week=slope, intercept=intercept,
        r_squared=r_squared, daily_slope_per_week=daily_slope, change_over_period=change,
        latest_mean_7d=None if latest is None else finite(latest["mean_7d"]),
        latest_mean_14d=None if latest is None else finite(latest["mean_14d"]),
        points=tuple(
            TrendPoint(day.date(), float(row.readiness), finite(row.mean_7d),
                       finite(row.mean_14d))
            for day, row in means.iterrows()
        ),
    )


def visualize(result: ReadinessTrendResult) -> go.Figure:
    if not result.points:
        return empty_figure(result.title, "No readiness score in this period")
    days = [p.day for p in result.points]
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=days, y=[p.readiness for p in result.points], mode="markers", name="daily readiness",
        marker={"color": COLORS["readiness"], "size": 5, "opacity": 0.45},
    ))
    for key, label in (("mean_7d", "7-day mean"), ("mean_14d", "14-day mean")):
        figure.add_trace(go.Scatter(
            x=days, y=[getattr(p, key) for p in result.points], mode="lines", name=label,
            line={"color": COLORS[key], "width": 2.5 if key == "mean_14d" else 1.5},
            connectgaps=False,
        ))
    if result.slope_per_week is not None and result.intercept is not None:
        fitted = [p for p in result.points if p.mean_14d is not None]
        ends = [fitted[0].day, fitted[-1].day]
        per_day = result.slope_per_week / 7
        figure.add_trace(go.Scatter(
            x=ends,
            y=[result.intercept + per_day * (d - result.period.start).days for d in ends],
            mode="lines", name="trend of the 14-day mean",
            hovertemplate=f"{result.slope_per_week:+.2f} points per week<extra></extra>",
            line={"color": COLORS["fit"], "width": 2, "dash": "dash"},
        ))
    figure.update_yaxes(title_text="readiness score")
    return themed(figure, result.title)


def narrate(result: ReadinessTrendResult) -> list[str]:
    latest = []
    if result.latest_mean_7d is not None:
        latest.append(f"7-day mean {result.latest_mean_7d:.0f}")
    if result.latest_mean_14d is not None:
        latest.append(f"14-day mean {result.latest_mean_14d:.0f}")
    tail = [f"Latest: {', '.join(latest)}."] if latest else []
    if not result.sufficient or result.slope_per_week is None:
        return [f"Only {result.n} days in this period have a readiness score; a trend needs at "
                f"least {result.min_n}, so none is claimed yet.", *tail]
    evidence = f"{format_p(result.p_value)}, n = {result.n} days"
    if result.direction in ("rising", "falling"):
        return [
            f"Your readiness is {result.direction}: the 14-day mean moves "
            f"{result.slope_per_week:+.2f} points a week, {result.change_over_period:+.1f} "
            f"points over the period ({evidence}).",
            *tail,
        ]
    return [
        f"Your readiness holds steady: the 14-day mean moves {result.slope_per_week:+.2f} points "
        f"a week, which cannot be told from no change at alpha {result.alpha} ({evidence}).",
        *tail,
    ]
