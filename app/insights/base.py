"""What the five insight analyzers share: the period, the result shape, calendar alignment and
the two-group test.

Every analyzer is a module with three pure functions (no I/O, no clock, no global state):

    analyze(rows: DataFrame, period: Period) -> <Name>Result   statistics, typed
    visualize(result) -> plotly Figure                          in the shared dark theme
    narrate(result) -> list[str]                                 a few plain-English sentences

`rows` are rows of `gold.daily_readiness_performance` for one person; `daily_frame` turns them
into one row per calendar day. "Next day" is always the next calendar date, looked up by date,
never the next row: a missing day leaves day d unpaired instead of pairing it with d + 2.

Every result carries n, the threshold below which it concludes nothing (`min_n`), whether that
threshold is met (`sufficient`), and says so in its caveats and narration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from biolake.errors import BiolakeError

ALPHA = 0.05  # the significance level of every test; narration states it
ONE_DAY = pd.Timedelta(days=1)

# Columns that hold numbers (everything else an analyzer asks for is converted by name below).
_LIST_COLUMNS = {"disciplines"}
_BOOL_COLUMNS = {"had_workout"}


class InsightInputError(BiolakeError):
    """The rows given to an analyzer cannot be read: a missing column, a bad value, two people,
    or two rows for one day. The message names the column or the day."""


@dataclass(frozen=True)
class Period:
    """An inclusive range of calendar days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InsightInputError(f"period start {self.start} is after its end {self.end}")

    @classmethod
    def ending(cls, end: date, days: int) -> Period:
        """The `days` calendar days that end on `end` (inclusive)."""
        if days < 1:
            raise InsightInputError(f"a period needs at least one day, got days={days}")
        return cls(end - timedelta(days=days - 1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True, kw_only=True)
class InsightResult:
    """The fields every analyzer reports; analyzers subclass it with their own fields.

    `statistic`, `p_value` and `effect_size` may be None when the data cannot give them (too few
    values, no variation, or a descriptive analyzer with no test); `caveats` then says why.
    """

    analyzer: str
    title: str
    period: Period
    n: int  # the observations the statistic is computed from
    min_n: int  # below this, nothing is concluded (each analyzer documents why)
    sufficient: bool
    statistic: float | None
    statistic_name: str
    p_value: float | None
    effect_size: float | None
    effect_size_name: str
    alpha: float = ALPHA
    caveats: tuple[str, ...] = ()

    @property
    def significant(self) -> bool:
        """A finding only when there is enough data *and* the test rejects at `alpha`."""
        return self.sufficient and self.p_value is not None and self.p_value < self.alpha

    def to_json(self) -> dict[str, Any]:
        data = jsonable(asdict(self))
        data["period"] = {"start": self.period.start.isoformat(),
                          "end": self.period.end.isoformat(), "days": self.period.days}
        data["significant"] = self.significant
        return data


@dataclass(frozen=True)
class Analyzer:
    """One analyzer's three functions under a stable name (the key in JSON output)."""

    name: str
    title: str
    analyze: Callable[[pd.DataFrame, Period], InsightResult]
    visualize: Callable[[Any], go.Figure]
    narrate: Callable[[Any], list[str]]


# -- values -----------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """Result values → JSON values: dates as ISO strings, NaN as null, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def finite(value: Any) -> float | None:
    """A float, or None for missing / NaN / infinite (SciPy returns NaN for degenerate input)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def daily_frame(rows: pd.DataFrame, period: Period, columns: Sequence[str]) -> pd.DataFrame:
    """`columns` of the rows inside `period`, indexed by calendar day (a unique, sorted
    DatetimeIndex named `day`); numbers as floats, `disciplines` as tuples, `had_workout` as bool.

    Rows may come from an engine (days as ISO strings, lists as lists) or from Delta / pandas
    (dates, numpy arrays): both are accepted."""
    missing = [c for c in ("day", *columns) if c not in rows.columns]
    if missing:
        raise InsightInputError(
            f"daily_readiness_performance rows lack the column(s) {', '.join(missing)}"
        )
    if "person_id" in rows.columns and rows["person_id"].nunique(dropna=True) > 1:
        people = sorted(map(str, rows["person_id"].dropna().unique()))
        raise InsightInputError(f"rows of one person expected, got person_id {people}")
    try:
        days = pd.to_datetime(rows["day"]).dt.normalize()
    except (ValueError, TypeError) as exc:
        raise InsightInputError(f"column day: not a date ({exc})") from exc
    frame = rows.loc[:, list(columns)].copy()
    frame.index = pd.DatetimeIndex(days, name="day")
    inside = (frame.index >= pd.Timestamp(period.start)) & (frame.index <= pd.Timestamp(period.end))
    frame = frame.loc[inside].sort_index()
    duplicated = frame.index[frame.index.duplicated()]
    if len(duplicated):
        raise InsightInputError(
            f"column day: {duplicated[0].date()} appears more than once (one row per day expected)"
        )
    for column in columns:
        if column in _LIST_COLUMNS:
            frame[column] = [_as_tuple(v) for v in frame[column]]
        elif column in _BOOL_COLUMNS:
            # a missing flag counts as no workout: every workout sets it in gold
            frame[column] = frame[column].map(lambda v: bool(v) if _present(v) else False)
            frame[column] = frame[column].astype(bool)
        else:
            try:
                frame[column] = pd.to_numeric(frame[column]).astype(float)
            except (ValueError, TypeError) as exc:
                raise InsightInputError(f"column {column}: not a number ({exc})") from exc
    return frame


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):  # a single discipline rather than a list
        return (value.lower(),)
    return tuple(str(v).lower() for v in value)


def next_day(values: pd.Series) -> pd.Series:
    """For each day d of the index, the value on the calendar date d + 1 (NaN when that date
    has no row or no value). Looked up by date, so a gap never pairs d with d + 2."""
    following = values.reindex(values.index + ONE_DAY)
    following.index = values.index
    return following


def day_numbers(index: pd.DatetimeIndex, start: date) -> np.ndarray:
    """Calendar days since `start` (0, 1, ...), so regressions see gaps as gaps."""
    return np.asarray((index - pd.Timestamp(start)).days, dtype=float)


# -- two-group comparison ---------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """Descriptive statistics of one group of values."""

    n: int
    mean: float | None
    median: float | None
    q1: float | None
    q3: float | None


def summarize(values: Sequence[float] | np.ndarray) -> Summary:
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return Summary(0, None, None, None, None)
    q1, median, q3 = np.percentile(array, [25, 50, 75])
    return Summary(int(array.size), float(array.mean()), float(median), float(q1), float(q3))


@dataclass(frozen=True)
class GroupComparison:
    """Mann-Whitney U of `group` against `reference` (two-sided).

    `rank_biserial` = 2U / (n_group * n_reference) - 1 with U the statistic of `group`: +1 when
    every value of the group is above every reference value, -1 when below, 0 for full overlap.
    `p_adjusted` is Holm-corrected when an analyzer makes several comparisons, else equal to p.
    """

    group: str
    reference: str
    n_group: int
    n_reference: int
    median_group: float | None
    median_reference: float | None
    u_statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    rank_biserial: float | None
    sufficient: bool


def mann_whitney(group_name: str, group: Sequence[float], reference_name: str,
                 reference: Sequence[float], min_group: int) -> GroupComparison:
    a, b = np.asarray(group, dtype=float), np.asarray(reference, dtype=float)
    u = p = effect = None
    if a.size and b.size:
        test = stats.mannwhitneyu(a, b, alternative="two-sided")
        u, p = finite(test.statistic), finite(test.pvalue)
        effect = None if u is None else 2.0 * u / (a.size * b.size) - 1.0
    return GroupComparison(
        group=group_name, reference=reference_name, n_group=int(a.size), n_reference=int(b.size),
        median_group=summarize(a).median, median_reference=summarize(b).median,
        u_statistic=u, p_value=p, p_adjusted=p, rank_biserial=effect,
        sufficient=a.size >= min_group and b.size >= min_group,
    )


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None and is not counted as a test).

    Several comparisons at alpha 0.05 each would find "something" far more often than 5% of
    the time; Holm keeps the chance of any false finding at alpha and is never worse than
    Bonferroni."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[i] = running
    return adjusted


# -- narration --------------------------------------------------------------------------------
def format_p(p: float | None) -> str:
    if p is None:
        return "p not computable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def strength(effect: float | None) -> str:
    """Words for an r-family effect size (Pearson r, rank-biserial): Cohen's 0.1 / 0.3 / 0.5."""
    if effect is None:
        return "unknown"
    size = abs(effect)
    if size < 0.1:
        return "negligible"
    if size < 0.3:
        return "weak"
    if size < 0.5:
        return "moderate"
    return "strong"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def too_few(n: int, min_n: int, what: str, why: str) -> str:
    return (f"Only {n} {what}; at least {min_n} are needed before this can conclude anything "
            f"({why}).")

