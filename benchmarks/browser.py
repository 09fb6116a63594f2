"""The dashboard in a real browser: `biolake serve` in its own process on the demo lake, and
Playwright driving Debian's Chromium (Playwright's own browser download is not possible here;
the flags are the ones tests/test_browser.py uses on these machines).

Per run, a fresh browser context (a new dashboard session): the time from navigation to the
first rendered content (the Overview's "Readiness"), then the Ask tab's round trip for
"Am I overtraining?" from pressing Enter to the rendered answer. The first run warms the server
and is not counted.

`sessions` (issue 14): N sessions open at once, each asking its own question at the same moment
(a barrier after every session has rendered), against one session alone asking the same ones;
every answer must arrive, and the round trips' p50 and p95 are reported.
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


SESSION_QUESTIONS = (
    "Am I overtraining?",
    "What was my average readiness score last week?",
    "How many days did I work out in March?",
    "What's the correlation between my sleep and readiness?",
    "What was my longest ride this year?",
    "How many hours did I work out last month?",
    "Which week did I have the most workouts?",
    "What is my average HRV on rest days?",
)


async def _session(browser, url: str, question: str, ready, go) -> dict[str, Any]:
    """One dashboard session: render, say so (`ready`), wait for the others (`go`), ask, and
    time the answer. A session that fails says it is ready too, so the others never wait on it."""
    signalled = False
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await context.new_page()
        opened = time.perf_counter()
        # 20 sessions opened at once wait for the server to build each one's page in turn:
        # Playwright's 30 s navigation default is not a limit of the dashboard
        await page.goto(url, wait_until="commit", timeout=300_000)
        await page.get_by_text("Readiness").first.wait_for(timeout=300_000)
        render_s = time.perf_counter() - opened
        await page.locator(".bk-tab", has_text="Ask").click()
        box = page.get_by_placeholder("Ask about your sleep")
        await box.wait_for(timeout=300_000)
        await box.fill(question)
        answers = page.get_by_text("translator")
        before = await answers.count()
        signalled = True
        ready()
        await go.wait()
        start = time.perf_counter()
        await box.press("Enter")
        await answers.nth(before).wait_for(timeout=300_000)
        return {"question": question, "answer_s": time.perf_counter() - start,
                "render_s": render_s}
    except Exception as exc:  # an unanswered session is a result of the benchmark, not a crash
        return {"question": question, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    finally:
        if not signalled:
            ready()
        await context.close()


async def _ask_together(url: str, questions: list[str]) -> list[dict[str, Any]]:
    """A session per question, all in one browser; they ask at the same moment."""
    import asyncio

    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            go, rendered = asyncio.Event(), [0]

            def ready() -> None:
                rendered[0] += 1
                if rendered[0] == len(questions):
                    go.set()

            sessions = (_session(browser, url, q, ready, go) for q in questions)
            return list(await asyncio.gather(*sessions))
        finally:
            await browser.close()


def sessions(home: Path, count: int) -> dict[str, Any]:
    """`count` sessions asking at once, against each question asked in a session alone."""
    import asyncio

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser`")
    server, url, _ = _serve(home)
    try:
        asyncio.run(_ask_together(url, [SESSION_QUESTIONS[0]]))  # warm-up, not counted
        alone = [asyncio.run(_ask_together(url, [q]))[0] for q in SESSION_QUESTIONS]
        questions = [SESSION_QUESTIONS[k % len(SESSION_QUESTIONS)] for k in range(count)]
        together = asyncio.run(_ask_together(url, questions))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"sessions": count, "alone": alone, "together": together}


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
