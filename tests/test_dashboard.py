"""The dashboard's store and views without a browser, on a small Delta lake written with
delta-rs (gold daily rows, an ingestion log, a quarantine): what each tab contains, the chat
answer and its plain errors, the stale-source warning, auth rules, and /healthz on a real
server bound to 127.0.0.1."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import httpx
import pandas as pd
import panel as pn
import pyarrow as pa
import pytest
from pydantic import SecretStr

from app.dashboard.server import auth_options, is_loopback, make_server
from app.dashboard.store import DashboardStore
from app.dashboard.views import (
    AskView,
    DataView,
    InsightsView,
    OverviewView,
    ReportsView,
    answer_view,
    build_app,
    chart_for,
)
from app.insights import ANALYZERS, Period, run_all
from biolake.errors import ConfigError
from tests.conftest import make_lake
from tests.test_insights import GOLD_SCHEMA, _gold_rows

AS_OF = date(2025, 3, 31)
NOW = datetime(2025, 3, 31, 12, tzinfo=UTC)
QUARANTINE_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("_source", pa.string()), ("_dataset", pa.string()),
    ("_object_key", pa.string()), ("_position", pa.string()), ("_payload", pa.string()),
    ("_ingested_at", pa.timestamp("us", tz="UTC")), ("reason", pa.string()),
    ("quarantined_at", pa.timestamp("us", tz="UTC")),
])


def _log_row(source: str, finished: datetime, status: str = "ingested") -> dict:
    return {"object_key": f"bronze/{source}/x/me/{source}{finished:%j}.json", "person_id": "me",
            "source": source, "dataset": "x", "original_name": f"{source}.json",
            "checksum_sha256": "0" * 64, "size_bytes": 10, "record_count": 3, "error_count": 0,
            "status": status, "error": None, "started_at": finished, "finished_at": finished,
            "window_start": None, "window_end": None}


@pytest.fixture()
def store(tmp_path, monkeypatch) -> DashboardStore:
    from deltalake import write_deltalake

    from ingest_workers.ingestion_log import SCHEMA as LOG_SCHEMA

    for name in [k for k in __import__("os").environ if k.startswith("BIOLAKE_")]:
        monkeypatch.delenv(name)
    days = [AS_OF - timedelta(days=89 - i) for i in range(90)]
    rows = _gold_rows("me", days, seed=5) + _gold_rows("other", days, seed=6)
    lake_dir = tmp_path / "lake"
    write_deltalake(str(lake_dir / "gold" / "daily_readiness_performance"),
                    pa.Table.from_pylist(rows, schema=GOLD_SCHEMA))
    log = [_log_row("oura_api", NOW - timedelta(hours=3)),
           _log_row("peloton_csv", NOW - timedelta(days=9))]
    write_deltalake(str(lake_dir / "_ops" / "ingestion_log"),
                    pa.Table.from_pylist(log, schema=LOG_SCHEMA))
    bad = [{"person_id": "me", "_source": "peloton_csv", "_dataset": "workouts",
            "_object_key": "bronze/peloton_csv/workouts/me/a.csv", "_position": "line 7",
            "_payload": "{}", "_ingested_at": NOW, "reason": "Workout Timestamp is not a date",
            "quarantined_at": NOW}]
    write_deltalake(str(lake_dir / "_ops" / "quarantine"),
                    pa.Table.from_pylist(bad, schema=QUARANTINE_SCHEMA))
    settings, lake = make_lake(tmp_path)
    settings = settings.model_copy(update={"as_of": AS_OF})
    return DashboardStore(settings, lake, now=NOW)


def find(viewable, name: str) -> list:
    """Every object named `name` in a Panel layout tree."""
    return [o for o in viewable.select() if getattr(o, "name", None) == name]


def test_overview_shows_today_kpis_recommendation_and_a_stale_warning(store):
    state = store.today_state()
    assert str(state["day"]) == "2025-03-31" and state["energy_state"]
    kpis = {k.name: k for k in store.kpis()}
    rows = pd.DataFrame([r for r in _gold_rows("me", [AS_OF - timedelta(days=89 - i)
                                                      for i in range(90)], seed=5)])
    last30 = rows[rows.day > AS_OF - timedelta(days=30)]
    before = rows[(rows.day <= AS_OF - timedelta(days=30)) & (rows.day > AS_OF - timedelta(60))]
    assert kpis["Readiness"].value == pytest.approx(last30.readiness_score.mean())
    assert kpis["Readiness"].delta == pytest.approx(last30.readiness_score.mean()
                                                    - before.readiness_score.mean())
    fresh = {s.source: s.stale for s in store.source_freshness()}
    assert fresh == {"oura_api": False, "peloton_csv": True}

    view = OverviewView(store=store).__panel__()
    assert find(view, "recommendation") and find(view, "energy")
    (warning,) = find(view, "stale-warning")
    assert "peloton_csv" in warning.object and "oura_api" not in warning.object
    assert find(view, "Readiness")


def test_ask_answers_with_sql_table_and_translator(store):
    outcome = store.ask("Am I overtraining?")
    assert outcome.error is None, outcome.error
    view = answer_view(outcome)
    (sql,) = find(view, "sql")
    assert sql.collapsed and "SELECT" in sql.objects[0].object.upper()
    assert "offline" in find(view, "translator")[0].object
    (result,) = find(view, "result")
    assert list(result.value.columns) == outcome.answer.columns
    assert find(view, "sentence")[0].object


def test_ask_shows_errors_plainly(store):
    outcome = store.ask("what is the meaning of life?")
    assert outcome.answer is None and "understand" in outcome.error
    view = answer_view(outcome)
    (error,) = find(view, "error")
    assert "Traceback" not in error.object and error.alert_type == "danger"
    assert store.ask("").error


def test_ask_view_offers_suggestions_and_answers_in_the_chat(store):
    import asyncio

    view = AskView(store=store)
    assert any(b.name == "Am I overtraining?" for b in view.suggestions)
    reply = asyncio.run(view.ask("Am I overtraining?"))
    assert find(reply, "sql") and find(reply, "result")
    assert view.feed.objects[-1] is reply and not find(view.feed, "pending")


def test_chart_only_when_the_shape_suits():
    series = pd.DataFrame({"day": ["2025-03-01", "2025-03-02"], "readiness": [70, 80]})
    assert chart_for(series).data[0].type == "scatter"
    bars = pd.DataFrame({"discipline": ["cycling", "yoga"], "n": [3, 4]})
    assert chart_for(bars).data[0].type == "bar"
    assert chart_for(pd.DataFrame({"avg": [71.2]})) is None
    assert chart_for(pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"]})) is None


def test_insights_tab_has_five_charts_matching_app_insights(store):
    view = InsightsView(store=store, days=30)
    content = view._insights()
    charts = [o for o in content.select(pn.pane.Plotly)]
    assert len(charts) == len(ANALYZERS) == 5
    period, insights = store.insights(30)
    assert period == Period(date(2025, 3, 2), AS_OF)
    from app.insights import load_daily_rows

    expected = run_all(load_daily_rows(store.queries, "me", period), period)
    assert [i.result.p_value for i in insights] == pytest.approx(
        [e.result.p_value for e in expected], nan_ok=True)
    view.days = 60
    assert "60 days" in view._insights().objects[0].object


def test_reports_tab_lists_and_shows_weekly_reports(store):
    from reports.weekly import Week, build_report, render_html, write_report
    from tests.test_weekly_report import fake_png

    assert ReportsView(store=store).week is None
    rows = pd.DataFrame([r for r in _gold_rows("me", [AS_OF - timedelta(days=40 - i)
                                                      for i in range(41)], seed=1)])
    week = Week.ending(date(2025, 3, 30))
    write_report(render_html(build_report(rows, "me", week, fake_png)), week,
                 store.settings.home / "out", store.lake)
    view = ReportsView(store=store)
    assert view.param.week.objects == ["2025-W13"] and view.week == "2025-W13"
    (frame,) = find(view._report(), "report")
    assert "srcdoc=" in frame.object and "Week 2025-W13" in frame.object


def test_data_tab_lists_ingestion_log_quarantine_and_tables(store):
    view = DataView(store=store).__panel__()
    (log,) = find(view, "ingestion-log")
    assert sorted(log.value["source"]) == ["oura_api", "peloton_csv"]
    (quarantine,) = find(view, "quarantine")
    assert list(quarantine.value["reason"]) == ["Workout Timestamp is not a date"]
    (tables,) = find(view, "tables")
    assert {"gold/daily_readiness_performance", "_ops/ingestion_log"} <= set(tables.value["table"])


def test_build_app_has_the_five_tabs(store):
    app = build_app(store)
    (tabs,) = [o for o in app.objects if isinstance(o, pn.Tabs)]
    assert tabs._names == ["Overview", "Ask", "Insights", "Reports", "Data"]


def test_auth_is_forced_beyond_loopback(store):
    settings = store.settings
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
    assert auth_options(settings, "127.0.0.1") == {}
    with pytest.raises(ConfigError, match="BIOLAKE_DASHBOARD_PASSWORD"):
        auth_options(settings, "0.0.0.0")
    secured = settings.model_copy(update={"dashboard_password": SecretStr("s3cret")})
    options = auth_options(secured, "0.0.0.0")
    assert options["basic_auth"] == {"biolake": "s3cret"} and len(options["cookie_secret"]) > 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("password", [None, "s3cret"])
def test_server_health_endpoint_and_auth(store, password):
    settings = store.settings.model_copy(
        update={"dashboard_password": SecretStr(password) if password else None})
    port = _free_port()
    thread = make_server(settings, store.lake, "127.0.0.1", port, threaded=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                __import__("time").sleep(0.1)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        page = httpx.get(f"{base}/", timeout=30, follow_redirects=False)
        if password:
            assert page.status_code in (302, 401, 403)
        else:
            assert page.status_code == 200 and "Bio-Lakehouse" in page.text
    finally:
        thread.stop()
