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


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def open_tab(page, name: str) -> None:
    page.locator(".bk-tab", has_text=name).click()  # Bokeh tabs carry no ARIA role


SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}
# the charts each tab shows on the demo lake (Ask: the answer to one question), and a text
# that is there once the tab's content is
TABS = {"Overview": 3, "Workouts": 2, "Ask": 1, "Insights": 5, "Reports": 0, "Data": 0}
MARKERS = {"Overview": "Data freshness", "Workouts": "Personal bests", "Ask": "Asked in this",
           "Insights": "(90 days)", "Reports": "newest first", "Data": "Ingestion log"}


def show(page, tab: str) -> None:
    """Open `tab` and wait until its own content is on screen."""
    open_tab(page, tab)
    page.locator(".bk-tab.bk-active", has_text=tab).wait_for(timeout=30_000)
    page.get_by_text(MARKERS[tab]).first.wait_for(timeout=120_000)

# every Plotly chart on screen (shadow roots too): its drawing surface, the card around it
# (the nearest .bl-card) and how many data points its traces hold; the page's scroll width
_LAYOUT_JS = """() => {
  const charts = [];
  const walk = root => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('js-plotly-plot') && el.getClientRects().length) charts.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    charts: charts.map(el => {
      let card = null;
      for (let n = el; n && !card; n = n.parentNode || n.host) {
        if (n.nodeType === 1 && n.classList.contains('bl-card')) card = n;
      }
      const svg = el.querySelector('svg.main-svg');
      const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0, right: 0};
      const frame = card ? card.getBoundingClientRect() : {width: null, right: null};
      const points = (el.data || []).reduce(
        (n, t) => n + Math.max((t.x || []).length, (t.y || []).length), 0);
      return {title: (el.layout && el.layout.title && el.layout.title.text) || '',
              width: box.width, height: box.height, right: box.right, points,
              card: frame.width, cardRight: frame.right};
    }),
  };
}"""


def layout(page, charts: int) -> dict:
    """The page's layout once `charts` charts are drawn and their sizes have settled."""
    previous = None
    for _ in range(300):
        now = page.evaluate(_LAYOUT_JS)
        drawn = [c for c in now["charts"] if c["width"] > 0]
        if len(drawn) == len(now["charts"]) == charts and now == previous:
            return now
        previous = now
        page.wait_for_timeout(250)
    pytest.fail(f"{charts} charts were not drawn: {previous}")


def check_layout(found: dict, charts: int, where: str) -> None:
    assert len(found["charts"]) == charts, (where, found["charts"])
    for chart in found["charts"]:
        assert chart["card"], (where, "a chart outside a card", chart)
        assert chart["width"] >= 0.8 * chart["card"], (where, chart)
        # drawn inside its card, and the card inside the window (a page that hides its
        # overflow would otherwise cut a chart off without scrolling sideways)
        assert chart["right"] <= chart["cardRight"] + 1, (where, "wider than its card", chart)
        assert chart["cardRight"] <= found["innerWidth"] + 1, (where, "cut off", chart)
        assert chart["height"] >= 200, (where, chart)
        assert chart["points"] >= 1, (where, chart)
    assert found["scrollWidth"] <= found["innerWidth"], (where, "the page scrolls sideways",
                                                        found["scrollWidth"])


def external(url: str) -> bool:
    """A request to anywhere but this machine's server (data:, blob: and about: stay here)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname != "127.0.0.1"


@pytest.fixture(scope="module", params=list(SIZES))
def sized(request, browser, dashboard):
    """One page per window size for the whole module, with the requests it made."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dashboard)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = open_dashboard(context, dashboard)
    page.requests = requests
    page.size = f"{request.param}-{width}x{height}"
    yield page
    context.close()


def ask(page, question: str) -> None:
    """Ask in the chat and wait for its answer (or its plain error)."""
    box = page.get_by_placeholder("Ask about your sleep")
    box.wait_for(timeout=30_000)

    def replies() -> int:
        return page.get_by_text("answered by").count() + page.locator(".alert-danger").count()

    before = replies()
    box.fill(question)
    box.press("Enter")
    for _ in range(600):
        if replies() > before:
            return
        page.wait_for_timeout(200)
    pytest.fail(f"no answer to {question!r}")


def report_frame(page):
    """The frame showing the demo's week (2025-W13), once it has loaded (20 s at most)."""
    for _ in range(100):
        frame = next((f for f in page.frames if "Week 2025-W13" in (f.content() or "")), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(200)
    pytest.fail("the report is not shown")


@pytest.mark.timeout(900)
def test_every_tab_at_desktop_and_phone_size(sized, dashboard):
    """Each tab: every chart at least 80 % of its card's width and 200 px high with data, no
    sideways scrolling; no console error and no request beyond 127.0.0.1 on the way."""
    page = sized
    page.get_by_text("Data freshness").wait_for(timeout=60_000)
    for tab, charts in TABS.items():
        show(page, tab)
        if tab == "Ask":
            ask(page, "Am I overtraining?")
        if tab == "Reports":  # the screenshot shows the report, not the frame still loading
            frame = report_frame(page)
            # the report is laid out at the width of the page, not squeezed into a strip
            for _ in range(40):
                inner = frame.evaluate("document.documentElement.clientWidth")
                if inner >= 0.85 * page.viewport_size["width"]:
                    break
                page.wait_for_timeout(250)
            assert inner >= 0.85 * page.viewport_size["width"], (page.size, "report width", inner)
            # and its text is laid out across it (the report caps its column at 960 px)
            title = frame.evaluate("document.querySelector('h1').getBoundingClientRect().width")
            assert title >= 0.6 * min(page.viewport_size["width"], 1000), (page.size, title)
        check_layout(layout(page, charts), charts, f"{tab} at {page.size}")
        # Chromium's full-page capture paints the report's sandboxed (out-of-process) frame
        # squeezed into a strip after other tabs were shown, though its layout is the page's
        # width (checked above) and the window shows it so: the window is captured there
        shot(page, f"{tab.lower()}-{page.size}", full_page=tab != "Reports")
    # a period chosen on the Overview draws its charts at their size again
    show(page, "Overview")
    page.locator(".bk-btn", has_text="365 days").click()
    page.get_by_text("Last 365 days (").wait_for(timeout=60_000)
    check_layout(layout(page, 3), 3, f"Overview over 365 days at {page.size}")
    assert page.errors == [], page.errors
    assert page.requests and [u for u in page.requests if external(u)] == []


@pytest.mark.timeout(600)
def test_charts_drawn_at_another_window_size_fit_when_shown(browser, dashboard):
    """The window narrows while the Overview is hidden behind another tab: shown again, its
    charts fit the new width (and the Workouts' fit after the reverse)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = open_dashboard(context, dashboard)
        show(page, "Overview")
        check_layout(layout(page, 3), 3, "Overview")
        show(page, "Data")
        page.set_viewport_size({"width": 390, "height": 844})
        show(page, "Overview")
        check_layout(layout(page, 3), 3, "Overview after narrowing")
        show(page, "Workouts")
        check_layout(layout(page, 2), 2, "Workouts")
        show(page, "Data")
        page.set_viewport_size({"width": 1100, "height": 900})
        show(page, "Workouts")
        check_layout(layout(page, 2), 2, "Workouts after widening")
        assert page.errors == []
    finally:
        context.close()


def _discipline(label: str) -> str:
    return label.strip().lower().replace(" ", "_")


@pytest.mark.timeout(600)
def test_workouts_totals_and_best_ride_match_the_demo_peloton_csv(page, demo_lake):
    import pandas as pd

    (csv,) = demo_lake["inputs"].glob("peloton/*.csv")
    rides = pd.read_csv(csv)
    expected = rides["Fitness Discipline"].map(_discipline).value_counts().to_dict()
    cycling = rides[rides["Fitness Discipline"].map(_discipline) == "cycling"]
    best_30 = cycling.loc[cycling["Length (minutes)"] == 30, "Total Output"].max()

    show(page, "Workouts")
    page.locator("table[data-table=totals]").wait_for(timeout=60_000)
    shown = {}
    for row in page.locator("table[data-table=totals] tbody tr").all():
        count = row.locator("td[data-column=peloton_csv]").inner_text()
        if int(count):
            shown[row.get_attribute("data-discipline")] = int(count)
    assert shown == expected
    best = page.locator(".best", has_text="Best 30-minute ride")
    assert float(best.get_attribute("data-output-kj")) == best_30
    assert f"{best_30:.0f} kJ" in best.inner_text()
    assert page.errors == []


@pytest.mark.timeout(600)
def test_reports_tab_shows_the_demo_week_with_every_image(page):
    """`biolake demo` wrote the last complete week's report (2025-W13) into the lake."""
    show(page, "Reports")
    page.get_by_text("newest first: 2025-W13").wait_for(timeout=60_000)
    frame = report_frame(page)
    for _ in range(100):
        images = frame.evaluate(
            "() => Array.from(document.images).map(i => ({complete: i.complete, "
            "width: i.naturalWidth, shown: i.getBoundingClientRect().width}))")
        if images and all(i["complete"] and i["width"] > 0 for i in images):
            break
        page.wait_for_timeout(200)
    assert len(images) == 5 and all(i["complete"] and i["width"] > 0 and i["shown"] > 0
                                    for i in images), images
    assert page.errors == []


@pytest.mark.timeout(600)
def test_ask_shows_interpretation_history_and_copies_the_sql(page, demo_lake):
    """The interpretation line is the translator's (shown when its answer has one), the
    session's questions are listed, and "Copy SQL" puts the answer's SQL on the clipboard."""
    from datetime import date

    from app.dashboard.store import DashboardStore
    from app.dashboard.views import interpretation_of
    from tests.support.lakes import make_lake

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    settings, lake = make_lake(demo_lake["home"])
    settings = settings.model_copy(update={"as_of": date.fromisoformat(DEMO_AS_OF)})
    question = "What was my longest workout ever?"
    expected = DashboardStore(settings, lake).ask(question)
    show(page, "Ask")
    ask(page, question)
    interpretation = None if expected.answer is None else interpretation_of(expected.answer)
    if interpretation:
        page.get_by_text(interpretation).first.wait_for(timeout=10_000)
    else:  # the translator gave none: nothing is made up
        assert page.get_by_text("Understood as").count() == 0
    ask(page, "Am I overtraining?")
    history = page.locator(".history .bk-btn")
    assert [b.inner_text().strip() for b in history.all()] == ["Am I overtraining?", question]
    page.locator(".copy-sql .bk-btn").last.click()
    page.get_by_text("Copied").wait_for(timeout=10_000)
    assert "SELECT" in page.evaluate("navigator.clipboard.readText()").upper()
    shot(page, "ask-history")
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


def test_a_late_resize_of_a_removed_chart_is_not_an_error(page):
    """Panel resizes a chart 25 ms late; when its view was removed in between (a tab or a
    period switched), the chart is already purged and Plotly threw '_guiEditing' of undefined
    into the console. The dashboard's guard (app/dashboard/static/plotly_guard.js) makes that
    relayout a no-op, and leaves a relayout of a drawn chart alone."""
    result = page.evaluate("""async () => {
      const el = document.createElement('div');
      document.body.appendChild(el);
      await Plotly.newPlot(el, [{y: [1, 2, 3]}], {width: 300, height: 200});
      await Plotly.relayout(el, {width: 320});
      const drawn = el._fullLayout.width;
      Plotly.purge(el);
      let late = 'no error';
      try { await Plotly.relayout(el, {width: 100}); } catch (e) { late = String(e); }
      el.remove();
      return {drawn, late, guarded: !!Plotly.__biolakeGuarded};
    }""")
    assert result == {"drawn": 320, "late": "no error", "guarded": True}
    assert page.errors == []
