"""`biolake demo`'s Oura source: the sample person's documents served by the in-process Oura
simulator, and fetched by the real live client, so the demo exercises the same authorization,
token store, paging and bronze path as a real account.

The demo's tokens go to their own file under the demo home (`<home>/demo-secrets/`), never to
the real token store; each run authorizes afresh, since a new simulator knows no old tokens.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
from pydantic import SecretStr

from biolake.lake import Lake
from biolake.settings import BiolakeSettings
from ingest_workers.common.runtime import Runtime
from ingest_workers.demo.oura_simulator import OuraSimulator, load_saved_pages
from ingest_workers.oura.authorization import authorize
from ingest_workers.oura.sync import SyncReport, connect, sync_oura

# Never listened on: the demo plays the browser itself and hands the redirect over as a paste.
DEMO_REDIRECT_URI = "http://127.0.0.1/biolake-demo-callback"


def demo_settings(settings: BiolakeSettings, simulator: OuraSimulator) -> BiolakeSettings:
    return settings.model_copy(update={
        "oura_client_id": simulator.client_id,
        "oura_client_secret": SecretStr(simulator.client_secret),
        "oura_api_base": simulator.base_url,
        "oura_auth_base": simulator.base_url,
        "oura_redirect_uri": DEMO_REDIRECT_URI,
        "oura_token_store": "file",
        "oura_token_file": settings.home.expanduser() / "demo-secrets" / "oura_tokens.json",
    })


def sync_sample_person(
    settings: BiolakeSettings, lake: Lake, oura_dir: Path, runtime: Runtime | None = None
) -> SyncReport:
    """Serve `oura_dir` (the sample person's saved pages) and sync all of it through the client."""
    runtime = runtime or Runtime()
    if runtime.transport is None:  # the simulator is on loopback: no proxy from the environment
        runtime = replace(runtime, transport=httpx.HTTPTransport())
    documents = load_saved_pages(oura_dir)
    days = sorted(d["day"] for docs in documents.values() for d in docs if "day" in d)
    first = date.fromisoformat(days[0]) if days else settings.today
    with OuraSimulator(documents, clock=runtime.clock) as simulator:
        with connect(demo_settings(settings, simulator), runtime) as oura:
            pasted = io.StringIO()

            def browser(line: str) -> None:
                # what a person does: open the consent URL, and paste where it redirected
                url = line.strip()
                if url.startswith(oura.oauth.authorize_base):
                    location = oura.http.get(url, follow_redirects=False).headers["location"]
                    pasted.write(location + "\n")
                    pasted.seek(0)

            authorize(oura.oauth, oura.store, show=browser, paste=pasted, listen=False)
            return sync_oura(
                oura.client, lake, person_id=settings.person_id, until=settings.today,
                since=first, lookback_days=settings.oura_lookback_days, clock=runtime.clock,
            )
