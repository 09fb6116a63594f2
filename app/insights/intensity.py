"""Intensity impact: are you less ready the day after a hard (high-output) day than after an
easy one?

Output days: days of the period with a workout and total_output_kj > 0. Days of strength,
yoga or any class without a power meter have no output and are left out: zero kJ there means
"not measured", not "easy". The split is the person's own median output over the output days
of the period: high = above the median, low = at or below it (so every output day is in one
group, and the groups are as equal as ties allow). The compared value is the readiness of the
next calendar date d + 1; the next day's sleep score is summarised beside it, untested.

Test: two-sided Mann-Whitney U of high against low, effect size rank-biserial (negative: less
ready after high-output days).

Threshold: at least 5 days in each group (MIN_GROUP), for the reason given in
`workout_recovery`: with fewer, a two-sided Mann-Whitney U can barely or never reach p < 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from app.insights.base import (
    GroupComparison,
    InsightResult,
    Period,
    Summary,
    daily_frame,
    format_p,
    mann_whitney,
    next_day,
    strength,
    summarize,
)
from app.insights.plotly_theme import COLORS, empty_figure, themed

NAME = "intensity"
TITLE = "Workout output → next-day readiness"
MIN_GROUP = 5


@dataclass(frozen=True)
class IntensityGroup:
    name: str  # high, low
    output_kj: Summary  # of the group's workout days
    next_day_readiness: Summary
    next_day_sleep: Summary  # descriptive only
    days: tuple[date, ...]  # day d; readiness values are of d + 1
    readiness_values: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class IntensityResult(InsightResult):
    split_kj: float | None  # the median total_output_kj of the period's output days
    output_days: int
    high: IntensityGroup
    low: IntensityGroup
    comparison: GroupComparison


def _group(name: str, members: pd.DataFrame) -> IntensityGroup:
    paired = members.dropna(subset=["next_readiness"])
    return IntensityGroup(
        name=name, output_kj=summarize(paired["output"].to_numpy()),
        next_day_readiness=summarize(paired["next_readiness"].to_numpy()),
        next_day_sleep=summarize(paired["next_sleep"].dropna().to_numpy()),
        days=tuple(d.date() for d in paired.index),
        readiness_values=tuple(float(v) for v in paired["next_readiness"]),
    )


def analyze(rows: pd.DataFrame, period: Period) -> IntensityResult:
    daily = daily_frame(rows, period,
                        ("readiness_score", "sleep_score", "had_workout", "total_output_kj"))
    frame = pd.DataFrame({
        "output": daily["total_output_kj"],
        "next_readiness": next_day(daily["readiness_score"]),
        "next_sleep": next_day(daily["sleep_score"]),
    }, index=daily.index)[daily["had_workout"] & (daily["total_output_kj"] > 0)]
    split = float(np.median(frame["output"])) if len(frame) else None
    is_high = frame["output"] > split if split is not None else frame["output"] > 0
    high, low = _group("high", frame[is_high]), _group("low", frame[~is_high])
    comparison = mann_whitney("high", high.readiness_values, "low", low.readiness_values,
                              MIN_GROUP)
    caveats = []
    if not comparison.sufficient:
        caveats.append(
            f"Only {high.next_day_readiness.n} high-output and {low.next_day_readiness.n} "
            f"low-output days are followed by a readiness score; each group needs at least "
            f"{MIN_GROUP} before this concludes anything (below that a two-sided Mann-Whitney U "
            "can barely reach p < 0.05)."
        )
    caveats.append("Output days are chosen, not assigned: hard days may fall when you already "
                   "feel ready, which hides part of their cost.")
    return IntensityResult(
        analyzer=NAME, title=TITLE, period=period,
        n=high.next_day_readiness.n + low.next_day_readiness.n, min_n=MIN_GROUP,
        sufficient=comparison.sufficient, statistic=comparison.u_statistic,
        statistic_name="Mann-Whitney U", p_value=comparison.p_value,
        effect_size=comparison.rank_biserial, effect_size_name="rank-biserial correlation",
        caveats=tuple(caveats), split_kj=split, output_days=len(frame), high=high, low=low,
        comparison=comparison,
    )


def visualize(result: IntensityResult) -> go.Figure:
    if not result.n:
        return empty_figure(result.title, "No workout with output is followed by a readiness "
                                          "score yet")
    measures = (("next_day_readiness", "next-day readiness"),
                ("next_day_sleep", "next-day sleep score"))
    figure = go.Figure()
    for group, label in ((result.low, "low output"), (result.high, "high output")):
        summaries: list[Summary] = [getattr(group, key) for key, _ in measures]
        medians = [s.median for s in summaries]
        figure.add_trace(go.Bar(
            x=[name for _, name in measures], y=medians, name=label,
            marker_color=COLORS[group.name],
            text=[f"n={s.n}" for s in summaries], textposition="outside",
            # whiskers from the first to the third quartile: the middle half of the days
            error_y={
                "type": "data", "symmetric": False, "color": "#e6e9ee", "thickness": 1,
                "array": [(s.q3 - s.median) if s.median is not None and s.q3 is not None
                          else 0 for s in summaries],
                "arrayminus": [(s.median - s.q1) if s.median is not None and s.q1 is not None
                               else 0 for s in summaries],
            },
        ))
    figure.update_layout(barmode="group")
    # short enough for a phone; the categories already say "next-day"
    figure.update_xaxes(title_text=f"output: low ≤ {result.split_kj:.0f} kJ (your median) < high")
    figure.update_yaxes(title_text="median score (whiskers: quartiles)", range=[0, 105])
    return themed(figure, result.title)


def narrate(result: IntensityResult) -> list[str]:
    high, low = result.high.next_day_readiness, result.low.next_day_readiness
    if not result.sufficient:
        return [
            f"Only {high.n} high-output and {low.n} low-output workout days are followed by a "
            f"readiness score; each group needs at least {result.min_n}, so there is no "
            "conclusion about training intensity yet."
        ]
    c = result.comparison
    split = f"your median of {result.split_kj:.0f} kJ"
    stats_text = (f"rank-biserial {c.rank_biserial:+.2f}, {format_p(c.p_value)}, "
                  f"n = {high.n} + {low.n} days")
    if result.significant:
        lower = (c.rank_biserial or 0) < 0
        return [
            f"After high-output days (above {split}) your next-day readiness is "
            f"{'lower' if lower else 'higher'}: median {high.median:.0f} against {low.median:.0f} "
            f"after lower-output days ({strength(c.rank_biserial)} effect, {stats_text}).",
            "Hard sessions seem to cost you recovery; plan easier days after them."
            if lower else "Your hard days do not seem to cost you readiness the next day.",
        ]
    return [
        f"Next-day readiness after high-output days (above {split}, median {high.median:.0f}) "
        f"and after lower-output days (median {low.median:.0f}) cannot be told apart at alpha "
        f"{result.alpha} ({stats_text})."
    ]
