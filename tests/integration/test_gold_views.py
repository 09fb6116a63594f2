"""The nine gold views on a real Trino server and on DuckDB over the same demo lake: the same
rows on both engines, core measures equal to pandas computed here from the gold table, Athena
engine v3 compatibility, and Trino's own refusal of anything but reading for the analyst."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlglot
import trino
from sqlglot import exp

from app.serving.engines.duckdb_engine import DuckDBEngine
from app.serving.engines.trino_engine import TrinoEngine, connect
from app.serving.gold_views import VIEW_NAMES, load_views
from app.serving.trino_catalog import apply_to_trino
from tests.support.cli import run_cli
from tests.support.lakes import read_delta

pytestmark = pytest.mark.spark

# Floating point: both engines sum and divide in IEEE doubles but in different orders, so
# averages and Pearson correlations may differ in the last bits. No approximate functions
# (approx_distinct, approx_percentile) are used by any view.
REL_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def engines(demo_lake: dict, trino_server) -> dict:
    first = apply_to_trino(demo_lake["lake"], trino_server.url, "biolake_writer")
    second = apply_to_trino(demo_lake["lake"], trino_server.url, "biolake_writer")
    return {
        "duckdb": DuckDBEngine(demo_lake["lake"]),
        "trino": TrinoEngine(trino_server.url, "analyst"),
        "first_apply": first,
        "second_apply": second,
    }


@pytest.fixture(scope="module")
def gold(demo_lake: dict) -> pd.DataFrame:
    frame = read_delta(demo_lake["lake"], "gold", "daily_readiness_performance")
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.sort_values("day").reset_index(drop=True)


def _rows(engine, view: str) -> tuple[list[str], list[list]]:
    result = engine.query(f"SELECT * FROM gold.{view}")
    return result.columns, sorted(result.rows, key=lambda row: [str(v) for v in row])


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-9)
    return a == b


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_every_view_gives_the_same_rows_on_trino_and_duckdb(engines, view: str) -> None:
    trino_columns, trino_rows = _rows(engines["trino"], view)
    duck_columns, duck_rows = _rows(engines["duckdb"], view)
    assert trino_columns == duck_columns
    assert len(trino_rows) == len(duck_rows) > 0
    for t_row, d_row in zip(trino_rows, duck_rows, strict=True):
        mismatches = [
            (column, t, d) for column, t, d in zip(trino_columns, t_row, d_row, strict=True)
            if not _same(t, d)
        ]
        assert not mismatches, f"{view}: {mismatches[:5]}"


def test_views_apply_twice_changes_nothing_the_second_time(engines) -> None:
    first, second = engines["first_apply"], engines["second_apply"]
    assert sorted(first.views_replaced) == sorted(VIEW_NAMES)
    assert "daily_readiness_performance" in first.registered
    assert not second.changed
    assert sorted(second.views_unchanged) == sorted(VIEW_NAMES)
    assert sorted(second.tables_unchanged) == sorted(first.registered)


def test_views_apply_on_an_empty_lake_waits_for_the_first_etl(tmp_path, trino_server, engines) -> None:
    # the chart's daily ETL CronJob runs `biolake etl && views apply` before any data arrived:
    # that must succeed (and leave the served views alone), not fail every day
    run = run_cli(tmp_path, "--engine", "trino", "views", "apply",
                  env={"BIOLAKE_TRINO_URL": trino_server.url})
    assert run.returncode == 0, run.stderr
    assert "0 tables registered" in run.stdout
    assert "9 views wait for tables the lake does not have yet (daily_readiness_performance)" in run.stdout
    assert engines["trino"].query("SELECT count(*) FROM gold.energy_state").rows[0][0] > 0


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE lakehouse.lake.intruder (a integer)",
        "INSERT INTO lakehouse.lake.workouts (person_id) VALUES ('x')",
        "DELETE FROM lakehouse.lake.workouts",
        "DROP TABLE lakehouse.lake.workouts",
        "DROP VIEW lakehouse.gold.energy_state",
        "CALL lakehouse.system.register_table(schema_name => 'lake', table_name => 'x', "
        "table_location => 'local:///gold/daily_readiness_performance')",
    ],
)
def test_trino_itself_refuses_the_analyst_anything_but_reading(trino_server, engines, statement) -> None:
    cursor = connect(trino_server.url, "analyst", "lakehouse").cursor()
    with pytest.raises(trino.exceptions.TrinoUserError) as refused:
        cursor.execute(statement)
        cursor.fetchall()
    assert refused.value.error_name == "PERMISSION_DENIED"


def test_user_facing_queries_run_as_the_analyst(engines) -> None:
    assert engines["trino"].query("SELECT current_user AS who").rows == [["analyst"]]


def test_sql_on_trino_through_the_cli(demo_lake: dict, trino_server, engines) -> None:
    run = run_cli(
        demo_lake["home"], "--engine", "trino", "sql", "--format", "json",
        "SELECT count(*) AS n FROM energy_state",
        env={"BIOLAKE_TRINO_URL": trino_server.url},
    )
    assert run.returncode == 0, run.stderr
    import json

    answer = json.loads(run.stdout)
    assert answer["engine"] == "trino"
    assert answer["rows"] == engines["duckdb"].query("SELECT count(*) AS n FROM energy_state").rows


# -- core measures against pandas -------------------------------------------------------------
def _calendar_mean(frame: pd.DataFrame, column: str, day: pd.Timestamp, days: int) -> float:
    window = frame[(frame["day"] > day - pd.Timedelta(days=days)) & (frame["day"] <= day)]
    return window[column].astype(float).mean()


def test_dashboard_30day_rolling_averages(engines, gold: pd.DataFrame) -> None:
    result = engines["duckdb"].query(
        "SELECT day, readiness_7d_avg, sleep_7d_avg, output_7d_avg, readiness_30d_avg "
        "FROM dashboard_30day ORDER BY day"
    )
    latest = gold["day"].max()
    expected_days = gold[gold["day"] > latest - pd.Timedelta(days=30)]["day"]
    assert [r[0] for r in result.rows] == [d.date().isoformat() for d in expected_days]
    for day, r7, s7, o7, r30 in result.rows:
        day = pd.Timestamp(day)
        for got, column, days in [(r7, "readiness_score", 7), (s7, "sleep_score", 7),
                                  (o7, "total_output_kj", 7), (r30, "readiness_score", 30)]:
            want = _calendar_mean(gold, column, day, days)
            assert (got is None and np.isnan(want)) or got == pytest.approx(want), (day, column)


def test_weekly_trends_aggregates(engines, gold: pd.DataFrame) -> None:
    frame = gold.assign(week=gold["day"] - pd.to_timedelta(gold["day"].dt.weekday, unit="D"))
    weeks = frame.groupby("week").agg(
        avg_readiness=("readiness_score", "mean"),
        total_output_kj=("total_output_kj", "sum"),
        workout_days=("had_workout", "sum"),
        days=("day", "size"),
    )
    result = engines["duckdb"].query(
        "SELECT week_start, avg_readiness, total_output_kj, workout_days, days_with_data, trend "
        "FROM weekly_trends"
    )
    assert len(result.rows) == len(weeks)
    for week_start, avg_readiness, output, workout_days, days, trend in result.rows:
        want = weeks.loc[pd.Timestamp(week_start)]
        assert output == pytest.approx(want["total_output_kj"])
        assert workout_days == want["workout_days"] and days == want["days"]
        if np.isnan(want["avg_readiness"]):
            assert avg_readiness is None
        else:
            assert avg_readiness == pytest.approx(want["avg_readiness"])
        previous = pd.Timestamp(week_start) - pd.Timedelta(days=7)
        if previous not in weeks.index or np.isnan(weeks.loc[previous, "avg_readiness"]):
            assert trend == "stable"


def _energy_state(row: pd.Series) -> str:
    r, s, h = row["readiness_score"], row["sleep_score"], row["hrv_balance"]
    if r >= 85 and s >= 88 and h >= 75:
        return "peak"
    if r >= 85 and s >= 80:
        return "high"
    if r >= 70 and s >= 65:
        return "moderate"
    if r >= 50:
        return "low"
    return "recovery_needed"


def test_energy_state_counts(engines, gold: pd.DataFrame) -> None:
    scored = gold[gold["readiness_score"].notna()].astype({"sleep_score": float, "hrv_balance": float})
    expected = scored.apply(_energy_state, axis=1).value_counts().to_dict()
    result = engines["duckdb"].query("SELECT energy_state, count(*) FROM energy_state GROUP BY 1")
    assert dict(result.rows) == expected
    assert len(expected) >= 3  # the demo person really moves between states


def test_readiness_performance_correlations_with_n(engines, gold: pd.DataFrame) -> None:
    workout_days = gold[gold["total_output_kj"] > 0].astype({"readiness_score": float, "sleep_score": float})
    segments = {
        "All Days": workout_days,
        "High Readiness (85+)": workout_days[workout_days["readiness_score"] >= 85],
        "Low Readiness (<70)": workout_days[workout_days["readiness_score"] < 70],
    }
    result = engines["trino"].query(
        "SELECT segment, sample_size, readiness_output_correlation, sleep_readiness_correlation "
        "FROM readiness_performance_correlation"
    )
    got = {row[0]: row[1:] for row in result.rows}
    assert set(got) == set(segments)
    for name, frame in segments.items():
        n, r_output, r_sleep = got[name]
        assert n == len(frame)
        want_output = frame["readiness_score"].corr(frame["total_output_kj"])
        want_sleep = frame["sleep_score"].corr(frame["readiness_score"])
        assert r_output == pytest.approx(want_output, rel=1e-9)
        assert r_sleep == pytest.approx(want_sleep, rel=1e-9)


def test_next_day_means_the_next_calendar_date(engines, gold: pd.DataFrame) -> None:
    result = engines["duckdb"].query("SELECT day, next_day, next_day_readiness FROM sleep_performance_prediction")
    readiness = gold.set_index("day")["readiness_score"]
    for day, next_day, next_readiness in result.rows:
        assert pd.Timestamp(next_day) == pd.Timestamp(day) + pd.Timedelta(days=1)
        want = readiness.get(pd.Timestamp(next_day))
        assert (next_readiness is None and pd.isna(want)) or next_readiness == want


# -- Athena engine v3 ---------------------------------------------------------------------------
# Functions of Athena engine v3 (Trino-based) that the views may use; from the Athena v3
# function list. A view using anything else fails this test until the function is checked.
ATHENA_V3_FUNCTIONS = {
    "AVG", "COUNT", "COUNT_IF", "SUM", "MAX", "MIN", "CORR", "COALESCE", "NULLIF", "CAST",
    "CARDINALITY", "CONTAINS", "DATE_TRUNC", "CASE", "IF",
}


def _functions(sql: str) -> set[str]:
    names = set()
    for node in sqlglot.parse_one(sql, read="athena").walk():
        if isinstance(node, exp.Anonymous):
            names.add(node.name.upper())
        elif isinstance(node, exp.Case):
            names.add("CASE")
        elif isinstance(node, exp.Func) and not isinstance(node, exp.Connector | exp.Binary):
            # the name as Athena's SQL spells it (sqlglot's class names differ: ArraySize)
            names.add(node.sql(dialect="athena").split("(", 1)[0].strip().upper())
    return names


@pytest.mark.parametrize("view", load_views(), ids=lambda v: v.name)
def test_views_parse_as_athena_and_use_only_athena_v3_functions(view) -> None:
    used = _functions(view.sql)
    assert used <= ATHENA_V3_FUNCTIONS, f"{view.name} uses {sorted(used - ATHENA_V3_FUNCTIONS)}"
    assert view.documentation.startswith(view.name)


def _value_on(frame: pd.DataFrame, column: str, day: pd.Timestamp):
    """The column's value on exactly `day`, or None when that calendar day has no row/value."""
    rows = frame.loc[frame["day"] == day, column]
    return None if rows.empty or pd.isna(rows.iloc[0]) else float(rows.iloc[0])


def test_three_day_averages_and_previous_day_are_calendar_based(engines, gold: pd.DataFrame) -> None:
    # the demo person has days without a row: a ROWS frame or "the previous row" would differ
    gaps = gold["day"].diff().dropna() > pd.Timedelta(days=1)
    assert gaps.any(), "the demo gold table has no missing day to tell calendar from rows"
    energy = engines["duckdb"].query(
        "SELECT day, readiness_3d_avg, sleep_3d_avg, output_3d_avg, readiness_change FROM energy_state")
    recommendations = engines["duckdb"].query(
        "SELECT day, readiness_3d_avg, previous_day_output_kj, previous_day_workout_count "
        "FROM workout_recommendations")
    assert len(energy.rows) == len(recommendations.rows) == gold["readiness_score"].notna().sum()
    one_day = pd.Timedelta(days=1)
    for day, r3, s3, o3, change in energy.rows:
        day = pd.Timestamp(day)
        for got, column in ((r3, "readiness_score"), (s3, "sleep_score"), (o3, "total_output_kj")):
            want = _calendar_mean(gold, column, day, 3)
            assert (got is None and np.isnan(want)) or got == pytest.approx(want), (day, column)
        before = _value_on(gold, "readiness_score", day - one_day)
        want_change = None if before is None else _value_on(gold, "readiness_score", day) - before
        assert change == want_change, day
    for day, r3, output, count in recommendations.rows:
        day = pd.Timestamp(day)
        assert r3 == pytest.approx(_calendar_mean(gold, "readiness_score", day, 3)), day
        assert output == _value_on(gold, "total_output_kj", day - one_day), day
        want_count = _value_on(gold, "workout_count", day - one_day)
        assert count == (None if want_count is None else int(want_count)), day
