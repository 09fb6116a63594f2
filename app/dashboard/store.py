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


def fill_sql(name: str, **values: Any) -> str:
    """A query of `sql/<name>.sql` with its :placeholders replaced by sqlglot literals."""
    parsed = sqlglot.parse_one((SQL_DIR / f"{name}.sql").read_text(), read=DIALECT)
    return exp.replace_placeholders(parsed, **values).sql(dialect=DIALECT, comments=False)


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


def _store_key(store: DashboardStore) -> bytes:
    # the key is the lake state (table versions), never the store's identity
    return repr(store.lake_state()).encode()


@pn.cache(max_items=32, hash_funcs={DashboardStore: _store_key})
def _cached_insights(store: DashboardStore, start: date, end: date) -> list[Insight]:
    period = Period(start, end)
    rows = load_daily_rows(store.queries, store.person_id, period)
    return run_all(rows, period)
