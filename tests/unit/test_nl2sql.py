"""NL-to-SQL on a synthetic 120-day person (delta-rs, DuckDB; no Spark, no Trino).

Claude is exercised end to end through the real anthropic SDK, pointed with `base_url` at a local
server on 127.0.0.1 that speaks the Messages API (`POST /v1/messages`, tool_use blocks). The
offline translator's answers are checked against values computed here in Python from the rows
written to the lake, and against the benchmark's gold SQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from statistics import mean

import anthropic
import numpy as np
import pytest

from app.nl2sql.ask import Asker
from app.nl2sql.benchmark import evaluate, load_benchmark, same_result
from app.nl2sql.dates import find_dates
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline import OfflineTranslator
from app.serving.engines.base import QueryResult
from app.serving.query_service import QueryService
from app.serving.sql_guard import guard_generated
from biolake.errors import ReadOnlyViolation
from tests.support.http_fakes import MessagesServer, serving_in_thread
from tests.support.nl2sql_person import AS_OF, synthetic_gold, write_lake

ALLOWED = {"daily_readiness_performance", "overtraining_risk", "workouts", "lake.workouts"}


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lake_env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings, lake = write_lake(tmp_path_factory.mktemp("nl2sql-home"))
    service = QueryService(settings, lake, use_cache=False)
    rows = [r for r in synthetic_gold().to_pylist() if r["person_id"] == "me"]
    return {"settings": settings, "lake": lake, "service": service, "rows": rows}


@pytest.fixture
def settings(lake_env: dict, tmp_path: Path):
    """The lake's settings with a home of this test's own (so translation caches never mix)."""
    return lake_env["settings"].model_copy(update={"home": tmp_path})


@pytest.fixture(scope="module")
def fake_anthropic() -> Iterator[MessagesServer]:
    with serving_in_thread(MessagesServer()) as server:
        yield server


@pytest.fixture
def claude(fake_anthropic: MessagesServer) -> Iterator[tuple[anthropic.Anthropic, MessagesServer]]:
    fake_anthropic.requests.clear()
    fake_anthropic.replies.clear()
    client = anthropic.Anthropic(
        api_key="test-key-not-secret",
        base_url=f"http://127.0.0.1:{fake_anthropic.server_port}",
        max_retries=0,
        timeout=10,
        http_client=anthropic.DefaultHttpxClient(trust_env=False),
    )
    yield client, fake_anthropic
    client.close()


def tool_reply(sql: str, number: int = 1, template: str = "") -> dict:
    return {
        "id": f"msg_{number}",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {
                "type": "tool_use",
                "id": f"toolu_{number}",
                "name": "answer_with_sql",
                "input": {
                    "sql": sql,
                    "relation": "daily_readiness_performance",
                    "rationale": "test reply",
                    "answer_template": template,
                },
            }
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 20},
    }


class Recorder:
    """The real query path, with every SQL that reached it written down."""

    def __init__(self, service: QueryService) -> None:
        self.service = service
        self.sql: list[str] = []

    def __call__(self, sql: str) -> QueryResult:
        self.sql.append(sql)
        return self.service.query(sql)


LAST_WEEK_SQL = (
    "SELECT avg(readiness_score) AS avg_readiness FROM daily_readiness_performance "
    "WHERE person_id = 'me' AND day BETWEEN DATE '2025-03-24' AND DATE '2025-03-30'"
)


def _days(rows: list[dict], first: date, last: date) -> list[dict]:
    return [r for r in rows if first <= r["day"] <= last]


# -- the guard ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("CREATE TABLE x AS SELECT 1", "only SELECT queries are allowed, not CREATE"),
        ("DROP VIEW overtraining_risk", "not DROP"),
        ("ALTER TABLE workouts ADD COLUMN x int", "not ALTER"),
        ("INSERT INTO workouts SELECT * FROM workouts", "not INSERT"),
        ("UPDATE workouts SET output_kj = 0", "not UPDATE"),
        ("DELETE FROM daily_readiness_performance", "not DELETE"),
        ("SELECT 1; SELECT 2", "exactly one statement, found 2"),
        ("SELECT 1 /* harmless */; DROP TABLE workouts", "exactly one statement, found 2"),
        ("SELECT * FROM workouts -- comment\n; DELETE FROM workouts", "exactly one statement"),
        ("SELECT * FROM system.runtime.nodes", "system catalogs and information_schema"),
        ("SELECT * FROM information_schema.columns", "system catalogs and information_schema"),
        ("SELECT * FROM lakehouse.information_schema.tables", "system catalogs"),
        ("SELECT * FROM TABLE(system.query(query => 'DELETE FROM x'))", "function query()"),
        ("SELECT * FROM TABLE(sequence(1, 5))", "table functions"),
        ("SELECT sleep(10)", "function sleep() has side effects"),
        ("SELECT * FROM workouts WHERE output_kj > pg_sleep(1)", "function pg_sleep()"),
        ("SELECT read_csv('/etc/passwd')", "function read_csv()"),
        ("SELECT getenv('HOME')", "function getenv()"),
        ("SELECT nextval('seq')", "function nextval()"),
    ],
)
def test_the_guard_refuses_and_says_why(sql: str, reason: str) -> None:
    with pytest.raises(ReadOnlyViolation) as refused:
        guard_generated(sql, ALLOWED, max_rows=100)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT day FROM daily_readiness_performance", "LIMIT 25"),
        ("SELECT day FROM daily_readiness_performance LIMIT 1000", "LIMIT 25"),
        ("SELECT day FROM daily_readiness_performance LIMIT 3", "LIMIT 3"),
        ("SELECT day FROM daily_readiness_performance FETCH FIRST 500 ROWS ONLY", "LIMIT 25"),
        (
            "SELECT day FROM workouts UNION ALL SELECT day FROM daily_readiness_performance",
            "LIMIT 25",
        ),
    ],
)
def test_the_guard_adds_or_caps_the_row_limit(sql: str, limit: str, lake_env: dict) -> None:
    guarded = guard_generated(sql, ALLOWED, max_rows=25).sql(dialect="trino")
    assert guarded.endswith(limit)
    rows = lake_env["service"].query(guarded).rows
    assert len(rows) == int(limit.split()[-1])


# -- relative dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("last week", [("2025-03-24", "2025-03-30")]),
        ("the past week", [("2025-03-25", "2025-03-31")]),
        ("in the last 30 days", [("2025-03-02", "2025-03-31")]),
        ("last 2 weeks", [("2025-03-18", "2025-03-31")]),
        ("yesterday", [("2025-03-30", "2025-03-30")]),
        ("last night", [("2025-03-31", "2025-03-31")]),
        ("in march", [("2025-03-01", "2025-03-31")]),
        ("in december", [("2024-12-01", "2024-12-31")]),  # the most recent December
        ("in april", [("2024-04-01", "2024-04-30")]),  # not a future one
        ("this month", [("2025-03-01", "2025-03-31")]),
        ("last month", [("2025-02-01", "2025-02-28")]),
        ("this year", [("2025-01-01", "2025-03-31")]),
        ("on march 15", [("2025-03-15", "2025-03-15")]),
        ("since march 1", [("2025-03-01", "2025-03-31")]),
        ("between 2025-02-10 and 2025-02-23", [("2025-02-10", "2025-02-23")]),
        (
            "last week compared to the week before",
            [("2025-03-24", "2025-03-30"), ("2025-03-17", "2025-03-23")],
        ),
        (
            "the last 30 days vs the previous 30 days",
            [("2025-03-02", "2025-03-31"), ("2025-01-31", "2025-03-01")],
        ),
        ("may i ask", []),  # "may" is a month only where a date says so
        ("hrv lately", [("2025-03-18", "2025-03-31")]),  # the last 14 days
        ("when did i most recently ride", []),  # "most recently" is "when did I last"
        ("the past fortnight", [("2025-03-18", "2025-03-31")]),
        ("in q1", [("2025-01-01", "2025-03-31")]),
        ("in q4", [("2024-10-01", "2024-12-31")]),  # the latest Q4 that has begun
        ("q2 2024", [("2024-04-01", "2024-06-30")]),
    ],
)
def test_relative_dates_resolve_against_as_of(text: str, spans: list[tuple[str, str]]) -> None:
    found = [(str(m.span.first), str(m.span.last)) for m in find_dates(text, AS_OF)]
    assert found == spans


def test_as_of_is_the_only_today() -> None:
    later = OfflineTranslator(AS_OF + timedelta(days=7)).translate("average readiness last week")
    assert "2025-03-31" in later.sql and "2025-04-06" in later.sql


# -- the offline translator: one question per family, against Python over the same rows -------------
def _ask_offline(settings, lake_env: dict, question: str):
    return Asker(settings, lake_env["lake"], lake_env["service"]).ask(question)


def test_aggregate_over_a_span(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "What was my average readiness score last week?")
    week = _days(lake_env["rows"], date(2025, 3, 24), date(2025, 3, 30))
    expected = mean(r["readiness_score"] for r in week if r["readiness_score"] is not None)
    assert answer.translator == "offline" and answer.cache_hit is False
    assert answer.rows == [[pytest.approx(expected)]]
    assert "last week (2025-03-24 to 2025-03-30)" in answer.answer


def test_aggregate_with_a_filter_and_grouping(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Average HRV on workout days by month")
    by_month: dict[str, list[float]] = {}
    for r in lake_env["rows"]:
        if r["had_workout"] and r["hrv_avg"] is not None:
            by_month.setdefault(r["day"].replace(day=1).isoformat(), []).append(r["hrv_avg"])
    assert {row[0]: row[1] for row in answer.rows} == {
        month: pytest.approx(mean(values)) for month, values in by_month.items()
    }


def test_a_value_on_one_day(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "How many steps did I take yesterday?")
    (yesterday,) = _days(lake_env["rows"], date(2025, 3, 30), date(2025, 3, 30))
    assert answer.rows == [[yesterday["steps"]]]


def test_counting_days(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "How many days did I work out in March?")
    march = _days(lake_env["rows"], date(2025, 3, 1), date(2025, 3, 31))
    assert answer.rows == [[sum(r["had_workout"] for r in march)]]


def test_listing_days_under_a_threshold(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Show me days where my readiness dropped below 70")
    expected = [
        [r["day"].isoformat(), r["readiness_score"]]
        for r in lake_env["rows"]
        if r["readiness_score"] is not None and r["readiness_score"] < 70
    ]
    assert answer.rows == expected and len(expected) > 5


def test_top_and_bottom_days(settings, lake_env: dict) -> None:
    best = _ask_offline(settings, lake_env, "What were my 5 best readiness days?")
    scored = [r for r in lake_env["rows"] if r["readiness_score"] is not None]
    top = sorted(scored, key=lambda r: (-r["readiness_score"], r["day"]))[:5]
    assert best.rows == [[r["day"].isoformat(), r["readiness_score"]] for r in top]
    # the best resting heart rate is the lowest one
    rhr = _ask_offline(settings, lake_env, "When was my best resting heart rate this year?")
    this_year = [r for r in scored if r["day"] >= date(2025, 1, 1)]
    # one day asked for: a tie goes to the latest day (the held-out file's convention)
    lowest = min(this_year, key=lambda r: (r["resting_hr"], -r["day"].toordinal()))
    assert rhr.rows == [[lowest["day"].isoformat(), lowest["resting_hr"]]]


def test_the_one_group_asked_for_is_named_in_the_answer(settings, lake_env: dict) -> None:
    """"Which weekday ...": the answer names the weekday (not ISO number 5) and its value; a
    month is said as "January 2025", not as its first day."""
    answer = _ask_offline(settings, lake_env, "Which weekday do I sleep best?")
    by_weekday: dict[int, list[float]] = {}
    for r in lake_env["rows"]:
        if r["sleep_score"] is not None:
            by_weekday.setdefault(r["day"].isoweekday(), []).append(r["sleep_score"])
    best = max(by_weekday, key=lambda d: mean(by_weekday[d]))
    assert answer.rows == [[best, pytest.approx(mean(by_weekday[best]))]]
    name = date(2025, 3, 24 + best - 1).strftime("%A")  # 2025-03-24 is a Monday
    assert answer.answer.startswith(f"{name}: ")

    months = _ask_offline(settings, lake_env, "Which month did I take the most steps?")
    month = date.fromisoformat(str(months.rows[0][0]))
    assert months.answer.startswith(f"{month:%B %Y}: ")


def test_comparing_two_periods(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Compare my sleep score in March vs February")
    march = [
        r["sleep_score"]
        for r in _days(lake_env["rows"], date(2025, 3, 1), date(2025, 3, 31))
        if r["sleep_score"] is not None
    ]
    february = [
        r["sleep_score"]
        for r in _days(lake_env["rows"], date(2025, 2, 1), date(2025, 2, 28))
        if r["sleep_score"] is not None
    ]
    assert answer.rows == [
        [
            pytest.approx(mean(march)),
            pytest.approx(mean(february)),
            pytest.approx(mean(march) - mean(february)),
        ]
    ]


def test_comparing_workout_and_rest_days(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Is my sleep better on workout days or rest days?")
    expected = {
        flag: mean(
            r["sleep_score"]
            for r in lake_env["rows"]
            if r["had_workout"] is flag and r["sleep_score"] is not None
        )
        for flag in (False, True)
    }
    assert {row[0]: row[1] for row in answer.rows} == {
        k: pytest.approx(v) for k, v in expected.items()
    }


def test_correlation_of_two_measures(settings, lake_env: dict) -> None:
    answer = _ask_offline(
        settings, lake_env, "What's the correlation between my sleep and readiness?"
    )
    pairs = [
        (r["sleep_score"], r["readiness_score"])
        for r in lake_env["rows"]
        if r["sleep_score"] is not None and r["readiness_score"] is not None
    ]
    r = np.corrcoef(np.array(pairs, dtype=float).T)[0, 1]
    assert answer.rows == [[pytest.approx(r), len(pairs)]]


def test_correlation_with_the_next_calendar_day(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Does my sleep score affect my next day's output?")
    by_day = {r["day"]: r for r in lake_env["rows"]}
    pairs = [
        (r["sleep_score"], by_day[r["day"] + timedelta(days=1)]["total_output_kj"])
        for r in lake_env["rows"]
        if r["sleep_score"] is not None
        and r["day"] + timedelta(days=1) in by_day
        and by_day[r["day"] + timedelta(days=1)]["total_output_kj"] > 0
    ]
    r = np.corrcoef(np.array(pairs, dtype=float).T)[0, 1]
    assert answer.rows == [[pytest.approx(r), len(pairs)]]


def test_am_i_overtraining(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Am I overtraining?")
    assert answer.relation == "overtraining_risk"
    assert [row[0] for row in answer.rows] == [
        (AS_OF - timedelta(days=n)).isoformat()
        for n in range(7)
        if AS_OF - timedelta(days=n) in {r["day"] for r in lake_env["rows"]}
    ]
    assert {row[3] for row in answer.rows} <= {"low_risk", "moderate_risk", "high_risk"}
    assert answer.answer.startswith(f"Your overtraining risk on {AS_OF}")


def test_best_workout_type_below_a_readiness(settings, lake_env: dict) -> None:
    answer = _ask_offline(
        settings, lake_env, "What's the best workout type when my readiness is below 75?"
    )
    recovery = {"yoga", "stretching", "meditation"}  # do not count against "cycling only"
    low = [
        r
        for r in lake_env["rows"]
        if r["had_workout"]
        and r["readiness_score"] is not None
        and r["readiness_score"] < 75
        and set(r["disciplines"]) - recovery == {"cycling"}
    ]
    rows = {row[0]: row for row in answer.rows}
    assert rows["cycling only"][1:] == [
        len(low),
        pytest.approx(mean(r["total_output_kj"] for r in low)),
    ]
    outputs = [row[2] for row in answer.rows]
    assert outputs == sorted(outputs, reverse=True) and all(row[1] >= 2 for row in answer.rows)


def test_trend_is_a_weekly_slope(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "Is my readiness improving?")
    window = [
        r
        for r in _days(lake_env["rows"], AS_OF - timedelta(days=29), AS_OF)
        if r["readiness_score"] is not None
    ]
    x = np.array([(r["day"] - AS_OF).days for r in window], dtype=float)
    slope = np.polyfit(x, np.array([r["readiness_score"] for r in window], dtype=float), 1)[0]
    assert answer.rows == [[pytest.approx(slope * 7), len(window)]]


def test_other_people_are_never_in_an_answer(settings, lake_env: dict) -> None:
    answer = _ask_offline(settings, lake_env, "How many days did I work out?")
    assert answer.rows == [[sum(r["had_workout"] for r in lake_env["rows"])]]
    partner = settings.model_copy(update={"person_id": "partner"})
    assert _ask_offline(partner, lake_env, "How many days did I work out?").rows != answer.rows


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("What's the weather tomorrow?", "weather"),
        ("What was my average readiness score when it rained?", "rained"),
        ("What was my median readiness last month?", "median"),
        ("Delete all my data", "delete"),
    ],
)
def test_it_says_when_it_does_not_understand(
    settings, lake_env: dict, question: str, unknown: str
) -> None:
    recorder = Recorder(lake_env["service"])
    asker = Asker(settings, lake_env["lake"], lake_env["service"], run_query=recorder)
    with pytest.raises(NotUnderstood) as refused:
        asker.ask(question)
    assert unknown in refused.value.reason
    assert "Try" in refused.value.suggestion or "for example" in refused.value.suggestion
    assert recorder.sql == []  # nothing ran: it never answers a different question


# -- the benchmark ---------------------------------------------------------------------------------
def test_the_benchmark_holds_the_original_questions() -> None:
    benchmark = load_benchmark()
    questions = {q.question for q in benchmark.questions}
    assert len(benchmark.questions) >= 60 and benchmark.as_of == AS_OF
    assert {
        "What was my average readiness score last week?",
        "What's the correlation between my sleep and readiness?",
        "Show me days where my readiness dropped below 70",
        "Am I overtraining?",
    } <= questions


def test_execution_accuracy_compares_rows_not_text() -> None:
    assert same_result([[1, 2.0]], [[2.0000000001, 1]], ordered=False)  # column order, tolerance
    assert same_result([["a"], ["b"]], [["b"], ["a"]], ordered=False)
    assert not same_result([["a"], ["b"]], [["b"], ["a"]], ordered=True)
    assert not same_result([[1.0]], [[1.1]], ordered=False)
    assert not same_result([[1], [1]], [[1]], ordered=False)  # multisets, not sets


def test_offline_execution_accuracy_on_the_benchmark(lake_env: dict) -> None:
    report = evaluate(lake_env["settings"], lake_env["lake"], "offline")
    failures = "\n".join(report.lines())
    assert report.accuracy >= 0.8, failures
    # the result sets are not trivially equal: most gold answers hold data
    assert sum(bool(o.sql) for o in report.outcomes) >= 0.8 * len(report.outcomes)


HELD_OUT = Path(__file__).parents[2] / "benchmarks" / "nl2sql" / "held_out.yaml"


def test_offline_accuracy_on_the_held_out_questions(lake_env: dict) -> None:
    """Issue 17's held-out file (written before the compositional reading): right, wrong and
    declined, on the test person. The acceptance is >= 85 % right and <= 2 % wrong."""
    report = evaluate(lake_env["settings"], lake_env["lake"], "offline", load_benchmark(HELD_OUT))
    failures = "\n".join(report.lines())
    total = len(report.outcomes)
    assert total >= 80
    assert report.count("correct") >= 0.95 * total, failures
    assert report.count("wrong") <= 0.02 * total, failures
    assert report.count("error") == 0, failures
    assert "right" in failures and "wrong" in failures and "declined" in failures


PARAPHRASES = sorted((Path(__file__).parents[2] / "benchmarks" / "nl2sql").glob("paraphrases*.yaml"))


@pytest.mark.parametrize("questions", PARAPHRASES, ids=lambda path: path.stem)
def test_offline_accuracy_on_the_paraphrase_families(lake_env: dict, questions: Path) -> None:
    """The rest of issue 17's benchmark: several wordings per intent. Acceptance for the full
    benchmark: >= 90 % right, <= 2 % wrong."""
    report = evaluate(lake_env["settings"], lake_env["lake"], "offline", load_benchmark(questions))
    failures = "\n".join(report.lines())
    total = len(report.outcomes)
    assert total >= 60
    assert report.count("correct") >= 0.9 * total, failures
    assert report.count("wrong") <= 0.02 * total, failures
    assert report.count("error") == 0, failures


@pytest.mark.parametrize(
    ("question", "without"),
    [
        (
            "What's the average readiness the day after a strength workout?",
            "What's the average readiness the day a strength workout?",
        ),
        (
            "What is my average HRV on days after a rest day?",
            "What is my average HRV on days a rest day?",
        ),
        (
            "What is my average readiness on the day before a rest day?",
            "What is my average readiness on the day a rest day?",
        ),
        (
            "Does my readiness correlate with my steps the day before?",
            "Does my readiness correlate with my steps the day?",
        ),
        (
            "How many calories do I burn per workout on average?",
            "How many calories do I burn workout on average?",
        ),
        ("Show my average steps per month", "Show my average steps month"),
        ("Average SpO2 per month", "Average SpO2 month"),
        (
            "What is my average HRV on days without a workout?",
            "What is my average HRV on days a workout?",
        ),
        ("What's my longest streak of rest days?", "What's my streak of rest days?"),
        ("What was my longest workout ever?", "What was my workout ever?"),
        ("What was my longest ride this year?", "What was my ride this year?"),
        (
            "What's the average readiness two days after a strength workout?",
            "What's the average readiness the day after a strength workout?",
        ),
        ("Average readiness by weekday", "Average readiness weekday"),
        ("What was my average output per ride in January?", "What was my average output in January?"),
        ("What was my readiness 3 days ago?", "What was my readiness 3 days?"),
        ("How many days since my last workout?", "How many days my last workout?"),
        ("What was my highest weekly output?", "What was my highest output?"),
        ("How many hours did I ride in February?", "How many did I ride in February?"),
        ("How many workouts did I do each week in March?", "How many workouts did I do in March?"),
        ("How far did I ride last month?", "How did I ride last month?"),
        ("What's my average HRV lately?", "What's my average HRV?"),
        ("Average sleep score the night before a ride", "Average sleep score a ride"),
        ("How many calories did I burn per ride in February?",
         "How many calories did I burn ride in February?"),
    ],
)
def test_a_dropped_word_never_gives_the_same_sql(question: str, without: str) -> None:
    translator = OfflineTranslator(AS_OF)
    sql = translator.translate(question).sql
    try:
        other = translator.translate(without).sql
    except NotUnderstood:
        return
    assert other != sql


@pytest.mark.parametrize(
    "question",
    [
        "What will the weather be like tomorrow?",
        "Do I ride better when it is sunny?",
        "How am I doing?",
        "What was my average heart rate?",  # resting, or in workouts?
        "What's the average readiness the day a strength workout?",
        "How does my HRV compare on days after strength vs after yoga?",
        "What was my readiness the day after my longest ride?",  # one ranked ride, not days
        "What's my average readiness the day after a ride longer than 45 minutes?",
        "What's my average SpO2 when my readiness is below 70?",
        "What's my streak of rest days?",  # current or longest?
    ],
)
def test_it_declines_rather_than_guess(question: str) -> None:
    with pytest.raises(NotUnderstood) as refused:
        OfflineTranslator(AS_OF).translate(question)
    assert refused.value.suggestion


def test_the_answer_says_how_the_question_was_understood(settings, lake_env: dict) -> None:
    answer = _ask_offline(
        settings, lake_env, "What's the average readiness the day after a strength workout?"
    )
    assert answer.as_json()["interpretation"] == (
        "Average readiness score, on the day after each strength workout, so far (up to 2025-03-31)"
    )
    legacy = _ask_offline(settings, lake_env, "What was my average readiness score last week?")
    assert "readiness score" in legacy.as_json()["interpretation"]
    assert "2025-03-24" in legacy.as_json()["interpretation"]


def test_a_measure_of_the_longest_ride_is_that_rides(settings, lake_env: dict) -> None:
    """'calories on my longest ride' is the longest ride's calories, not the most calories."""
    answer = _ask_offline(settings, lake_env, "How many calories did I burn on my longest ride?")
    longest = lake_env["service"].query(
        "SELECT day, discipline, title, duration_min, calories_kcal FROM workouts "
        "WHERE person_id = 'me' AND discipline = 'cycling' AND source <> 'apple_health' "
        "ORDER BY duration_min DESC, started_at DESC LIMIT 1"
    )
    assert answer.rows == longest.rows
    assert "and its calories" in answer.interpretation


def test_every_catalog_measure_is_a_column_of_the_live_schema(lake_env: dict) -> None:
    from app.nl2sql.catalog import MEASURES, WORKOUT_IDENTITY, WORKOUT_LIST

    columns = {(rel, col) for _, rel, col, _ in lake_env["service"].engine.columns()}
    for measure in MEASURES:
        assert (measure.relation, measure.column) in columns, measure.name
    for column in WORKOUT_IDENTITY + WORKOUT_LIST + ("started_local", "source", "instructor"):
        assert ("workouts", column) in columns


def test_every_day_measure_is_documented_in_the_core_view_header() -> None:
    """The catalog's day measures against the header comment of the core view (the contract)."""
    from app.nl2sql.catalog import DAY_MEASURES
    from app.serving.gold_views import load_views

    (core,) = [v for v in load_views() if v.name == "daily_readiness_performance"]
    for measure in DAY_MEASURES:
        assert measure.column in core.documentation, measure.column


def test_the_issue_examples_and_the_folder_benchmark(lake_env: dict) -> None:
    """benchmarks/nl2sql as one benchmark (held-out and paraphrase families)."""
    report = evaluate(
        lake_env["settings"], lake_env["lake"], "offline", load_benchmark(HELD_OUT.parent)
    )
    failures = "\n".join(report.lines())
    assert len(report.outcomes) >= 250
    assert report.accuracy >= 0.9, failures
    assert report.count("wrong") <= 0.02 * len(report.outcomes), failures


def test_offline_answers_are_fast(lake_env: dict) -> None:
    """p50 of translating the held-out questions (the SQL run is the engine's time)."""
    import time

    translator = OfflineTranslator(AS_OF)
    timings = []
    for question in load_benchmark(HELD_OUT).questions:
        started = time.perf_counter()
        try:
            translator.translate(question.question)
        except NotUnderstood:
            pass
        timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.1


# -- Claude, through the SDK, against a local Messages API -----------------------------------------
def test_claude_sees_the_live_schema_and_answers(settings, lake_env: dict, claude) -> None:
    client, server = claude
    server.replies.append(tool_reply(LAST_WEEK_SQL, template="Your average was {avg_readiness}."))
    answer = Asker(settings, lake_env["lake"], lake_env["service"], client=client).ask(
        "What was my average readiness score last week?"
    )
    assert answer.translator == "claude" and answer.fallback_reason is None
    assert answer.rows == lake_env["service"].query(LAST_WEEK_SQL).rows
    assert answer.answer == f"Your average was {answer.rows[0][0]:g}."  # filled here, locally
    (request,) = server.requests
    assert request["path"] == "/v1/messages"
    headers = request["headers"]  # the key travels as x-api-key or, in newer SDKs, a bearer token
    assert "test-key-not-secret" in (headers.get("x-api-key"), headers.get("authorization", "")[7:])
    assert headers["anthropic-version"]
    body = request["json"]
    system = body["system"]
    # the live catalog: DuckDB's types and the silver table only the lake has
    assert "readiness_score INTEGER" in system and "### lake.workouts (lake table)" in system
    assert "output_kj DOUBLE" in system
    # the views' header comments
    assert "moderate_risk  readiness < 70 with 3 workout days in the last 3" in system
    assert "Today is 2025-03-31 (a Monday)" in system and "person_id = 'me'" in system
    assert "information_schema" not in system.split("## Schema")[1]
    # the shared catalog of measures, the one the offline translator reads questions with
    assert "## Measures" in system and "oura_daily_spo2.spo2_average_pct" in system
    assert body["tool_choice"] == {"type": "tool", "name": "answer_with_sql"}
    assert body["tools"][0]["name"] == "answer_with_sql"
    assert body["model"] == settings.anthropic_model


def test_claude_repairs_sql_the_engine_rejects(settings, lake_env: dict, claude) -> None:
    client, server = claude
    server.replies += [
        tool_reply("SELECT avg(readines) FROM daily_readiness_performance", number=1),
        tool_reply(LAST_WEEK_SQL, number=2),
    ]
    answer = Asker(settings, lake_env["lake"], lake_env["service"], client=client).ask(
        "Average readiness last week?"
    )
    assert answer.translator == "claude"
    assert answer.rows == lake_env["service"].query(LAST_WEEK_SQL).rows
    _, second = server.requests
    result = second["json"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert result["tool_use_id"] == "toolu_1"
    assert "readines" in result["content"] and "DuckDB could not run the query" in result["content"]
    assert second["json"]["messages"][1]["content"][0]["input"]["sql"].startswith(
        "SELECT avg(readines)"
    )


def test_claude_sql_that_is_not_a_select_never_runs(settings, lake_env: dict, claude) -> None:
    client, server = claude
    recorder = Recorder(lake_env["service"])
    server.replies.append(tool_reply("DELETE FROM daily_readiness_performance"))
    strict = Asker(
        settings,
        lake_env["lake"],
        lake_env["service"],
        client=client,
        run_query=recorder,
        fallback=False,
    )
    with pytest.raises(ReadOnlyViolation, match="only SELECT queries are allowed, not DELETE"):
        strict.ask("Forget my readiness")
    assert recorder.sql == [] and len(server.requests) == 1  # refused: no run, no repair round
    # with the fallback, the offline translator answers instead, and says why
    server.replies.append(tool_reply("DROP TABLE daily_readiness_performance", number=2))
    answer = Asker(
        settings, lake_env["lake"], lake_env["service"], client=client, run_query=recorder
    ).ask("What was my average readiness score last week?")
    assert answer.translator == "offline" and "not DROP" in (answer.fallback_reason or "")
    assert all("DROP" not in sql and "DELETE" not in sql for sql in recorder.sql)


def test_claude_failing_falls_back_to_offline(settings, lake_env: dict, claude) -> None:
    client, server = claude  # no reply scripted: the server answers 500
    answer = Asker(settings, lake_env["lake"], lake_env["service"], client=client).ask(
        "How many days did I work out in March?"
    )
    assert answer.translator == "offline" and "Anthropic API failed" in answer.fallback_reason
    assert len(server.requests) == 1


def test_claude_answers_are_cached_per_question_and_schema(
    settings, lake_env: dict, claude
) -> None:
    client, server = claude
    server.replies.append(tool_reply(LAST_WEEK_SQL))
    asker = Asker(settings, lake_env["lake"], lake_env["service"], client=client)
    first = asker.ask("What was my average readiness score last week?")
    again = Asker(settings, lake_env["lake"], lake_env["service"], client=client).ask(
        "  what was my AVERAGE readiness score last week "
    )
    assert len(server.requests) == 1  # the second ask made no request
    assert (first.cache_hit, again.cache_hit) == (False, True)
    assert again.rows == first.rows and again.translator == "claude"
    (entry,) = (settings.home / "cache" / "nl2sql").iterdir()
    assert entry.stat().st_mode & 0o777 == 0o600
    assert (settings.home / "cache" / "nl2sql").stat().st_mode & 0o777 == 0o700
    # another "today" is another question: the cache does not answer it
    server.replies.append(tool_reply(LAST_WEEK_SQL, number=2))
    later = settings.model_copy(update={"as_of": AS_OF + timedelta(days=1)})
    Asker(later, lake_env["lake"], lake_env["service"], client=client).ask(
        "What was my average readiness score last week?"
    )
    assert len(server.requests) == 2


def _lake_values(rows: list[dict]) -> set[str]:
    """Distinctive row values of the lake as they would be written in JSON."""
    values = set()
    for r in rows:
        for column in (
            "hrv_avg",
            "total_output_kj",
            "total_sleep_hours",
            "max_avg_hr",
            "avg_watts",
        ):
            value = r[column]
            if isinstance(value, float) and value and not value.is_integer():
                values.add(json.dumps(value))
    return values


def test_no_row_values_reach_the_model_by_default(settings, lake_env: dict, claude) -> None:
    client, server = claude
    server.replies += [
        tool_reply("SELECT avg(hrv) FROM daily_readiness_performance", number=1),
        tool_reply(
            "SELECT day, hrv_avg FROM daily_readiness_performance WHERE person_id = 'me'",
            number=2,
            template="Your HRV on {day} was {hrv_avg}.",
        ),
    ]
    answer = Asker(settings, lake_env["lake"], lake_env["service"], client=client).ask(
        "List my HRV values"
    )
    assert len(answer.rows) == len(lake_env["rows"])  # the values exist, on this side only
    secret = _lake_values(lake_env["rows"])
    assert len(secret) > 100
    sent = " ".join(request["raw"] for request in server.requests)
    assert len(server.requests) == 2 and not [v for v in secret if v in sent]
    # the check can fail: a user who allows samples does send rows
    server.replies.append(tool_reply(LAST_WEEK_SQL, number=3))
    sharing = settings.model_copy(update={"nl2sql_share_data": "samples"})
    Asker(sharing, lake_env["lake"], lake_env["service"], client=client).ask("List my HRV values")
    assert [v for v in secret if v in server.requests[-1]["raw"]]
    assert math.isfinite(answer.elapsed_ms)


def test_every_family_the_planner_chooses_has_a_builder_and_every_builder_is_reachable():
    """The registry is a plain dict: a family planned without a builder would only fail when a
    person asks that question, so the planner's literal family names are checked here."""
    import ast
    import inspect

    from app.nl2sql.offline import BUILDERS, planning

    tree = ast.parse(inspect.getsource(planning))
    chosen = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) in ("plan", "Plan")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(chosen) >= 10
    assert chosen == set(BUILDERS), chosen ^ set(BUILDERS)


INSTRUCTORS = ("Matt Wilpers", "Will Ryan", "Jess King", "Jess Sims")


@pytest.mark.parametrize(
    ("question", "instructor"),
    [
        ("How many rides did I do with Matt Wilpers?", "Matt Wilpers"),
        ("How many rides did I do with Matt?", "Matt Wilpers"),
        ("My longest Jess King ride", "Jess King"),
        ("Average output in classes by Will this year", "Will Ryan"),
    ],
)
def test_an_instructor_named_filters_the_workouts(question: str, instructor: str) -> None:
    translation = OfflineTranslator(AS_OF, instructors=INSTRUCTORS).translate(question)
    assert f"instructor = '{instructor}'" in translation.sql
    assert f"with {instructor}" in translation.interpretation


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("How many classes with Jess did I take?", "Jess King or Jess Sims"),  # which Jess?
        ("What will my readiness be tomorrow?", "will"),  # a first name alone is a word
        ("Total output with Matt Wilpers and Jess King", "two instructors"),
        ("How many rides did I do with Matt Wilpers?", "matt"),  # no names given: not known
    ],
)
def test_instructor_names_never_guess(question: str, reason: str) -> None:
    names = () if reason == "matt" else INSTRUCTORS
    with pytest.raises(NotUnderstood) as refused:
        OfflineTranslator(AS_OF, instructors=names).translate(question)
    assert reason in refused.value.reason
