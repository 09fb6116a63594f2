"""The dashboard's store and views without a browser, on a small Delta lake written with
delta-rs (gold daily rows, an ingestion log, a quarantine): what each tab contains, the chat
answer and its plain errors, the stale-source warning, auth rules, /healthz on a real server
bound to 127.0.0.1, and OAuth: `biolake serve` (its own process) with the generic provider
pointed at a tiny OAuth server on 127.0.0.1, through a whole sign-in.

Panel's pending deprecations (widget `name`, `button_type`) are errors here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pandas as pd
import panel as pn
import pyarrow as pa
import pytest
from pydantic import SecretStr

from app.dashboard.server import auth_mode, auth_options, is_loopback, make_server
from app.dashboard.store import DashboardStore, WorkoutFilter
from app.dashboard.views import (
    AskView,
    DataView,
    InsightsView,
    OverviewView,
    ReportsView,
    TrendPanel,
    WorkoutsView,
    answer_view,
    build_app,
    chart_for,
)
from app.insights import ANALYZERS, Period, run_all
from biolake.errors import ConfigError
from tests.support.cli import DEMO_AS_OF
from tests.support.dashboard import free_port, serving, wait_for_health
from tests.support.http_fakes import JsonHandler, serving_in_thread
from tests.support.lakes import GOLD_SCHEMA, gold_rows, make_lake

pytestmark = pytest.mark.filterwarnings("error::PendingDeprecationWarning")

AS_OF = date(2025, 3, 31)
NOW = datetime(2025, 3, 31, 12, tzinfo=UTC)
QUARANTINE_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("_source", pa.string()), ("_dataset", pa.string()),
    ("_object_key", pa.string()), ("_position", pa.string()), ("_payload", pa.string()),
    ("_ingested_at", pa.timestamp("us", tz="UTC")), ("reason", pa.string()),
    ("quarantined_at", pa.timestamp("us", tz="UTC")),
])


WORKOUT_SCHEMA = pa.schema([  # the silver `workouts` columns the dashboard reads
    ("person_id", pa.string()), ("workout_id", pa.string()),
    ("started_at", pa.timestamp("us", tz="UTC")), ("day", pa.date32()),
    ("discipline", pa.string()), ("title", pa.string()), ("instructor", pa.string()),
    ("duration_min", pa.float64()), ("output_kj", pa.float64()), ("avg_watts", pa.float64()),
    ("avg_cadence_rpm", pa.float64()), ("avg_hr", pa.float64()),
    ("calories_kcal", pa.float64()), ("distance_km", pa.float64()), ("source", pa.string()),
])


def _workout(person: str, day: date, hour: int, discipline: str, minutes: float,
             output: float | None, instructor: str, source: str = "peloton_csv",
             minute: int = 0) -> dict:
    started = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return {"person_id": person, "workout_id": f"{source}-{started:%Y%m%d%H%M}-{discipline}",
            "started_at": started, "day": day, "discipline": discipline,
            "title": f"{minutes:.0f} min {discipline}", "instructor": instructor,
            "duration_min": minutes, "output_kj": output,
            "avg_watts": None if output is None else output * 1000 / (minutes * 60),
            "avg_cadence_rpm": 80.0 if output else None, "avg_hr": 120.0 + minutes / 2,
            "calories_kcal": minutes * 9, "distance_km": None, "source": source}


def workout_rows(days: list[date]) -> list[dict]:
    """Cycling (20 or 30 min, Mon/Wed/Fri, Ann), strength on Tuesdays (Bo), an Apple Health
    copy of one ride (5 minutes later: not counted), one Apple Health run of its own, and
    another person's ride."""
    rows = []
    for i, day in enumerate(days):
        if day.weekday() in (0, 2, 4):
            minutes = 20.0 if i % 2 else 30.0
            rows.append(_workout("me", day, 7, "cycling", minutes, 150.0 + 3 * i, "Ann"))
        elif day.weekday() == 1:
            rows.append(_workout("me", day, 18, "strength", 15.0, None, "Bo"))
    ride = next(r for r in rows if r["discipline"] == "cycling")
    rows.append(_workout("me", ride["day"], 7, "cycling", 30.0, 999.0, "Ann", "apple_health", 5))
    rows.append(_workout("me", days[-3], 12, "running", 40.0, None, "", "apple_health"))
    rows.append(_workout("other", days[-1], 7, "cycling", 30.0, 2000.0, "Ann"))
    return rows


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
    rows = gold_rows("me", days, seed=5) + gold_rows("other", days, seed=6)
    lake_dir = tmp_path / "lake"
    write_deltalake(str(lake_dir / "gold" / "daily_readiness_performance"),
                    pa.Table.from_pylist(rows, schema=GOLD_SCHEMA))
    write_deltalake(str(lake_dir / "silver" / "workouts"),
                    pa.Table.from_pylist(workout_rows(days), schema=WORKOUT_SCHEMA))
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
    rows = pd.DataFrame([r for r in gold_rows("me", [AS_OF - timedelta(days=89 - i)
                                                      for i in range(90)], seed=5)])
    last30 = rows[rows.day > AS_OF - timedelta(days=30)]
    before = rows[(rows.day <= AS_OF - timedelta(days=30)) & (rows.day > AS_OF - timedelta(60))]
    assert kpis["Readiness"].value == pytest.approx(last30.readiness_score.mean())
    assert kpis["Readiness"].delta == pytest.approx(last30.readiness_score.mean()
                                                    - before.readiness_score.mean())
    fresh = {s.source: s.stale for s in store.source_freshness()}
    assert fresh == {"oura_api": False, "peloton_csv": True}

    view = OverviewView(store=store).content()
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
    assert view.feed.objects[-1] is reply and not find(view.feed, "Answering...")


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
    from reports.archive import write_report
    from reports.week import Week
    from reports.weekly import build_report, render_html
    from tests.support.images import fake_png

    empty = ReportsView(store=store)
    empty.__panel__()
    assert empty.week is None
    rows = pd.DataFrame([r for r in gold_rows("me", [AS_OF - timedelta(days=40 - i)
                                                      for i in range(41)], seed=1)])
    week = Week.ending(date(2025, 3, 30))
    write_report(render_html(build_report(rows, "me", week, fake_png)), week,
                 store.settings.home / "out", store.lake)
    earlier = week.previous
    write_report(render_html(build_report(rows, "me", earlier, fake_png)), earlier,
                 store.settings.home / "out", store.lake)
    view = ReportsView(store=store)
    page = view.__panel__()  # the reports are listed when the tab opens
    assert view.param.week.objects == ["2025-W13", "2025-W12"] and view.week == "2025-W13"
    (listing,) = find(page, "weeks")
    assert "2 stored weeks, newest first: 2025-W13, 2025-W12" in listing.object
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


def test_build_app_has_the_six_tabs(store):
    app = build_app(store)
    (tabs,) = [o for o in app.objects if isinstance(o, pn.Tabs)]
    assert tabs._names == ["Overview", "Workouts", "Ask", "Insights", "Reports", "Data"]


def _gold(days: int) -> pd.DataFrame:
    rows = pd.DataFrame(gold_rows("me", [AS_OF - timedelta(days=89 - i) for i in range(90)],
                                  seed=5))
    return rows[rows.day > AS_OF - timedelta(days=days)].reset_index(drop=True)


def test_overview_trend_panel_has_7_day_means_weekly_load_and_anomaly_days(store):
    from app.insights import load_daily_rows
    from app.insights.anomalies import analyze

    trend = store.trend(30)
    assert trend.period == Period(date(2025, 3, 2), AS_OF) and len(trend.daily) == 30
    gold = pd.DataFrame(gold_rows("me", [AS_OF - timedelta(days=89 - i) for i in range(90)],
                                  seed=5)).set_index("day")
    expected = gold["readiness_score"].rolling(7).mean().iloc[-30:]
    assert list(trend.daily["readiness_score_7d"]) == pytest.approx(list(expected))
    assert list(trend.daily["hrv_avg_7d"]) == pytest.approx(
        list(gold["hrv_avg"].rolling(7).mean().iloc[-30:]))
    assert trend.weekly["output_kj"].sum() == pytest.approx(_gold(30)["total_output_kj"].sum())
    assert (trend.weekly["week"].dt.weekday == 0).all()
    period = Period.ending(AS_OF, 30)
    rows = load_daily_rows(store.queries, "me", Period(period.start - timedelta(6), AS_OF))
    flagged = analyze(rows, period).anomaly_days
    assert [d.date() for d in trend.anomalies["day"]] == [a.day for a in flagged]

    panel = TrendPanel(store=store, days=30)
    charts = panel.charts().select(pn.pane.Plotly)
    assert [c.name for c in charts] == ["trend-scores", "trend-body", "trend-load"]
    for chart in charts:
        assert chart.sizing_mode == "stretch_width" and chart.config["responsive"]
        assert any(len(trace.y) for trace in chart.object.data)
    panel.days = 365
    assert "365 days" in panel.charts().objects[0].object
    view = OverviewView(store=store).content()
    assert find(view, "trends") and find(view, "today") and find(view, "freshness")


def test_workouts_tab_filters_counts_bests_and_next_day_readiness(store):
    days = [AS_OF - timedelta(days=89 - i) for i in range(90)]
    expected = pd.DataFrame([r for r in workout_rows(days) if r["person_id"] == "me"
                             and r["output_kj"] != 999.0])
    every = store.workouts()
    assert len(every) == len(expected)  # the Apple Health copy of a ride is not counted
    assert every["started_at"].is_monotonic_decreasing
    assert every.groupby("discipline").size().to_dict() == \
        expected.groupby("discipline").size().to_dict()
    assert store.workout_choices() == (["cycling", "running", "strength"], ["", "Ann", "Bo"])
    rides = store.workouts(WorkoutFilter(discipline="cycling"))
    assert set(rides["discipline"]) == {"cycling"} and len(rides) == (expected.discipline ==
                                                                       "cycling").sum()
    assert set(store.workouts(WorkoutFilter(instructor="Bo"))["discipline"]) == {"strength"}
    recent = store.workouts(WorkoutFilter(days=30))
    assert recent["day"].min().date() > AS_OF - timedelta(days=30)
    # a filter value is a literal, never SQL
    assert store.workouts(WorkoutFilter(instructor="x' OR '1'='1")).empty

    from app.dashboard.store import next_day_readiness, personal_bests

    bests = personal_bests(every).set_index(["discipline", "length_min"])
    for minutes in (20, 30):
        cycling = expected[(expected.discipline == "cycling")
                           & (expected.duration_min == minutes)]
        assert bests.loc[("cycling", minutes), "output_kj"] == cycling.output_kj.max()
    assert ("strength", 15) not in bests.index  # no output, nothing to rank
    after = next_day_readiness(every, _gold(90)).set_index("after")
    gold = _gold(90).set_index("day")["readiness_score"]
    ride_days = sorted(set(expected[expected.discipline == "cycling"].day))
    following = [gold[d + timedelta(days=1)] for d in ride_days if d + timedelta(1) in gold]
    assert after.loc["cycling", "days"] == len(following)
    assert after.loc["cycling", "next_day_readiness"] == pytest.approx(sum(following)
                                                                        / len(following))
    assert "rest day" in after.index

    view = WorkoutsView(store=store)
    view.__panel__()
    assert view.param.discipline.objects == ["All", "cycling", "running", "strength"]
    content = view.content()
    (totals,) = find(content, "totals")
    assert 'data-discipline="cycling"' in totals.object
    assert 'data-column="apple_health"' in totals.object  # the workouts of each source
    (bests_table,) = find(content, "bests")
    assert "cycling" in bests_table.object
    (best30,) = find(content, "best-cycling-30")
    assert "Best 30-minute ride" in best30.object
    charts = content.select(pn.pane.Plotly)
    assert {c.name for c in charts} == {"workouts-over-time", "next-day-readiness"}
    (rows,) = find(content, "workouts")
    assert rows.pagination == "remote" and len(rows.value) == len(expected)
    view.discipline = "strength"
    (rows,) = find(view.content(), "workouts")
    assert set(rows.value["discipline"]) == {"strength"}


def test_ask_shows_the_interpretation_when_the_translator_gives_one(store):
    import dataclasses

    outcome = store.ask("Am I overtraining?")
    plain = answer_view(outcome)
    if "interpretation" not in outcome.answer.as_json():
        assert not find(plain, "interpretation")

    class Interpreted(type(outcome.answer)):
        def as_json(self) -> dict:
            return {**super().as_json(), "interpretation": "overtraining risk, latest day"}

    interpreted = Interpreted(**{f.name: getattr(outcome.answer, f.name)
                                 for f in dataclasses.fields(outcome.answer)})
    view = answer_view(dataclasses.replace(outcome, answer=interpreted))
    (line,) = find(view, "interpretation")
    assert "overtraining risk, latest day" in line.object
    assert view.objects.index(line) < view.objects.index(find(view, "sentence")[0])
    (copy,) = find(view, "Copy SQL")
    assert copy.label == "Copy SQL"


def test_ask_view_keeps_the_session_question_history(store):
    import asyncio

    view = AskView(store=store)
    asyncio.run(view.ask("Am I overtraining?"))
    asyncio.run(view.ask("what is the meaning of life?"))
    asyncio.run(view.ask("Am I overtraining?"))
    assert [b.label for b in view.history.objects] == ["Am I overtraining?",
                                                       "what is the meaning of life?"]


def test_auth_modes_and_no_reachable_server_without_auth(store):
    settings = store.settings
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
    # auto: none without a password, loopback only
    assert auth_mode(settings) == "none" and auth_options(settings, "127.0.0.1") == {}
    with pytest.raises(ConfigError, match="BIOLAKE_DASHBOARD_PASSWORD"):
        auth_options(settings, "0.0.0.0")
    # none, said explicitly, is refused beyond loopback too, even with a password set
    explicit = settings.model_copy(update={"dashboard_auth": "none",
                                           "dashboard_password": SecretStr("s3cret")})
    assert auth_options(explicit, "127.0.0.1") == {}
    with pytest.raises(ConfigError, match=r"0\.0\.0\.0, beyond this machine.*AUTH=none"):
        auth_options(explicit, "0.0.0.0")
    # basic
    secured = settings.model_copy(update={"dashboard_password": SecretStr("s3cret")})
    assert auth_mode(secured) == "basic"
    options = auth_options(secured, "0.0.0.0")
    assert options["basic_auth"] == {"biolake": "s3cret"} and len(options["cookie_secret"]) > 20
    with pytest.raises(ConfigError, match="AUTH=basic needs BIOLAKE_DASHBOARD_PASSWORD"):
        auth_options(settings.model_copy(update={"dashboard_auth": "basic"}), "127.0.0.1")


def test_oauth_options_name_what_is_missing(store):
    oauth = store.settings.model_copy(update={"dashboard_auth": "oauth"})
    with pytest.raises(ConfigError) as missing:
        auth_options(oauth, "0.0.0.0")
    for name in ("BIOLAKE_DASHBOARD_OAUTH_KEY", "BIOLAKE_DASHBOARD_OAUTH_SECRET",
                 "BIOLAKE_DASHBOARD_OAUTH_AUTHORIZE_URL", "BIOLAKE_DASHBOARD_OAUTH_TOKEN_URL"):
        assert name in str(missing.value)
    with pytest.raises(ConfigError, match="not one of Panel's OAuth providers"):
        auth_options(oauth.model_copy(update={"dashboard_oauth_provider": "myspace"}), "::1")
    github = oauth.model_copy(update={
        "dashboard_oauth_provider": "github", "dashboard_oauth_key": "id",
        "dashboard_oauth_secret": SecretStr("shh"), "dashboard_oauth_scopes": "read:user",
        "dashboard_cookie_secret": SecretStr("c" * 32)})
    options = auth_options(github, "0.0.0.0")
    assert options == {
        "oauth_provider": "github", "oauth_key": "id", "oauth_secret": "shh",
        "oauth_redirect_uri": None, "oauth_extra_params": {"scope": ["read:user"]},
        "cookie_secret": "c" * 32, "oauth_guest_endpoints": ["/healthz"]}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("password", [None, "s3cret"])
def test_server_health_endpoint_and_auth(store, password):
    settings = store.settings.model_copy(
        update={"dashboard_password": SecretStr(password) if password else None})
    port = free_port()
    thread = make_server(settings, store.lake, "127.0.0.1", port, threaded=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_health(base)
        health = httpx.get(f"{base}/healthz", timeout=2)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        page = httpx.get(f"{base}/", timeout=30, follow_redirects=False)
        if password:
            assert page.status_code in (302, 401, 403)
        else:
            assert page.status_code == 200 and "Bio-Lakehouse" in page.text
    finally:
        thread.stop()
        pn.config.nthreads = None  # make_server's thread pool: not for the tests after this


# -- OAuth -----------------------------------------------------------------------------------------
class OAuthProvider(JsonHandler):
    """The three endpoints of an OAuth 2 server, as Panel's generic provider uses them:
    /authorize sends the browser back with a code, /token trades it for an access token,
    /userinfo says whose token it is. `server.user` is who signs in next."""

    server: _OAuthServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append(("GET", url.path, query, dict(self.headers)))
        if url.path == "/authorize":
            code = f"code-{len(self.server.codes)}"
            self.server.codes[code] = self.server.user
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            user = self.server.tokens.get(token)
            self.reply_json(200 if user else 401, {"email": user} if user else {"error": "bad token"})
        else:
            self.reply_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.server.requests.append(("POST", self.path, form, dict(self.headers)))
        user = self.server.codes.pop(form.get("code", ""), None)
        if self.path != "/token" or user is None or form.get("client_secret") != "client-secret":
            self.reply_json(400, {"error": "invalid_grant"})
            return
        token = f"token-{len(self.server.tokens)}"
        self.server.tokens[token] = user
        self.reply_json(200, {"access_token": token, "token_type": "Bearer"})


class _OAuthServer(ThreadingHTTPServer):
    requests: list
    codes: dict[str, str]
    tokens: dict[str, str]
    user: str


@pytest.fixture()
def oauth_server() -> Iterator[_OAuthServer]:
    server = _OAuthServer(("127.0.0.1", 0), OAuthProvider)
    server.requests, server.codes, server.tokens, server.user = [], {}, {}, "me@example.org"
    with serving_in_thread(server):
        yield server


def _sign_in(client: httpx.Client, base: str) -> httpx.Response:
    """GET / and follow every redirect, through the provider and back; the last response."""
    response = client.get(f"{base}/")
    for _ in range(10):
        if response.status_code not in (301, 302, 303, 307):
            return response
        response = client.get(urljoin(str(response.url), response.headers["Location"]))
    raise AssertionError("too many redirects")


@pytest.mark.timeout(120)
def test_serve_with_generic_oauth_signs_in_through_the_provider(store, oauth_server):
    provider = f"http://127.0.0.1:{oauth_server.server_port}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "BIOLAKE_DASHBOARD_AUTH": "oauth",
        "BIOLAKE_DASHBOARD_OAUTH_PROVIDER": "generic",
        "BIOLAKE_DASHBOARD_OAUTH_KEY": "client-id",
        "BIOLAKE_DASHBOARD_OAUTH_SECRET": "client-secret",
        "BIOLAKE_DASHBOARD_OAUTH_AUTHORIZE_URL": f"{provider}/authorize",
        "BIOLAKE_DASHBOARD_OAUTH_TOKEN_URL": f"{provider}/token",
        "BIOLAKE_DASHBOARD_OAUTH_USER_URL": f"{provider}/userinfo",
        "BIOLAKE_DASHBOARD_OAUTH_REDIRECT_URI": f"{base}/login",
        "BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS": "me@example.org, partner@example.org",
        "BIOLAKE_DASHBOARD_COOKIE_SECRET": "a-cookie-secret-of-the-test-only-0123456789",
    }
    biolake = str(Path(sys.executable).with_name("biolake"))
    argv = [biolake, "--home", str(store.settings.home), "--as-of", DEMO_AS_OF, "serve",
            "--port", str(port)]
    with serving(argv, port, env), httpx.Client(timeout=30) as client:
        # the probe needs no sign-in
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        # unauthenticated, the page sends the browser to the provider with our client id
        location = ""
        response = client.get(f"{base}/")
        for _ in range(5):
            assert response.status_code in (301, 302, 303, 307), response.status_code
            location = urljoin(str(response.url), response.headers["Location"])
            if location.startswith(provider):
                break
            response = client.get(location)
        url = urlsplit(location)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider}/authorize"
        assert query["client_id"] == "client-id" and query["response_type"] == "code"
        assert query["redirect_uri"] == f"{base}/login" and query["state"]
        assert "client-secret" not in location

        # the whole sign-in: code → token (with our secret) → userinfo → the dashboard
        page = _sign_in(client, base)
        assert page.status_code == 200 and "Bio-Lakehouse" in page.text
        (token_request,) = [r for r in oauth_server.requests if r[:2] == ("POST", "/token")]
        form = token_request[2]
        assert form["client_id"] == "client-id" and form["client_secret"] == "client-secret"
        assert form["grant_type"] == "authorization_code"
        assert form["redirect_uri"] == f"{base}/login"

    # someone the provider knows, but not in BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS: refused
    oauth_server.user = "stranger@example.org"
    with serving(argv, port, env), httpx.Client(timeout=30) as client:
        page = _sign_in(client, base)
        assert page.status_code == 403 and "Bio-Lakehouse ·" not in page.text


def test_serve_refuses_a_reachable_server_without_auth(store):
    from tests.support.cli import run_cli

    run = run_cli(store.settings.home, "serve", "--host", "0.0.0.0", "--port", "1",
                  env={"BIOLAKE_DASHBOARD_AUTH": "none"}, timeout=120)
    assert run.returncode == 1
    assert "error: the dashboard would bind 0.0.0.0, beyond this machine" in run.stderr
