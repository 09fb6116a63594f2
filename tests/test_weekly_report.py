"""The weekly report on a small Delta lake written with delta-rs (no Spark, no Trino): the five
insights with the numbers `app.insights` gives for the same period, KPIs against the previous
week, charts embedded as PNG data URIs rendered by kaleido with the system Chromium, no external
references, and a rerun for the same week replaces the report, locally and in the lake."""

from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from markupsafe import escape

from app.insights import ANALYZERS, Period, load_daily_rows, run_all
from app.query_service import QueryService
from reports.weekly import (
    CONTEXT_DAYS,
    LAKE_PREFIX,
    ReportError,
    Week,
    build_report,
    default_week,
    list_lake_reports,
    read_lake_report,
    render_html,
    weekly_kpis,
)
from tests.conftest import make_lake
from tests.test_insights import GOLD_SCHEMA, _gold_rows

WEEK_END = date(2025, 3, 30)  # a Sunday
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def fake_png(_figure) -> bytes:
    return PNG_1PX


@pytest.fixture()
def small_lake(tmp_path, monkeypatch):
    """45 days of gold rows for `me` and another person, in a Delta table under tmp_path."""
    from deltalake import write_deltalake

    for name in [k for k in __import__("os").environ if k.startswith("BIOLAKE_")]:
        monkeypatch.delenv(name)
    days = [WEEK_END - timedelta(days=44 - i) for i in range(45)]
    rows = _gold_rows("me", days, seed=3) + _gold_rows("someone_else", days, seed=4)
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


def test_report_holds_the_five_insights_with_the_numbers_of_app_insights(small_lake):
    settings, lake = small_lake["settings"], small_lake["lake"]
    week = Week.ending(WEEK_END)
    period = Period.ending(WEEK_END, CONTEXT_DAYS)
    rows = load_daily_rows(QueryService(settings, lake), "me", period)
    html = render_html(build_report(rows, "me", week, fake_png))

    expected = {i.analyzer.name: i for i in run_all(rows, period)}
    data = _insights_data(html)
    assert data["period"] == {"start": "2025-03-03", "end": "2025-03-30", "days": 28}
    assert list(data["insights"]) == [a.name for a in ANALYZERS]
    for name, insight in expected.items():
        got, want = data["insights"][name], insight.result
        assert f'data-analyzer="{name}"' in html
        assert got["n"] == want.n
        for field in ("statistic", "p_value", "effect_size"):
            assert got[field] == pytest.approx(getattr(want, field))
        assert got["narrative"] == insight.narrative
        for sentence in insight.narrative:  # the narrative is shown, HTML-escaped
            assert str(escape(sentence)) in html
    assert html.count('src="data:image/png;base64,') == 5


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


def test_local_only_leaves_the_lake_alone(small_lake, monkeypatch):
    from click.testing import CliRunner

    import reports.weekly as weekly
    from biolake.cli import cli

    monkeypatch.setattr(weekly, "KaleidoRenderer", _FakeRenderer)
    home, lake = small_lake["home"], small_lake["lake"]
    run = CliRunner().invoke(cli, ["--home", str(home), "--as-of", "2025-04-02", "report",
                                   "--local-only"])
    assert run.exit_code == 0, run.output
    assert (home / "reports" / "weekly" / "2025-W13.html").exists()
    assert list_lake_reports(lake) == []
    with pytest.raises(ReportError):
        read_lake_report(lake, "../../etc/passwd")


class _FakeRenderer:
    def __enter__(self):
        return fake_png

    def __exit__(self, *_):
        return None
