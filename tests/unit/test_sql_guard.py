"""The read-only guard: one SELECT over allowed relations, nothing else, whatever the disguise."""

from __future__ import annotations

import pytest

from app.serving.sql_guard import check_read_only
from biolake.errors import ReadOnlyViolation

ALLOWED = {"daily_readiness_performance", "workouts"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT day, readiness_score FROM daily_readiness_performance WHERE day >= DATE '2025-01-01'",
        "WITH recent AS (SELECT * FROM workouts) SELECT count(*) FROM recent",
        "SELECT w.title FROM workouts w JOIN daily_readiness_performance d ON w.day = d.day",
        "SELECT 1 UNION ALL SELECT 2",
    ],
)
def test_read_only_selects_pass(sql: str) -> None:
    assert check_read_only(sql, ALLOWED).sql(dialect="trino")


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("DELETE FROM workouts", "only SELECT queries are allowed, not DELETE"),
        ("INSERT INTO workouts SELECT * FROM workouts", "not INSERT"),
        ("CREATE TABLE x AS SELECT 1", "not CREATE"),
        ("SELECT 1; DROP TABLE workouts", "exactly one statement, found 2"),
        ("SELECT * FROM workouts; -- harmless", None),
        ("SELECT * FROM system.runtime.nodes", "unknown relation"),
        ("SELECT * FROM other_table", "unknown relation 'other_table'"),
        ("SELECT * FROM (SELECT * FROM secrets) s", "unknown relation 'secrets'"),
        ("SELEC 1", "does not parse"),
    ],
)
def test_everything_else_is_refused(sql: str, fragment: str | None) -> None:
    if fragment is None:  # a trailing comment is still one statement
        check_read_only(sql, ALLOWED)
        return
    with pytest.raises(ReadOnlyViolation) as error:
        check_read_only(sql, ALLOWED)
    assert fragment in str(error.value)


def test_a_cte_name_does_not_open_other_relations() -> None:
    with pytest.raises(ReadOnlyViolation, match="unknown relation 'secrets'"):
        check_read_only("WITH a AS (SELECT * FROM secrets) SELECT * FROM a", ALLOWED)
