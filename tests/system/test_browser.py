"""The dashboard in a real browser: Playwright for Python driving Debian's Chromium against
`biolake serve` (its own process) on the demo person's lake; two sessions of a server with one
deliberately slow query; and the demo week's report file. Screenshots go to test-artifacts/.
A missing Chromium or Playwright fails the run (`make browser` installs both)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.insights import plotly_theme
from reports.weekly import CHART_SIZE
from tests.support.cli import DEMO_AS_OF
from tests.support.dashboard import serving
from tests.support.paths import REPO
from tests.support.slow_dashboard import SLOW_S

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# `make test` installs both (`make browser`); a missing one fails the run rather than hiding it
if not Path(CHROMIUM).exists():
    pytest.fail("Chromium is not installed: run `make browser`", pytrace=False)
import playwright.sync_api as playwright_api  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(demo_lake: dict) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    biolake = str(Path(sys.executable).with_name("biolake"))
    server = subprocess.Popen(
        [biolake, "--home", str(demo_lake["home"]), "--as-of", DEMO_AS_OF, "serve",
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("biolake serve did not answer /healthz")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def open_page(context, url: str):
    """A page of `context` at `url`, collecting console errors and uncaught exceptions."""
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url, wait_until="networkidle")
    return page


def open_dashboard(context, url: str):
    page = open_page(context, url)
    page.get_by_text("Readiness").first.wait_for(timeout=60_000)  # the overview has loaded
    return page


@pytest.fixture()
def page(browser, dashboard):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield open_dashboard(context, dashboard)
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_tab(page, name: str) -> None:
    page.locator(".bk-tab", has_text=name).click()  # Bokeh tabs carry no ARIA role


@pytest.mark.timeout(600)
def test_overview_loads_without_console_errors(page):
    page.get_by_text("Data freshness").wait_for(timeout=60_000)
    shot(page, "overview")
    assert page.errors == []


@pytest.mark.timeout(600)
def test_ask_am_i_overtraining_shows_answer_sql_and_table(page):
    open_tab(page, "Ask")
    box = page.get_by_placeholder("Ask about your sleep")
    box.wait_for(timeout=30_000)
    box.fill("Am I overtraining?")
    box.press("Enter")
    page.get_by_text("translator").last.wait_for(timeout=120_000)
    page.get_by_text("SQL", exact=True).last.click()  # expand the collapsed block
    page.get_by_text("SELECT").last.wait_for(timeout=30_000)
    assert page.locator(".tabulator").count() >= 1
    shot(page, "ask")
    assert page.errors == []


@pytest.mark.timeout(600)
def test_insights_tab_shows_five_charts(page):
    open_tab(page, "Insights")
    charts = page.locator(".js-plotly-plot")
    for _ in range(600):
        if charts.count() >= 5:
            break
        page.wait_for_timeout(200)
    assert charts.count() == 5
    shot(page, "insights")
    assert page.errors == []


@pytest.mark.timeout(600)
def test_data_tab_lists_the_ingestion_log(page):
    open_tab(page, "Data")
    page.get_by_text("Ingestion log").wait_for(timeout=60_000)
    page.get_by_text("peloton_csv").first.wait_for(timeout=60_000)
    shot(page, "data")
    assert page.errors == []


def _rgba(css: str) -> tuple[float, ...]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (*values[:3], values[3] if len(values) > 3 else 1.0)


def contrast_ratio(foreground: tuple[float, ...], background: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21; 4.5 is AA for text)."""

    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in (v / 255 for v in rgb[:3])]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# the text colour of the element and the first opaque background behind it (shadow roots too)
_COLORS_JS = """e => {
  const color = getComputedStyle(e).color;
  for (let n = e; n; n = n.parentNode || n.host) {
    if (n.nodeType !== 1) continue;
    const bg = getComputedStyle(n).backgroundColor;
    if (bg !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(bg)) return [color, bg];
  }
  return [color, null];
}"""


@pytest.mark.timeout(600)
def test_selected_tab_label_is_readable_in_the_dark_theme(page):
    for name in ("Insights", "Data"):
        open_tab(page, name)
        active = page.locator(".bk-tab.bk-active")
        assert active.inner_text().strip() == name
        color, background = active.evaluate(_COLORS_JS)
        page_background = tuple(int(plotly_theme.BACKGROUND[i:i + 2], 16) for i in (1, 3, 5))
        behind = _rgba(background) if background else page_background
        assert contrast_ratio(_rgba(color), behind) >= 4.5, (name, color, background)
    page.get_by_text("Ingestion log").wait_for(timeout=60_000)
    shot(page, "selected-tab")


@pytest.fixture(scope="module")
def slow_dashboard(demo_lake: dict) -> Iterator[str]:
    """The real server on the demo lake; the 365-day insights' query takes SLOW_S longer."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "tests.support.slow_dashboard", "--home", str(demo_lake["home"]),
            "--as-of", DEMO_AS_OF, "--port", str(port)]
    with serving(argv, port) as url:
        yield url


@pytest.mark.timeout(600)
def test_a_slow_query_in_one_session_does_not_hold_up_another(browser, slow_dashboard):
    """Session A asks for the slow 365-day insights; while its query runs, session B asks a
    question and gets its answer. On a server whose IO loop ran A's query, B would wait."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        a, b = open_dashboard(context, slow_dashboard), open_dashboard(context, slow_dashboard)
        open_tab(a, "Insights")
        a.get_by_text("(90 days)").wait_for(timeout=120_000)
        open_tab(b, "Ask")
        box = b.get_by_placeholder("Ask about your sleep")
        box.wait_for(timeout=30_000)

        a.locator(".bk-btn", has_text="365").click()
        started = time.monotonic()
        a.locator(".pn-loading").first.wait_for(timeout=SLOW_S * 1000 / 2)  # A's query runs
        box.fill("Am I overtraining?")
        box.press("Enter")
        b.get_by_text("translator").last.wait_for(timeout=SLOW_S * 1000)
        answered = time.monotonic() - started
        a_done = a.get_by_text("(365 days)").count()
        shot(b, "concurrent-b-answered")
        assert a_done == 0, "A's slow query finished before B was answered"
        assert answered < SLOW_S, f"B waited {answered:.1f} s"

        # and A gets its answer too, once its query is done
        a.get_by_text("(365 days)").wait_for(timeout=120_000)
        assert time.monotonic() - started >= SLOW_S
        shot(a, "concurrent-a-done")
        assert a.errors == [] and b.errors == []
    finally:
        context.close()


@pytest.mark.timeout(600)
def test_weekly_report_renders_every_image(browser, demo_report):
    """The demo week's report file, opened from disk: every image decoded and shown, five
    insight charts at the size they were rendered."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        report = open_page(context, demo_report["path"].as_uri())
        images = report.evaluate(
            "() => Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, "
            "width: i.naturalWidth, height: i.naturalHeight, shown: i.getBoundingClientRect().width}))")
        assert images, "the report has no images"
        for image in images:
            assert image["complete"] and image["width"] > 0 and image["shown"] > 0, image
        charts = report.locator("section.insight figure.chart img")
        assert charts.count() == 5 == len(images)
        assert {(i["width"], i["height"]) for i in images} == {CHART_SIZE}
        assert report.locator("#narrative[data-narrative=template]").count() == 1
        shot(report, "weekly-report")
        assert report.errors == []
    finally:
        context.close()
