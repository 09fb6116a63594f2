"""Every query ends (issue 14): a query past the statement timeout (BIOLAKE_QUERY_TIMEOUT_S) is
stopped with one clear error within timeout + 2 s, through the real `biolake sql`; DuckDB
sessions run side by side on cursors of their own."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from tests.support.cli import run_cli

TIMEOUT_S = 3
CROSS_JOIN = ("SELECT count(*) FROM oura_heartrate a, oura_heartrate b, oura_heartrate c "
              "WHERE a.bpm + b.bpm + c.bpm < 0")


def _heart_rate_lake(home: Path, rows: int = 4000) -> None:
    """A lake with one silver table big enough that a three-way cross join runs for minutes."""
    from deltalake import write_deltalake

    table = pa.table({"person_id": ["me"] * rows, "bpm": [50 + i % 90 for i in range(rows)],
                      "timestamp_utc": pa.array(range(rows), pa.int64())})
    write_deltalake(str(home / "lake" / "silver" / "oura_heartrate"), table)


def test_a_query_past_the_timeout_ends_with_the_timeout_error_on_duckdb(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _heart_rate_lake(home)
    env = {"BIOLAKE_QUERY_TIMEOUT_S": str(TIMEOUT_S)}
    started = time.monotonic()
    quick = run_cli(home, "sql", "SELECT count(*) AS n FROM oura_heartrate", env=env)
    baseline = time.monotonic() - started  # start-up, loading the tables, one small query
    assert quick.returncode == 0, quick.stderr
    assert "4000" in quick.stdout

    started = time.monotonic()
    slow = run_cli(home, "sql", CROSS_JOIN, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert slow.returncode == 1
    assert "Traceback" not in slow.stderr
    (line,) = slow.stderr.strip().splitlines()
    assert line.startswith(f"error: the query ran longer than {TIMEOUT_S} s on duckdb and was stopped")
    assert elapsed <= baseline + TIMEOUT_S + 2, (elapsed, baseline)


def test_duckdb_sessions_do_not_wait_for_each_other(tmp_path: Path) -> None:
    """A slow query on one thread (the dashboard: one session) does not hold up another's."""
    from app.serving.engines.duckdb_engine import DuckDBEngine
    from biolake.errors import QueryTimeoutError
    from tests.support.lakes import make_lake

    home = tmp_path / "home"
    _heart_rate_lake(home)
    _, lake = make_lake(home)
    engine = DuckDBEngine(lake, timeout_s=TIMEOUT_S)
    outcome: dict = {}

    def slow() -> None:
        try:
            engine.query(CROSS_JOIN)
        except QueryTimeoutError as exc:
            outcome["slow"] = exc

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)  # the slow query is running
    started = time.monotonic()
    assert engine.query("SELECT count(*) FROM oura_heartrate").rows == [[4000]]
    assert time.monotonic() - started < 1.5  # not queued behind the slow one
    thread.join(timeout=TIMEOUT_S + 5)
    assert isinstance(outcome.get("slow"), QueryTimeoutError)
    # the engine stays usable after an interrupted query
    assert engine.query("SELECT max(bpm) FROM oura_heartrate").rows == [[139]]


@pytest.mark.trino
def test_a_query_past_the_timeout_ends_with_the_timeout_error_on_trino(demo_lake: dict, trino_server) -> None:
    """Through `biolake --engine trino sql`: Trino itself stops the query
    (query_max_execution_time) and the CLI says so in one line."""
    from app.serving.trino_catalog import apply_to_trino

    apply_to_trino(demo_lake["lake"], trino_server.url, "biolake_writer")  # idempotent
    env = {"BIOLAKE_TRINO_URL": trino_server.url, "BIOLAKE_QUERY_TIMEOUT_S": str(TIMEOUT_S)}
    started = time.monotonic()
    quick = run_cli(demo_lake["home"], "--engine", "trino", "sql",
                    "SELECT count(*) AS n FROM lake.oura_heartrate WHERE bpm < 0", env=env)
    baseline = time.monotonic() - started  # start-up, Trino's metadata, one small query
    assert quick.returncode == 0, quick.stderr

    started = time.monotonic()
    cross_join = CROSS_JOIN.replace("oura_heartrate", "lake.oura_heartrate")  # Trino's schema is gold
    slow = run_cli(demo_lake["home"], "--engine", "trino", "sql", cross_join, env=env, timeout=120)
    elapsed = time.monotonic() - started
    assert slow.returncode == 1, slow.stdout[-500:]
    assert "Traceback" not in slow.stderr
    (line,) = slow.stderr.strip().splitlines()
    assert line.startswith(f"error: the query ran longer than {TIMEOUT_S} s on trino and was stopped")
    assert elapsed <= baseline + TIMEOUT_S + 2, (elapsed, baseline)


def _slow_answer_reply() -> dict:
    """Claude's tool call answering with the cross join (it passes the guard: a read-only
    SELECT over an allowed table)."""
    return {"id": "msg_slow", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "tool_use", "id": "toolu_slow", "name": "answer_with_sql",
                         "input": {"sql": CROSS_JOIN, "relation": "oura_heartrate",
                                   "rationale": "every sample against every other",
                                   "answer_template": "{n}"}}],
            "stop_reason": "tool_use", "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20}}


def test_an_answer_past_the_timeout_ends_with_the_timeout_error_in_ask_and_the_dashboard(
    tmp_path: Path,
) -> None:
    """`biolake ask` and the dashboard's Ask: an answer whose query runs past the timeout is
    stopped and said so (one line in the CLI, the error in the dashboard), not retried or
    answered by the offline translator instead."""
    from pydantic import SecretStr

    from app.dashboard.store import DashboardStore
    from tests.support.http_fakes import MessagesServer, serving_in_thread
    from tests.support.lakes import make_lake

    home = tmp_path / "home"
    _heart_rate_lake(home)
    question = "How often is my heart rate higher than another sample's?"
    with serving_in_thread(MessagesServer()) as claude:
        env = {"BIOLAKE_QUERY_TIMEOUT_S": str(TIMEOUT_S),
               "BIOLAKE_ANTHROPIC_API_KEY": "test-key-not-secret",
               "BIOLAKE_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{claude.server_port}",
               "BIOLAKE_ANTHROPIC_MAX_RETRIES": "0", "BIOLAKE_ANTHROPIC_TIMEOUT_S": "10"}
        claude.replies.append(_slow_answer_reply())
        started = time.monotonic()
        asked = run_cli(home, "ask", question, env=env, timeout=120)
        elapsed = time.monotonic() - started
        assert asked.returncode == 1, asked.stdout[-500:]
        assert "Traceback" not in asked.stderr
        (line,) = asked.stderr.strip().splitlines()
        assert line.startswith(f"error: the query ran longer than {TIMEOUT_S} s on duckdb"), line
        assert len(claude.requests) == 1  # no repair asked for
        assert elapsed < 60  # the process start and the schema, plus the timeout

        claude.replies.append(_slow_answer_reply())
        settings, lake = make_lake(home)
        settings = settings.model_copy(update={
            "query_timeout_s": TIMEOUT_S, "anthropic_api_key": SecretStr("test-key-not-secret"),
            "anthropic_base_url": f"http://127.0.0.1:{claude.server_port}",
            "anthropic_max_retries": 0})
        store = DashboardStore(settings, lake)
        started = time.monotonic()
        outcome = store.ask(question)
        assert time.monotonic() - started <= TIMEOUT_S + 2 + 5  # schema and translation included
        assert outcome.answer is None
        assert f"ran longer than {TIMEOUT_S} s" in outcome.error
        assert len(claude.requests) == 2
