"""The weekly report. On the demo person's lake (the real CLI in its own process): the five
insights' numbers are those `biolake insights --format json` prints for the same period, and the
KPIs those of `biolake sql`. On a small Delta lake written with delta-rs (no Spark, no Trino):
KPIs against the previous week, charts embedded as PNG data URIs rendered by kaleido with the
system Chromium, no external references, a rerun for the same week replaces the report, locally
and in the lake, and the narrative: Claude's (a local server speaking the Messages API on
127.0.0.1) from aggregates only, or the templates', visibly, when Claude is not configured,
fails, or --local-only forbids it."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from markupsafe import escape

from app.insights import ANALYZERS, Period
from reports.archive import LAKE_PREFIX, list_lake_reports, read_lake_report
from reports.week import CONTEXT_DAYS, ReportError, Week, default_week, weekly_kpis
from tests.support.cli import run_cli
from tests.support.http_fakes import MessagesServer, serving_in_thread
from tests.support.images import fake_png
from tests.support.lakes import GOLD_SCHEMA, gold_rows, make_lake

pytestmark = pytest.mark.browser  # kaleido draws the charts with Chromium

WEEK_END = date(2025, 3, 30)  # a Sunday
@pytest.fixture()
def small_lake(tmp_path, monkeypatch):
    """45 days of gold rows for `me` and another person, in a Delta table under tmp_path."""
    from deltalake import write_deltalake

    for name in [k for k in __import__("os").environ if k.startswith("BIOLAKE_")]:
        monkeypatch.delenv(name)
    days = [WEEK_END - timedelta(days=44 - i) for i in range(45)]
    rows = gold_rows("me", days, seed=3) + gold_rows("someone_else", days, seed=4)
    table = tmp_path / "lake" / "gold" / "daily_readiness_performance"
    write_deltalake(str(table), pa.Table.from_pylist(rows, schema=GOLD_SCHEMA))
    settings, lake = make_lake(tmp_path)
    return {"home": tmp_path, "settings": settings, "lake": lake, "rows": rows}


def test_default_week_is_the_last_complete_monday_to_sunday():
    assert default_week(date(2025, 3, 31)) == Week(date(2025, 3, 24), date(2025, 3, 30))
    assert default_week(date(2025, 4, 6)) == Week(date(2025, 3, 24), date(2025, 3, 30))  # Sunday
    assert default_week(date(2025, 4, 7)).end == date(2025, 4, 6)
    assert Week.ending(WEEK_END).label == "2025-W13"
    with pytest.raises(ReportError, match="Saturday"):
        Week.ending(date(2025, 3, 29))


def test_kpis_compare_the_week_with_the_previous_one(small_lake):
    rows = pd.DataFrame([r for r in small_lake["rows"] if r["person_id"] == "me"])
    week = Week.ending(WEEK_END)
    kpis = {k.name: k for k in weekly_kpis(rows, week)}
    this = rows[(rows.day >= week.start) & (rows.day <= week.end)]
    before = rows[(rows.day >= week.previous.start) & (rows.day <= week.previous.end)]
    readiness = kpis["Average readiness"]
    assert readiness.value == pytest.approx(this.readiness_score.mean())
    assert readiness.previous == pytest.approx(before.readiness_score.mean())
    assert readiness.delta == pytest.approx(this.readiness_score.mean()
                                            - before.readiness_score.mean())
    assert kpis["Workout days"].value == this.had_workout.sum()
    assert kpis["Total output"].previous == pytest.approx(before.total_output_kj.sum())


def _insights_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="insights-data">(.*?)</script>',
                      html, re.S)
    assert found, "the report embeds its results"
    return json.loads(found.group(1))


def _section(html: str, name: str) -> str:
    found = re.search(rf'<section class="insight" id="{name}".*?</section>', html, re.S)
    assert found, f"the report has no section {name}"
    return found.group(0)


def _attributes(tag: str) -> dict[str, str]:
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))


def test_demo_report_shows_the_numbers_of_biolake_insights_and_biolake_sql(demo_report):
    """The demo week's report against the real CLI's answers for the same period."""
    html = demo_report["path"].read_text()
    week = Week.ending(date(2025, 3, 30))
    assert demo_report["path"].name == f"{week.label}.html"
    assert "narrative: template" in demo_report["stdout"]
    period = Period.ending(week.end, CONTEXT_DAYS)
    run = run_cli(demo_report["home"], "insights", "--format", "json", "--days",
                  str(period.days), as_of=week.end.isoformat())
    assert run.returncode == 0, run.stderr[-3000:]
    cli = json.loads(run.stdout)
    assert cli.pop("engine") == "duckdb"
    assert cli["period"] == {"start": "2025-03-03", "end": "2025-03-30", "days": 28}
    assert list(cli["insights"]) == [a.name for a in ANALYZERS]

    # the embedded results are the CLI's document, every field and sentence
    assert _insights_data(html) == cli
    # and so are the numbers shown with each chart
    assert html.count('src="data:image/png;base64,') == 5
    for name, result in cli["insights"].items():
        section = _section(html, name)
        assert section.count("<img ") == 1
        (figure,) = re.findall(r'<figure class="chart"[^>]*>', section)
        shown = _attributes(figure)
        for field in ("n", "statistic", "p_value", "effect_size"):
            assert json.loads(shown[field.replace("_", "-")]) == result[field], (name, field)
        assert f"n = {result['n']} (needs {result['min_n']})" in section
        for sentence in result["narrative"]:  # the narrative is shown, HTML-escaped
            assert str(escape(sentence)) in section

    # the KPIs: the week and the week before, as SQL over the same gold table says
    sql = ("SELECT CASE WHEN day >= DATE '2025-03-24' THEN 'week' ELSE 'previous' END AS w, "
           "avg(readiness_score), avg(sleep_score), avg(hrv_avg), "
           "sum(CASE WHEN had_workout THEN 1 ELSE 0 END), sum(coalesce(total_output_kj, 0)), "
           "count(*) FROM daily_readiness_performance WHERE person_id = 'me' "
           "AND day BETWEEN DATE '2025-03-17' AND DATE '2025-03-30' GROUP BY 1")
    run = run_cli(demo_report["home"], "sql", sql, "--format", "json")
    assert run.returncode == 0, run.stderr[-3000:]
    by_week = {row[0]: row[1:] for row in json.loads(run.stdout)["rows"]}
    kpis = {a["kpi"]: a for a in map(_attributes, re.findall(r'<div class="kpi"[^>]*>', html))}
    names = ["Average readiness", "Average sleep score", "Average HRV", "Workout days",
             "Total output", "Days with data"]
    assert list(kpis) == names
    for i, name in enumerate(names):
        assert json.loads(kpis[name]["value"]) == pytest.approx(by_week["week"][i]), name
        assert json.loads(kpis[name]["previous"]) == pytest.approx(by_week["previous"][i]), name


# -- the narrative ---------------------------------------------------------------------------------
CLAUDE_TEXT = "Your readiness held up well this week & you trained on four days."


def text_reply(text: str) -> dict:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 20}}


@pytest.fixture()
def messages_api() -> Iterator[MessagesServer]:
    with serving_in_thread(MessagesServer()) as server:
        yield server


def _report_with_claude(small_lake, monkeypatch, server, *extra: str) -> tuple[str, str]:
    """`biolake report` (in process, charts faked) with a key and the local Messages API."""
    from click.testing import CliRunner

    import reports.weekly as weekly
    from biolake.cli import cli

    monkeypatch.setattr(weekly, "KaleidoRenderer", _FakeRenderer)
    env = {"BIOLAKE_ANTHROPIC_API_KEY": "test-key-not-secret",
           "BIOLAKE_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{server.server_port}",
           "BIOLAKE_ANTHROPIC_MAX_RETRIES": "0", "BIOLAKE_ANTHROPIC_TIMEOUT_S": "10"}
    out = small_lake["home"] / "out"
    run = CliRunner().invoke(cli, ["--home", str(small_lake["home"]), "--as-of", "2025-03-31",
                                   "report", "--out", str(out), *extra], env=env)
    assert run.exit_code == 0, run.output
    return (out / "2025-W13.html").read_text(), run.output


def test_claude_writes_the_narrative_from_aggregates_only(small_lake, monkeypatch, messages_api):
    messages_api.replies.append(text_reply(CLAUDE_TEXT + "\n\nKeep it up."))
    html, output = _report_with_claude(small_lake, monkeypatch, messages_api)

    (request,) = messages_api.requests
    assert request["path"] == "/v1/messages"
    headers = request["headers"]  # the SDK sends the key as x-api-key or as a bearer token
    assert "test-key-not-secret" in headers.get("x-api-key", "") + headers.get("authorization", "")
    body = request["json"]
    (message,) = body["messages"]
    facts = json.loads(message["content"].split("\n", 1)[1])
    # the aggregates: the week's KPIs as the report computes them, the analyses' statistics
    rows = pd.DataFrame([r for r in small_lake["rows"] if r["person_id"] == "me"])
    week = Week.ending(WEEK_END)
    kpis = {k["name"]: k for k in facts["kpis"]}
    this_week = rows[(rows.day >= week.start) & (rows.day <= week.end)]
    assert kpis["Average readiness"]["this_week"] == pytest.approx(
        this_week.readiness_score.mean(), abs=0.005)
    assert kpis["Workout days"]["this_week"] == this_week.had_workout.sum()
    assert [a["title"] for a in facts["analyses"]] == [a.title for a in ANALYZERS]
    assert all(set(a) >= {"n", "statistic", "p_value", "significant"} for a in facts["analyses"])
    # and nothing per record: no day but the week's and the period's bounds, no row fields,
    # no other person
    period = Period.ending(WEEK_END, CONTEXT_DAYS)
    bounds = {d.isoformat() for d in (week.start, week.end, period.start, period.end)}
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", request["raw"])) <= bounds
    for field in ('"day"', "readiness_score", "person_id", "someone_else", '"points"'):
        assert field not in request["raw"]

    assert 'data-narrative="claude"' in html and "narrative: claude" in html
    assert str(escape(CLAUDE_TEXT)) in html and "<p>Keep it up.</p>" in html
    assert "narrative: claude" in output


def test_the_template_narrative_when_claude_fails(small_lake, monkeypatch, messages_api):
    # no reply scripted: the local server answers 500
    html, output = _report_with_claude(small_lake, monkeypatch, messages_api)
    assert len(messages_api.requests) == 1
    assert 'data-narrative="template"' in html
    assert "narrative: template · Claude failed: the Anthropic API failed" in html
    assert "Average readiness was" in html  # the template's sentences
    assert "narrative: template" in output


def test_no_claude_without_a_key(small_lake, monkeypatch):
    from click.testing import CliRunner

    import reports.weekly as weekly
    from biolake.cli import cli

    monkeypatch.setattr(weekly, "KaleidoRenderer", _FakeRenderer)
    run = CliRunner().invoke(cli, ["--home", str(small_lake["home"]), "--as-of", "2025-03-31",
                                   "report", "--local-only"])
    assert run.exit_code == 0, run.output
    html = (small_lake["home"] / "reports" / "weekly" / "2025-W13.html").read_text()
    assert 'data-narrative="template"' in html and "Average readiness was" in html


def test_biolake_report_writes_a_self_contained_file_and_a_rerun_replaces_it(small_lake):
    """The real command with kaleido and Debian's Chromium: five real PNG charts."""
    # `make test` installs Chromium (`make browser`): its absence is a failure, not a skip
    assert shutil.which("chromium") or shutil.which("chromium-browser"), "run `make browser`"
    from click.testing import CliRunner

    from biolake.cli import cli

    home, lake = small_lake["home"], small_lake["lake"]
    out = home / "out"
    args = ["--home", str(home), "--as-of", "2025-03-31", "report", "--out", str(out)]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    local = out / "2025-W13.html"
    html = local.read_text()

    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 5
    assert all(base64.b64decode(i).startswith(b"\x89PNG") and len(i) > 5000 for i in images)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "<script src" not in html and "<link" not in html

    assert list_lake_reports(lake) == ["2025-W13"]
    assert read_lake_report(lake, "2025-W13") == html
    assert lake.list_keys(LAKE_PREFIX) == [f"{LAKE_PREFIX}/2025-W13.html"]

    # a rerun for the same week replaces both copies (new rows → different numbers)
    local.write_text("stale")
    with lake.open(f"{LAKE_PREFIX}/2025-W13.html"):
        pass
    run = CliRunner().invoke(cli, [*args, "--week-ending", "2025-03-30"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == ["2025-W13.html"]
    assert local.read_text().startswith("<!DOCTYPE html>")
    assert read_lake_report(lake, "2025-W13") == local.read_text()
    assert lake.list_keys(LAKE_PREFIX) == [f"{LAKE_PREFIX}/2025-W13.html"]


def test_local_only_sends_nothing_anywhere(small_lake, monkeypatch, messages_api):
    """With a key configured, --local-only still writes only the local file and asks no one."""
    messages_api.replies.append(text_reply(CLAUDE_TEXT))
    html, output = _report_with_claude(small_lake, monkeypatch, messages_api, "--local-only")
    lake = small_lake["lake"]
    assert messages_api.requests == []
    assert 'data-narrative="template"' in html and "--local-only" in html
    assert CLAUDE_TEXT not in html
    assert list_lake_reports(lake) == [] and "in the lake" not in output
    with pytest.raises(ReportError):
        read_lake_report(lake, "../../etc/passwd")
    with pytest.raises(ReportError):
        read_lake_report(lake, "../../etc/passwd")


class _FakeRenderer:
    def __enter__(self):
        return fake_png

    def __exit__(self, *_):
        return None
