"""Everything the dashboard shows, read through the read-only query path or the lake's Delta
tables. No Panel widgets here: the views depend on this object, and tests call it directly.

Expensive reads are cached per lake state with `pn.cache` (the key includes the Delta table
versions, so a new ETL run is never hidden behind a cached answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn
import param
import sqlglot
from sqlglot import exp

from app.insights import Insight, Period, load_daily_rows, run_all
from app.nl2sql.errors import Nl2SqlError
from app.serving.query_service import LAYERS, QueryService, table_versions
from app.serving.sql_guard import DIALECT
from biolake.delta_tables import list_tables, open_table, read_arrow
from biolake.errors import BiolakeError
from biolake.lake import OPS, Lake
from biolake.settings import BiolakeSettings

SQL_DIR = Path(__file__).with_name("sql")
STALE_AFTER = timedelta(days=2)  # a source with no new object for longer is flagged stale
KPI_DAYS = 30
TREND_DAYS = (30, 90, 365)
TREND_MEASURES = {  # gold column -> label; each drawn as its 7-day mean
    "readiness_score": "Readiness", "sleep_score": "Sleep score", "hrv_avg": "HRV (ms)",
    "resting_hr": "Resting HR (bpm)", "total_output_kj": "Output (kJ/day)",
}
MEAN_DAYS = 7
WORKOUT_PERIODS = {"Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365, "All": None}
EARLIEST = date(1970, 1, 1)  # the first day of the "All" period


def fill_sql(name: str, **values: Any) -> str:
    """A query of `sql/<name>.sql` with its :placeholders replaced by sqlglot literals (None
    becomes NULL); a placeholder left without a value is an error, never sent."""
    parsed = sqlglot.parse_one((SQL_DIR / f"{name}.sql").read_text(), read=DIALECT)
    literals = {k: exp.null() if v is None else v for k, v in values.items()}
    filled = exp.replace_placeholders(parsed, **literals)
    missing = sorted({p.name for p in filled.find_all(exp.Placeholder)})
    if missing:
        raise ValueError(f"sql/{name}.sql needs values for {', '.join(missing)}")
    return filled.sql(dialect=DIALECT, comments=False)


@dataclass(frozen=True)
class KpiDelta:
    name: str
    value: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_ingested: datetime | None
    objects: int
    stale: bool


@dataclass(frozen=True)
class Trend:
    """The Overview's trend panel over `period`: every calendar day with the measures' 7-day
    means (`<column>_7d`), each ISO week's training load, and the anomaly analysis' low days."""

    period: Period
    daily: pd.DataFrame  # day (Timestamp), the TREND_MEASURES and their _7d means
    weekly: pd.DataFrame  # week (the Monday), output_kj, workout_minutes
    anomalies: pd.DataFrame  # day, readiness, hrv, low (the measures below the threshold)


@dataclass(frozen=True)
class WorkoutFilter:
    """Which workouts the Workouts tab shows: a period ending today (None: all of them), one
    discipline and one instructor (None: any)."""

    days: int | None = None
    discipline: str | None = None
    instructor: str | None = None


@dataclass(frozen=True)
class AskOutcome:
    """An answer, or the plain message of why there is none (never a stack trace)."""

    question: str
    answer: Any | None = None  # app.nl2sql.ask.Answer
    error: str | None = None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)


def _mean(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.mean()) if len(values) else None


class DashboardStore(param.Parameterized):
    """One person's lake as the dashboard sees it."""

    person_id = param.String(default="me", doc="Whose data")
    today = param.Date(doc="The 'today' of relative dates (settings.as_of or the clock)")
    insight_days = param.Integer(default=90, bounds=(14, 730), doc="Insights period, days")

    def __init__(self, settings: BiolakeSettings, lake: Lake, now: datetime | None = None,
                 **params: Any) -> None:
        super().__init__(person_id=settings.person_id, today=settings.today, **params)
        self.settings, self.lake = settings, lake
        self.queries = QueryService(settings, lake)
        self._now = now

    @property
    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def lake_state(self) -> tuple:
        """What a cached read depends on: the lake, the person and every table version."""
        return (self.lake.config.uri, self.person_id,
                tuple(sorted(table_versions(self.lake).items())))

    # -- overview ------------------------------------------------------------------------------
    def today_state(self) -> dict[str, Any] | None:
        result = self.queries.query(fill_sql("today", person_id=self.person_id, today=self.today))
        return dict(zip(result.columns, result.rows[0], strict=True)) if result.rows else None

    def kpis(self, days: int = KPI_DAYS) -> list[KpiDelta]:
        """Means of the last `days` days against the `days` before them."""
        rows = load_daily_rows(self.queries, self.person_id, Period.ending(self.today, 2 * days))
        if rows.empty:
            return []
        day = pd.to_datetime(rows["day"]).dt.date
        split = self.today - timedelta(days=days)
        now, before = rows[day > split], rows[day <= split]
        out = []
        for name, column in (("Readiness", "readiness_score"), ("Sleep score", "sleep_score"),
                             ("HRV (ms)", "hrv_avg"), ("Output per day (kJ)", "total_output_kj")):
            out.append(KpiDelta(name, _mean(now[column]), _mean(before[column])))
        workouts = KpiDelta("Workout days", float(now["had_workout"].fillna(False).sum()),
                            float(before["had_workout"].fillna(False).sum()) if len(before) else None)
        return [*out, workouts]

    def _ops_frame(self, table: str) -> pd.DataFrame:
        if table not in list_tables(self.lake, OPS):
            return pd.DataFrame()
        frame = read_arrow(self.lake, OPS, table).to_pandas()
        if "person_id" in frame.columns:
            frame = frame[frame["person_id"] == self.person_id]
        return frame.reset_index(drop=True)

    def source_freshness(self) -> list[SourceFreshness]:
        log = self.ingestion_log()
        if log.empty:
            return []
        out = []
        for source, group in log[log["status"] == "ingested"].groupby("source"):
            last = pd.to_datetime(group["finished_at"], utc=True).max()
            last_dt = None if pd.isna(last) else last.to_pydatetime()
            stale = last_dt is None or self.now - last_dt > STALE_AFTER
            out.append(SourceFreshness(str(source), last_dt, len(group), stale))
        return out

    def trend(self, days: int = 90) -> Trend:
        """The trend panel's data over the `days` days ending today (reads six days more, so
        the first day's 7-day mean has its week)."""
        from app.insights.anomalies import analyze

        period = Period.ending(self.today, days)
        result = self.queries.query(fill_sql(
            "trend", person_id=self.person_id,
            first_day=period.start - timedelta(days=MEAN_DAYS - 1), last_day=period.end))
        rows = pd.DataFrame(result.rows, columns=result.columns)
        return trend_of(rows, period, analyze(rows, period).anomaly_days)

    def workout_choices(self) -> tuple[list[str], list[str]]:
        """The person's disciplines and instructors, sorted."""
        result = self.queries.query(fill_sql("workout_choices", person_id=self.person_id))
        frame = pd.DataFrame(result.rows, columns=result.columns)
        return (sorted(frame["discipline"].dropna().astype(str).unique()),
                sorted(frame["instructor"].dropna().astype(str).unique()))

    def workouts(self, chosen: WorkoutFilter = WorkoutFilter()) -> pd.DataFrame:
        """The chosen workouts, newest first (each session once: see sql/workouts.sql)."""
        first = EARLIEST if chosen.days is None else Period.ending(self.today, chosen.days).start
        result = self.queries.query(fill_sql(
            "workouts", person_id=self.person_id, first_day=first, last_day=self.today,
            discipline=chosen.discipline, instructor=chosen.instructor))
        frame = pd.DataFrame(result.rows, columns=result.columns)
        frame["day"] = pd.to_datetime(frame["day"])
        frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True, format="ISO8601")
        for column in ("duration_min", "output_kj", "avg_watts", "avg_cadence_rpm", "avg_hr",
                       "calories_kcal", "distance_km"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame

    def next_day_readiness(self, workouts: pd.DataFrame, days: int | None) -> pd.DataFrame:
        """Mean readiness on the day after a workout of each discipline, and after a day
        without any ("rest day"), over the days of `workouts`' period that have a next day."""
        first = (EARLIEST if days is None else Period.ending(self.today, days).start)
        if days is None and len(workouts):
            first = workouts["day"].min().date()
        result = self.queries.query(fill_sql("trend", person_id=self.person_id,
                                             first_day=first, last_day=self.today))
        return next_day_readiness(workouts, pd.DataFrame(result.rows, columns=result.columns))

    # -- ask -----------------------------------------------------------------------------------
    def ask(self, question: str) -> AskOutcome:
        from app.nl2sql.ask import Asker

        try:
            answer = Asker(self.settings, self.lake, self.queries).ask(question)
        except (Nl2SqlError, BiolakeError) as exc:
            return AskOutcome(question, error=str(exc))
        return AskOutcome(question, answer, frame=pd.DataFrame(answer.rows, columns=answer.columns))

    # -- insights ------------------------------------------------------------------------------
    def insights(self, days: int | None = None) -> tuple[Period, list[Insight]]:
        period = Period.ending(self.today, days or self.insight_days)
        return period, _cached_insights(self, period.start, period.end)

    # -- reports -------------------------------------------------------------------------------
    def reports(self) -> list[str]:
        from reports.archive import list_lake_reports

        return list_lake_reports(self.lake)

    def report_html(self, label: str) -> str:
        from reports.archive import read_lake_report

        return read_lake_report(self.lake, label)

    # -- data ----------------------------------------------------------------------------------
    def ingestion_log(self) -> pd.DataFrame:
        frame = self._ops_frame("ingestion_log")
        if not frame.empty:
            frame = frame.sort_values("finished_at", ascending=False).reset_index(drop=True)
        return frame

    def quarantine(self) -> pd.DataFrame:
        frame = self._ops_frame("quarantine")
        keep = [c for c in ("quarantined_at", "_source", "_dataset", "_position", "reason",
                            "_object_key", "_payload") if c in frame.columns]
        return frame.loc[:, keep]

    def table_freshness(self) -> pd.DataFrame:
        rows = []
        for layer in LAYERS:
            for name in list_tables(self.lake, layer):
                table = open_table(self.lake, layer, name)
                (last,) = table.history(1)
                written = datetime.fromtimestamp(last["timestamp"] / 1000, UTC)
                rows.append({"table": f"{layer}/{name}", "version": table.version(),
                             "last_write": written, "operation": last.get("operation")})
        return pd.DataFrame(rows, columns=["table", "version", "last_write", "operation"])


def trend_of(rows: pd.DataFrame, period: Period, anomaly_days: Any = ()) -> Trend:
    """The trend of gold daily rows (which may start before `period` for the first means):
    calendar days without a row count as missing, not as zero."""
    frame = rows.copy()
    frame["day"] = pd.to_datetime(frame["day"])
    span = pd.date_range(pd.Timestamp(period.start) - pd.Timedelta(days=MEAN_DAYS - 1),
                         pd.Timestamp(period.end), freq="D", name="day")
    daily = frame.set_index("day").reindex(span)
    for column in TREND_MEASURES:
        values = pd.to_numeric(daily[column], errors="coerce")
        daily[column] = values
        daily[f"{column}_7d"] = values.rolling(MEAN_DAYS, min_periods=1).mean()
    daily["workout_minutes"] = pd.to_numeric(daily["workout_minutes"], errors="coerce")
    daily = daily.loc[pd.Timestamp(period.start):].reset_index()
    week = daily["day"] - pd.to_timedelta(daily["day"].dt.weekday, unit="D")
    weekly = (daily.assign(week=week)
              .groupby("week", as_index=False)
              .agg(output_kj=("total_output_kj", "sum"), workout_minutes=("workout_minutes", "sum")))
    anomalies = pd.DataFrame(
        [{"day": pd.Timestamp(a.day), "readiness": a.readiness, "hrv": a.hrv,
          "low": ", ".join(a.low)} for a in anomaly_days],
        columns=["day", "readiness", "hrv", "low"])
    return Trend(period, daily, weekly, anomalies)


def personal_bests(workouts: pd.DataFrame) -> pd.DataFrame:
    """Per discipline and class length (whole minutes), the workout with the highest output:
    e.g. the best 20- and 30-minute rides. Workouts without output or length are not ranked."""
    ranked = workouts.dropna(subset=["output_kj", "duration_min"])
    ranked = ranked.assign(length_min=ranked["duration_min"].round().astype(int))
    ranked = ranked[ranked["length_min"] > 0]  # a length the export left blank or zero
    if ranked.empty:
        return pd.DataFrame(columns=["discipline", "length_min", "output_kj", "avg_watts",
                                     "day", "title", "instructor", "workouts"])
    best = ranked.loc[ranked.groupby(["discipline", "length_min"])["output_kj"].idxmax()]
    counts = ranked.groupby(["discipline", "length_min"]).size().rename("workouts")
    best = best.join(counts, on=["discipline", "length_min"])
    return (best.loc[:, ["discipline", "length_min", "output_kj", "avg_watts", "day", "title",
                         "instructor", "workouts"]]
            .sort_values(["discipline", "length_min"]).reset_index(drop=True))


def next_day_readiness(workouts: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Mean next-day readiness per discipline (a day with two disciplines counts for both) and
    after rest days, from the gold daily rows `daily` (day, readiness_score, had_workout)."""
    columns = ["after", "days", "next_day_readiness"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    days = daily.assign(day=pd.to_datetime(daily["day"]))
    readiness = pd.to_numeric(days.set_index("day")["readiness_score"], errors="coerce")
    following = readiness.reindex(readiness.index + pd.Timedelta(days=1)).to_numpy()
    next_day = pd.Series(following, index=readiness.index).dropna()
    trained = workouts.loc[:, ["day", "discipline"]].drop_duplicates()
    trained = trained.assign(next_day=trained["day"].map(next_day)).dropna(subset=["next_day"])
    per_type = (trained.groupby("discipline")["next_day"].agg(["count", "mean"]).reset_index()
                .rename(columns={"discipline": "after", "count": "days", "mean": "next_day_readiness"}))
    rest = next_day[~next_day.index.isin(set(days.loc[days["had_workout"].fillna(False)
                                                      .astype(bool), "day"]))]
    rows = per_type.sort_values("next_day_readiness", ascending=False)
    if len(rest):
        rows = pd.concat([rows, pd.DataFrame([{"after": "rest day", "days": len(rest),
                                               "next_day_readiness": float(rest.mean())}])])
    return rows.loc[:, columns].reset_index(drop=True)


def _store_key(store: DashboardStore) -> bytes:
    # the key is the lake state (table versions), never the store's identity
    return repr(store.lake_state()).encode()


@pn.cache(max_items=32, hash_funcs={DashboardStore: _store_key})
def _cached_insights(store: DashboardStore, start: date, end: date) -> list[Insight]:
    period = Period(start, end)
    rows = load_daily_rows(store.queries, store.person_id, period)
    return run_all(rows, period)
