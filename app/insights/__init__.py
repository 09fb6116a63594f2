"""The five insight analyzers (pure: DataFrame in, typed result, Plotly figure and sentences
out), their shared base, and the thin loader that reads the rows through the read-only path."""

from app.insights.base import ALPHA, Analyzer, InsightInputError, InsightResult, Period
from app.insights.loader import daily_rows_sql, load_daily_rows
from app.insights.suite import ANALYZERS, Insight, as_json, as_text, run_all

__all__ = [
    "ALPHA",
    "ANALYZERS",
    "Analyzer",
    "Insight",
    "InsightInputError",
    "InsightResult",
    "Period",
    "as_json",
    "as_text",
    "daily_rows_sql",
    "load_daily_rows",
    "run_all",
]
