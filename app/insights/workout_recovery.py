"""Workout → recovery: how ready are you the day after each kind of training day?

Each day d of the period gets a type from its `had_workout` and `disciplines` (the same reading
as the `workout_type_optimization` view; yoga, stretching and meditation are recovery add-ons
that do not change a day's type):

    rest      no workout that day (had_workout false)
    cycling   cycling and nothing else but recovery disciplines
    strength  strength and nothing else but recovery disciplines
    other     any other workout day: cycling + strength, recovery only, running, rowing, ...

Mixed days go to "other" because their next-day readiness cannot be credited to one kind.
Only days with a row count (a date without a row has no data to call it a rest day). The value
is the readiness of the next calendar date d + 1.

Each workout type is compared with rest days by a two-sided Mann-Whitney U (no normality
assumed; readiness is a bounded score), effect size rank-biserial (positive: more ready after
that type than after rest). The three comparisons are Holm-corrected, so "significant" keeps a
5% chance of any false finding. The headline (the result's statistic, p and effect size) is the
comparison with the smallest corrected p among those with enough days.

Threshold: at least 5 days in each group (MIN_GROUP). With 4 and 4 the smallest p a two-sided
Mann-Whitney U can give is 0.029, with 3 and 3 it is 0.10: below 5 a real difference could
barely or never reach p < 0.05.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from app.insights.base import (
    GroupComparison,
    InsightResult,
    Period,
    daily_frame,
    format_p,
    holm,
    mann_whitney,
    next_day,
    plural,
    strength,
    summarize,
)
from app.insights.plotly_theme import COLORS, empty_figure, themed

NAME = "workout_recovery"
TITLE = "Workout type → next-day readiness"
MIN_GROUP = 5
REST = "rest"
WORKOUT_TYPES = ("cycling", "strength", "other")
GROUP_ORDER = (*WORKOUT_TYPES, REST)
LABELS = {"cycling": "cycling", "strength": "strength", "other": "other workout", REST: "rest day"}
DAY_COUNTS = {"cycling": "cycling day", "strength": "strength day", "other": "other workout day",
              REST: "rest day"}
RECOVERY_DISCIPLINES = frozenset({"yoga", "stretching", "meditation"})


@dataclass(frozen=True)
class WorkoutGroup:
    name: str
    n: int
    mean: float | None
    median: float | None
    q1: float | None
    q3: float | None
    days: tuple[date, ...]  # day d (the workout day); values are readiness on d + 1
    next_day_readiness: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class WorkoutRecoveryResult(InsightResult):
    groups: tuple[WorkoutGroup, ...]  # in GROUP_ORDER, empty groups included
    comparisons: tuple[GroupComparison, ...]  # each workout type against rest days
    headline: str | None  # the workout type whose comparison is the result's statistic


def workout_type(had_workout: bool, disciplines: Iterable[str]) -> str:
    """The day's type (module docstring): rest, cycling, strength or other."""
    if not had_workout:
        return REST
    main = {d.lower() for d in disciplines} - RECOVERY_DISCIPLINES
    if main == {"cycling"}:
        return "cycling"
    if main == {"strength"}:
        return "strength"
    return "other"


def analyze(rows: pd.DataFrame, period: Period) -> WorkoutRecoveryResult:
    daily = daily_frame(rows, period, ("readiness_score", "had_workout", "disciplines"))
    typed = pd.DataFrame({
        "type": [workout_type(w, d) for w, d in
                 zip(daily["had_workout"], daily["disciplines"], strict=True)],
        "next_readiness": next_day(daily["readiness_score"]),
    }, index=daily.index).dropna(subset=["next_readiness"])

    groups = []
    for name in GROUP_ORDER:
        members = typed[typed["type"] == name]
        s = summarize(members["next_readiness"].to_numpy())
        groups.append(WorkoutGroup(
            name=name, n=s.n, mean=s.mean, median=s.median, q1=s.q1, q3=s.q3,
            days=tuple(d.date() for d in members.index),
            next_day_readiness=tuple(float(v) for v in members["next_readiness"]),
        ))
    by_name = {g.name: g for g in groups}
    raw = [mann_whitney(name, by_name[name].next_day_readiness, REST,
                        by_name[REST].next_day_readiness, MIN_GROUP) for name in WORKOUT_TYPES]
    adjusted = holm([c.p_value for c in raw])
    comparisons = tuple(replace(c, p_adjusted=p) for c, p in zip(raw, adjusted, strict=True))

    candidates = [c for c in comparisons if c.sufficient and c.p_adjusted is not None]
    headline = min(candidates, key=lambda c: c.p_adjusted or 1.0) if candidates else None
    caveats = []
    short = [LABELS[g.name] for g in groups if g.n < MIN_GROUP]
    if short:
        caveats.append(
            f"Fewer than {MIN_GROUP} days followed by a readiness score for: {', '.join(short)}; "
            "those comparisons conclude nothing (below 5 per group a two-sided Mann-Whitney U "
            "can barely reach p < 0.05)."
        )
    caveats.append("p-values are Holm-corrected for the three comparisons with rest days.")
    caveats.append("Workout days are chosen, not assigned: you may train more on days you "
                   "already feel ready, which flatters the workout groups.")
    return WorkoutRecoveryResult(
        analyzer=NAME, title=TITLE, period=period, n=len(typed), min_n=MIN_GROUP,
        sufficient=headline is not None,
        statistic=headline.u_statistic if headline else None, statistic_name="Mann-Whitney U",
        p_value=headline.p_adjusted if headline else None,
        effect_size=headline.rank_biserial if headline else None,
        effect_size_name="rank-biserial correlation", caveats=tuple(caveats),
        groups=tuple(groups), comparisons=comparisons,
        headline=headline.group if headline else None,
    )


def visualize(result: WorkoutRecoveryResult) -> go.Figure:
    present = [g for g in result.groups if g.n]
    if not present:
        return empty_figure(result.title, "No day is followed by a readiness score yet")
    figure = go.Figure()
    for group in present:
        figure.add_trace(go.Box(
            y=list(group.next_day_readiness), name=LABELS[group.name],
            marker={"color": COLORS[group.name], "size": 5}, boxpoints="all", jitter=0.4,
            pointpos=0, customdata=[d.isoformat() for d in group.days],
            hovertemplate="%{customdata}<br>next-day readiness %{y}<extra></extra>",
        ))
    figure.update_layout(showlegend=False)
    # the group sizes under the boxes: a box of 5 days reads differently from one of 50
    figure.update_xaxes(tickvals=[LABELS[g.name] for g in present],
                        ticktext=[f"{LABELS[g.name]}<br>n={g.n}" for g in present])
    figure.update_yaxes(title_text="readiness the next day")
    return themed(figure, result.title)


def narrate(result: WorkoutRecoveryResult) -> list[str]:
    counts = [plural(g.n, DAY_COUNTS[g.name]) for g in result.groups]
    sentences = [f"Next-day readiness was available after {', '.join(counts[:-1])} and "
                 f"{counts[-1]}."]
    if result.headline is None:
        sentences.append(
            f"No workout type has at least {result.min_n} days next to at least {result.min_n} "
            "rest days, so there is no conclusion about recovery yet."
        )
        return sentences
    similar = []
    for c in result.comparisons:
        label = LABELS[c.group]
        if not c.sufficient:
            sentences.append(f"Too few days to compare {label} days with rest days "
                             f"({c.n_group} vs {c.n_reference}; each needs {result.min_n}).")
        elif c.p_adjusted is not None and c.p_adjusted < result.alpha:
            more = "more" if (c.rank_biserial or 0) > 0 else "less"
            sentences.append(
                f"After {label} days you are {more} ready than after rest days (median "
                f"{c.median_group:.0f} vs {c.median_reference:.0f}; {strength(c.rank_biserial)} "
                f"effect, rank-biserial {c.rank_biserial:+.2f}, {format_p(c.p_adjusted)} "
                "corrected)."
            )
        else:
            similar.append(f"{label} (median {c.median_group:.0f}, "
                           f"{format_p(c.p_adjusted)} corrected)")
    if similar:
        rest = next(g for g in result.groups if g.name == REST)
        sentences.append(
            f"Next-day readiness after {' and '.join(similar)} cannot be told apart from after "
            f"rest days (median {rest.median:.0f}) at alpha {result.alpha}."
        )
    return sentences
