"""The dashboard in a real browser: `biolake serve` in its own process on the demo lake, and
Playwright driving Debian's Chromium (Playwright's own browser download is not possible here;
the flags are the ones tests/test_browser.py uses on these machines).

Per run, a fresh browser context (a new dashboard session): the time from navigation to the
first rendered content (the Overview's "Readiness"), then the Ask tab's round trip for
"Am I overtraining?" from pressing Enter to the rendered answer. The first run warms the server
and is not counted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.pipeline import AS_OF

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "Am I overtraining?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(home: Path) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    biolake = str(Path(sys.executable).with_name("biolake"))
    start = time.perf_counter()
    server = subprocess.Popen(
        [biolake, "--home", str(home), "--as-of", AS_OF.isoformat(), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - start < 120:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url, time.perf_counter() - start
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("biolake serve did not answer /healthz within 120 s")


def _one_run(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.get_by_text("Readiness").first.wait_for(timeout=120_000)
        render_s = time.perf_counter() - start
        page.locator(".bk-tab", has_text="Ask").click()  # Bokeh tabs carry no ARIA role
        box = page.get_by_placeholder("Ask about your sleep")
        box.wait_for(timeout=60_000)
        box.fill(QUESTION)
        start = time.perf_counter()
        box.press("Enter")
        page.get_by_text("translator").last.wait_for(timeout=120_000)
        return {"first_render_s": render_s, "ask_round_trip_s": time.perf_counter() - start}
    finally:
        context.close()


def dashboard(home: Path, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser`")
    server, url, healthy_s = _serve(home)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            try:
                warmup = _one_run(browser, url)
                measured = [_one_run(browser, url) for _ in range(runs)]
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"serve_to_healthz_s": healthy_s, "warmup": warmup, "runs": measured}
