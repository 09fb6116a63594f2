"""The one place the insights touch data: one person's daily rows for a period, read through the
read-only query path (the QueryService with its guard and cache, or an engine's `query()`).

The query lives in `daily_rows.sql`. The engines take no bind parameters, so the person and the
dates are placed into the parsed query by sqlglot as typed literals (quoted by sqlglot, never by
string formatting) before the query goes through the same read-only guard as any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd
import sqlglot
from sqlglot import exp

from app.insights.base import Period
from app.serving.engines.base import QueryResult
from app.serving.sql_guard import DIALECT
from biolake.errors import QueryError

QUERY_FILE = Path(__file__).with_name("daily_rows.sql")


class ReadOnlyQueries(Protocol):
    """Anything that answers read-only SQL: `QueryService` or a `QueryEngine`."""

    def query(self, sql: str) -> QueryResult: ...


def daily_rows_sql(person_id: str, period: Period) -> str:
    """The Trino SQL for one person's rows in `period`."""
    parsed = sqlglot.parse_one(QUERY_FILE.read_text(), read=DIALECT)
    filled = exp.replace_placeholders(
        parsed, person_id=person_id, first_day=period.start, last_day=period.end
    )
    return filled.sql(dialect=DIALECT, comments=False)


def load_daily_rows(queries: ReadOnlyQueries, person_id: str, period: Period) -> pd.DataFrame:
    """The rows as a DataFrame (engine values: days as ISO strings, disciplines as lists)."""
    try:
        result = queries.query(daily_rows_sql(person_id, period))
    except QueryError as exc:
        # the usual cause is a lake without gold yet; say so next to the engine's own words
        raise QueryError(
            f"insights could not read gold.daily_readiness_performance (has `biolake etl` "
            f"built the gold table?): {exc}"
        ) from exc
    return pd.DataFrame(result.rows, columns=result.columns)
