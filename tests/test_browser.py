"""The dashboard in a real browser: Playwright for Python driving Debian's Chromium against
`biolake serve` (its own process) on the demo person's lake. Screenshots go to test-artifacts/.
Skipped when Chromium or Playwright is missing (`make browser` installs both)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_AS_OF, REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# `make test` installs both (`make browser`); a missing one fails the run rather than hiding it
if not Path(CHROMIUM).exists():
    pytest.fail("Chromium is not installed: run `make browser`", pytrace=False)
import playwright.sync_api as playwright_api  # noqa: E402


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


@pytest.fixture()
def page(browser, dashboard):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []  # console errors and uncaught exceptions
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(dashboard, wait_until="networkidle")
    page.get_by_text("Readiness").first.wait_for(timeout=60_000)
    yield page
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
