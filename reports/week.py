"""The report's week and its headline numbers: pure values computed from gold daily rows.

    ReportError    a weekly report cannot be made (a bad week, a chart that cannot be rendered)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from app.insights import Period
from app.insights.base import daily_frame
from biolake.errors import BiolakeError

CONTEXT_DAYS = 28  # the analyzers see the week and the three weeks before it
WEEK_LABEL = re.compile(r"\d{4}-W\d{2}")


class ReportError(BiolakeError):
    """A weekly report cannot be made: a bad week, or a chart that cannot be rendered."""


@dataclass(frozen=True)
class Week:
    """One Monday-to-Sunday week."""

    start: date
    end: date

    @classmethod
    def ending(cls, sunday: date) -> Week:
        if sunday.weekday() != 6:
            raise ReportError(f"--week-ending {sunday} is a {sunday:%A}; a week ends on a Sunday")
        return cls(sunday - timedelta(days=6), sunday)

    @property
    def label(self) -> str:
        """The ISO week, e.g. 2025-W13 (the report's file name)."""
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def previous(self) -> Week:
        return Week(self.start - timedelta(days=7), self.end - timedelta(days=7))


def default_week(as_of: date) -> Week:
    """The last complete Monday-to-Sunday week before `as_of` (a Sunday as_of is not complete
    yet: the day is still running)."""
    return Week.ending(as_of - timedelta(days=as_of.weekday() + 1))


# -- KPIs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpi:
    name: str
    unit: str
    value: float | None
    previous: float | None
    higher_is_better: bool = True

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """"better", "worse" or "same" (for the colour of the delta)."""
        if self.delta is None or abs(self.delta) < 1e-9:
            return "same"
        return "better" if (self.delta > 0) == self.higher_is_better else "worse"


_KPI_COLUMNS = ("readiness_score", "sleep_score", "hrv_avg", "had_workout", "total_output_kj")


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _week_figures(daily: pd.DataFrame, week: Week) -> dict[str, float | None]:
    inside = daily.loc[pd.Timestamp(week.start):pd.Timestamp(week.end)]
    return {
        "readiness": _mean(inside["readiness_score"]),
        "sleep": _mean(inside["sleep_score"]),
        "hrv": _mean(inside["hrv_avg"]),
        "workouts": float(inside["had_workout"].sum()) if len(inside) else None,
        "output": float(inside["total_output_kj"].fillna(0).sum()) if len(inside) else None,
        "days": float(len(inside)),
    }


def weekly_kpis(rows: pd.DataFrame, week: Week) -> list[Kpi]:
    """The week's headline numbers and the previous week's, from the gold daily rows."""
    daily = daily_frame(rows, Period(week.previous.start, week.end), _KPI_COLUMNS)
    now, before = _week_figures(daily, week), _week_figures(daily, week.previous)
    return [
        Kpi("Average readiness", "", now["readiness"], before["readiness"]),
        Kpi("Average sleep score", "", now["sleep"], before["sleep"]),
        Kpi("Average HRV", "ms", now["hrv"], before["hrv"]),
        Kpi("Workout days", "", now["workouts"], before["workouts"]),
        Kpi("Total output", "kJ", now["output"], before["output"]),
        Kpi("Days with data", "", now["days"], before["days"]),
    ]
