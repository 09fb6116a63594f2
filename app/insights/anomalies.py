"""Anomalies: unusually low days, and streaks of usual workouts that did not happen.

Low days: a day is flagged when its readiness score or its HRV (`hrv_avg`) lies more than
1.5 standard deviations (Z_THRESHOLD, sample SD) below the person's own mean of that measure
over the period. Each measure needs at least 14 days with a value (MIN_BASELINE_DAYS) before
its days are judged: a mean and SD from fewer values are themselves too unsteady (the SD's
relative error is still about 20% at 14 values) to call any one day unusual.

Usual workouts: over the calendar span from the first to the last day with data in the
period, each weekday's workout frequency is the share of its dates that had a workout. A
date without a row counts as no workout, because every workout makes a gold row. A weekday is
"usual" when it occurs at least 4 times in the span (four weeks of habit) and had a workout on
at least 60% of them (more often than not, with a margin). A missed usual workout is a usual
weekday without a workout; a streak is 2 or more missed usual weekdays in a row (no usual
weekday with a workout in between). One missed session is ordinary life; two in a row is a
pattern worth a look.

This analyzer describes, it does not test: with normally spread days, about 7% fall below
-1.5 SD by chance alone. `statistic` is the number of flagged days, `p_value` is None, and the
effect size is the lowest z-score among them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.insights.base import InsightResult, Period, daily_frame, finite, plural, too_few
from app.insights.plotly_theme import COLORS, empty_figure, themed

NAME = "anomalies"
TITLE = "Low days and missed workouts"
Z_THRESHOLD = 1.5
MIN_BASELINE_DAYS = 14
MIN_WEEKDAY_OCCURRENCES = 4
USUAL_FREQUENCY = 0.6
MIN_STREAK = 2
MEASURES = {"readiness": "readiness_score", "hrv": "hrv_avg"}


@dataclass(frozen=True)
class Baseline:
    measure: str
    n: int
    mean: float | None
    sd: float | None
    sufficient: bool  # n >= MIN_BASELINE_DAYS and the measure varies


@dataclass(frozen=True)
class AnomalyDay:
    day: date
    readiness: float | None
    readiness_z: float | None
    hrv: float | None
    hrv_z: float | None
    low: tuple[str, ...]  # the measures below the threshold: readiness, hrv


@dataclass(frozen=True)
class WeekdayHabit:
    weekday: str
    occurrences: int
    workout_days: int
    frequency: float
    usual: bool


@dataclass(frozen=True)
class MissedStreak:
    start: date
    end: date
    missed: tuple[date, ...]

    @property
    def length(self) -> int:
        return len(self.missed)


@dataclass(frozen=True)
class TimelineDay:
    day: date
    readiness: float | None
    hrv: float | None
    had_workout: bool


@dataclass(frozen=True, kw_only=True)
class AnomalyResult(InsightResult):
    baselines: tuple[Baseline, ...]
    anomaly_days: tuple[AnomalyDay, ...]
    weekday_habits: tuple[WeekdayHabit, ...]  # Monday first
    missed_streaks: tuple[MissedStreak, ...]
    timeline: tuple[TimelineDay, ...]


def baseline(measure: str, values: pd.Series) -> tuple[Baseline, pd.Series]:
    """The measure's baseline and each day's z-score (NaN when the baseline is not sufficient)."""
    present = values.dropna()
    mean = finite(present.mean()) if len(present) else None
    sd = finite(present.std(ddof=1)) if len(present) >= 2 else None
    ok = len(present) >= MIN_BASELINE_DAYS and bool(sd)
    z = (values - mean) / sd if ok and mean is not None and sd else values * float("nan")
    return Baseline(measure, len(present), mean, sd, ok), z


def weekday_habits(had_workout: pd.Series) -> tuple[list[WeekdayHabit], pd.Series]:
    """Per-weekday workout frequency and the workout flag of every calendar date of the span."""
    if had_workout.empty:
        return [], had_workout
    span = pd.date_range(had_workout.index.min(), had_workout.index.max(), freq="D")
    worked = had_workout.reindex(span, fill_value=False).astype(bool)
    habits = []
    for weekday in range(7):
        dates = worked[worked.index.weekday == weekday]
        count, done = len(dates), int(dates.sum())
        frequency = done / count if count else 0.0
        habits.append(WeekdayHabit(
            calendar.day_name[weekday], count, done, frequency,
            count >= MIN_WEEKDAY_OCCURRENCES and frequency >= USUAL_FREQUENCY,
        ))
    return habits, worked


def missed_streaks(worked: pd.Series, usual_weekdays: set[int]) -> list[MissedStreak]:
    """Runs of at least MIN_STREAK usual weekdays in a row without a workout."""
    streaks, run = [], []
    for day, did in worked[worked.index.weekday.isin(sorted(usual_weekdays))].items():
        if did:
            if len(run) >= MIN_STREAK:
                streaks.append(run)
            run = []
        else:
            run.append(day.date())
    if len(run) >= MIN_STREAK:
        streaks.append(run)
    return [MissedStreak(r[0], r[-1], tuple(r)) for r in streaks]


def analyze(rows: pd.DataFrame, period: Period) -> AnomalyResult:
    daily = daily_frame(rows, period, ("readiness_score", "hrv_avg", "had_workout"))
    readiness_base, readiness_z = baseline("readiness", daily["readiness_score"])
    hrv_base, hrv_z = baseline("hrv", daily["hrv_avg"])
    flagged = []
    for day in daily.index:
        rz, hz = finite(readiness_z.get(day)), finite(hrv_z.get(day))
        low = tuple(name for name, z in (("readiness", rz), ("hrv", hz))
                    if z is not None and z < -Z_THRESHOLD)
        if low:
            flagged.append(AnomalyDay(day.date(), finite(daily.at[day, "readiness_score"]), rz,
                                      finite(daily.at[day, "hrv_avg"]), hz, low))
    habits, worked = weekday_habits(daily["had_workout"])
    usual = {i for i, h in enumerate(habits) if h.usual}
    streaks = missed_streaks(worked, usual) if usual else []

    n = int(daily[["readiness_score", "hrv_avg"]].notna().any(axis=1).sum())
    caveats = []
    for base in (readiness_base, hrv_base):
        if base.n < MIN_BASELINE_DAYS:
            caveats.append(too_few(base.n, MIN_BASELINE_DAYS, f"days have a {base.measure} value",
                                   "a personal mean and SD from fewer days are too unsteady"))
        elif not base.sufficient:
            caveats.append(f"Your {base.measure} never varies in this period: no day stands out.")
    if not usual:
        caveats.append(f"No weekday has a workout on at least {USUAL_FREQUENCY:.0%} of at least "
                       f"{MIN_WEEKDAY_OCCURRENCES} dates, so no workout counts as usual yet.")
    caveats.append(f"Descriptive, not a test: about 7% of ordinary days fall below "
                   f"-{Z_THRESHOLD} SD by chance alone.")
    lowest = min((z for a in flagged for z in (a.readiness_z, a.hrv_z) if z is not None),
                 default=None)
    return AnomalyResult(
        analyzer=NAME, title=TITLE, period=period, n=n, min_n=MIN_BASELINE_DAYS,
        sufficient=readiness_base.sufficient or hrv_base.sufficient,
        statistic=float(len(flagged)), statistic_name=f"days below -{Z_THRESHOLD} SD",
        p_value=None, effect_size=lowest, effect_size_name="lowest z-score of a flagged day",
        caveats=tuple(caveats), baselines=(readiness_base, hrv_base),
        anomaly_days=tuple(flagged), weekday_habits=tuple(habits),
        missed_streaks=tuple(streaks),
        timeline=tuple(
            TimelineDay(day.date(), finite(r), finite(h), bool(w))
            for day, r, h, w in zip(daily.index, daily["readiness_score"], daily["hrv_avg"],
                                    daily["had_workout"], strict=True)
        ),
    )


def visualize(result: AnomalyResult) -> go.Figure:
    if not result.timeline:
        return empty_figure(result.title, "No data in this period")
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    days = [t.day for t in result.timeline]
    for row, (measure, label, unit) in enumerate(
        (("readiness", "readiness", ""), ("hrv", "HRV", " ms")), start=1
    ):
        values = [getattr(t, measure) for t in result.timeline]
        figure.add_trace(go.Scatter(x=days, y=values, mode="lines+markers", name=label,
                                    line={"color": COLORS[measure], "width": 1.5},
                                    marker={"size": 4}), row=row, col=1)
        low = [a for a in result.anomaly_days if measure in a.low]
        figure.add_trace(go.Scatter(
            x=[a.day for a in low], y=[getattr(a, measure) for a in low], mode="markers",
            name=f"low {label} (< -{Z_THRESHOLD} SD)",
            marker={"color": COLORS["anomaly"], "size": 11, "symbol": "circle-open",
                    "line": {"width": 2}},
            customdata=[getattr(a, f"{measure}_z") for a in low],
            hovertemplate=f"%{{x}}<br>{label} %{{y}}{unit}<br>z = %{{customdata:.2f}}"
                          "<extra></extra>",
        ), row=row, col=1)
        figure.update_yaxes(title_text=f"{label}{unit}", row=row, col=1)
    missed = [d for s in result.missed_streaks for d in s.missed]
    readiness = next(b for b in result.baselines if b.measure == "readiness")
    figure.add_trace(go.Scatter(
        x=missed, y=[readiness.mean] * len(missed), mode="markers",
        name="missed usual workout (streak)",
        marker={"color": COLORS["missed"], "size": 10, "symbol": "x"},
    ), row=1, col=1)
    for streak in result.missed_streaks:
        figure.add_vrect(x0=streak.start, x1=streak.end, fillcolor=COLORS["missed"],
                         opacity=0.12, line_width=0)
    return themed(figure, result.title)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def narrate(result: AnomalyResult) -> list[str]:
    sentences = []
    judged = [b for b in result.baselines if b.sufficient]
    if not judged:
        sentences.append(
            f"Too few days to know what is unusual for you: a measure needs at least "
            f"{result.min_n} days with a value before any day is called low."
        )
    else:
        bases = " and ".join(
            f"{'readiness' if b.measure == 'readiness' else 'HRV'} "
            f"(mean {b.mean:.0f}{'' if b.measure == 'readiness' else ' ms'}, SD {b.sd:.1f})"
            for b in judged
        )
        if result.anomaly_days:
            worst = min(result.anomaly_days,
                        key=lambda a: min(z for z in (a.readiness_z, a.hrv_z) if z is not None))
            sentences.append(
                f"{plural(len(result.anomaly_days), 'day')} fell more than {Z_THRESHOLD} SD below "
                f"your usual "
                f"{bases}; the lowest was {worst.day.isoformat()} (z = {result.effect_size:.1f})."
            )
        else:
            sentences.append(f"No day fell more than {Z_THRESHOLD} SD below your usual {bases}.")
    usual = [h.weekday for h in result.weekday_habits if h.usual]
    if not usual:
        sentences.append("No weekday is a regular workout day yet, so no missed workout is "
                         "flagged.")
    elif result.missed_streaks:
        longest = max(result.missed_streaks, key=lambda s: s.length)
        sentences.append(
            f"You usually train on {_and(usual)}; "
            f"{plural(len(result.missed_streaks), 'streak')} of missed usual workouts, the "
            f"longest {longest.length} in a row from "
            f"{longest.start.isoformat()} to {longest.end.isoformat()}."
        )
    else:
        sentences.append(f"You usually train on {_and(usual)} and missed no two of those "
                         "in a row.")
    sentences.append("A flagged day is a prompt to look, not a diagnosis: some low days happen "
                     "by chance.")
    return sentences
