"""Ten queries the dashboard really runs, built the way it builds them (Trino SQL):

- Overview: "today" (`app/dashboard/sql/today.sql`) and the 30-day KPIs against the 30 days
  before (the insights' daily rows over 60 days, `app/insights/daily_rows.sql`);
- Insights: the daily rows of the default 90-day period and of a year;
- Ask: the SQL the offline translator writes for the Ask tab's five example questions and for
  today's workout recommendation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[1]
TODAY_SQL = REPO / "app" / "dashboard" / "sql" / "today.sql"
ASK_QUESTIONS = (
    "What was my average readiness score last week?",
    "How many days did I work out in March?",
    "Show me days where my readiness dropped below 70",
    "What's the correlation between my sleep and readiness?",
    "Am I overtraining?",
    "What's my workout recommendation for today?",
)


def dashboard_queries(person_id: str, today: date) -> list[tuple[str, str]]:
    """(name, Trino SQL) of the ten queries."""
    from app.insights.base import Period
    from app.insights.loader import daily_rows_sql
    from app.nl2sql.offline import OfflineTranslator
    from app.serving.sql_guard import DIALECT

    today_sql = exp.replace_placeholders(
        sqlglot.parse_one(TODAY_SQL.read_text(), read=DIALECT), person_id=person_id, today=today
    ).sql(dialect=DIALECT, comments=False)
    queries = [
        ("overview: today", today_sql),
        ("overview: KPIs, 60 days", daily_rows_sql(person_id, Period.ending(today, 60))),
        ("insights: 90 days", daily_rows_sql(person_id, Period.ending(today, 90))),
        ("insights: 365 days", daily_rows_sql(person_id, Period.ending(today, 365))),
    ]
    translator = OfflineTranslator(today, person_id)
    queries += [(f"ask: {q}", translator.translate(q).sql) for q in ASK_QUESTIONS]
    return queries
