"""The live Oura client end to end: `biolake ingest oura` and `biolake auth oura` against the
Oura simulator on 127.0.0.1, a real embedded lake under tmp_path, and a FakeClock shared by the
client and the simulator (so Retry-After waits, backoff and token lifetimes cost no real time).

The CLI commands are invoked through click with the CLI's own Context, subclassed only to carry
the fake clock (`oura_runtime`); everything else (settings, token file, HTTP over loopback,
bronze writer, ingestion log) is the real thing. Expected documents are computed here from the
sample person's files; bronze and the log are read back from disk with json and delta-rs.

Token rotation is tested for both stores, the Kubernetes one against a small local API server
with resourceVersion conflicts (tests/kube_secret_server.py). The Spark part is one
module-scoped fixture (marked `spark`).
"""

from __future__ import annotations

import json
import random
import socket
import stat
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pyarrow as pa
import pytest
from click.testing import CliRunner
from deltalake import write_deltalake

from biolake.cli import Context, auth_oura, ingest_oura
from biolake.settings import BiolakeSettings
from ingest_workers.common.clock import FakeClock, SystemClock
from ingest_workers.common.errors import TokenStoreConflict
from ingest_workers.common.http_retry import RetryPolicy, retry_after_seconds, send_with_retries
from ingest_workers.common.runtime import Runtime
from ingest_workers.common.token_store import (
    FileTokenStore,
    KubernetesSecretTokenStore,
    TokenPair,
)
from ingest_workers.demo.oura_simulator import (
    ALL_SCOPES,
    OuraSimulator,
    document_key,
    load_saved_pages,
)
from ingest_workers.demo.sample_person import generate_sample_person
from ingest_workers.ingestion_log import SCHEMA, IngestionLog, IngestionLogEntry
from ingest_workers.oura.api_client import (
    ENDPOINT_SCOPES,
    HEARTRATE_MAX_DAYS,
    OuraApiClient,
    RequestWindow,
    request_windows,
)
from ingest_workers.oura.authorization import authorize
from ingest_workers.oura.errors import (
    OuraAuthError,
    OuraForbiddenError,
    OuraProtocolError,
    OuraUnavailableError,
    RefreshRejectedError,
)
from ingest_workers.oura.oauth import OuraCredentials, OuraOAuth
from ingest_workers.oura.sync import sync_range
from tests.support.kube_secret_server import KubeSecretServer
from tests.support.lakes import ingestion_log_rows, make_lake, read_delta

END = date(2025, 3, 31)
DAYS = 40
FIRST = END - timedelta(days=DAYS - 1)
MID = FIRST + timedelta(days=24)
TZ = ZoneInfo("America/New_York")  # the sample person's
DATA_ENDPOINTS = tuple(e for e in ENDPOINT_SCOPES if e not in ("daily_resilience",
                                                                 "daily_cardiovascular_age", "vO2_max"))
REDIRECT = "http://127.0.0.1:9/callback"


# -- the sample person and expectations computed from its files --------------------------------------
@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, list[dict]]:
    files = generate_sample_person(
        tmp_path_factory.mktemp("sample"), end_day=END, oura_days=DAYS,
        peloton_workouts=20, peloton_years=0.3,
    )
    return load_saved_pages(files.oura_dir)


def expected_keys(documents: dict, endpoint: str, first: date, last: date) -> set[tuple]:
    """Documents of the local days first..last (heart rate: by the person's local clock)."""
    if endpoint == "heartrate":
        return {
            document_key(endpoint, d) for d in documents[endpoint]
            if first <= datetime.fromisoformat(d["timestamp"]).astimezone(TZ).date() <= last
        }
    return {document_key(endpoint, d) for d in documents[endpoint]
            if first.isoformat() <= d["day"] <= last.isoformat()}


# -- reading the lake back ---------------------------------------------------------------------------
def lake_files(lake) -> dict[str, bytes]:
    root = lake.local_root()
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def bronze_pages(lake, endpoint: str | None = None) -> dict[str, bytes]:
    prefix = f"bronze/oura_api/{endpoint}/" if endpoint else "bronze/"
    return {k: v for k, v in lake_files(lake).items() if k.startswith(prefix)}


def bronze_documents(lake, endpoint: str) -> dict[tuple, dict]:
    return {
        document_key(endpoint, doc): doc
        for body in bronze_pages(lake, endpoint).values() for doc in json.loads(body)["data"]
    }


# -- the rig: simulator, fake clock, home, and the CLI commands ---------------------------------------
class SimContext(Context):
    """The CLI's own Context, carrying the fake clock the simulator also uses."""

    def __init__(self, overrides: dict, runtime: Runtime) -> None:
        super().__init__(overrides)
        self.oura_runtime = runtime


class Rig:
    def __init__(self, sim: OuraSimulator, clock: FakeClock, home: Path) -> None:
        self.sim, self.clock, self.home = sim, clock, home
        self.settings, self.lake = make_lake(home)
        self.token_file = home / "secrets" / "oura_tokens.json"
        self.rng = random.Random(7)

    def overrides(self, **extra) -> dict:
        return {
            "home": self.home, "as_of": END, "oura_client_id": self.sim.client_id,
            "oura_client_secret": self.sim.client_secret, "oura_api_base": self.sim.base_url,
            "oura_auth_base": self.sim.base_url, **extra,
        }

    def context(self, **extra) -> SimContext:
        # a transport of its own per run: loopback needs no proxy from the environment
        runtime = Runtime(clock=self.clock, rng=self.rng, transport=httpx.HTTPTransport())
        return SimContext(self.overrides(**extra), runtime)

    def connect(self, scopes: frozenset[str] | None = None) -> TokenPair:
        """Tokens in the file store, as `biolake auth oura` leaves them."""
        answer = self.sim.grant(scopes)
        tokens = TokenPair(answer["access_token"], answer["refresh_token"],
                           self.clock.now() + answer["expires_in"], answer["scope"])
        FileTokenStore(self.token_file).save(tokens, None)
        return tokens

    def ingest(self, *args: object):
        return CliRunner().invoke(ingest_oura, [str(a) for a in args], obj=self.context())

    def stored_tokens(self) -> TokenPair:
        tokens = FileTokenStore(self.token_file).load().tokens
        assert tokens is not None
        return tokens

    def refresh_at_simulator(self, refresh_token: str) -> httpx.Response:
        return httpx.post(f"{self.sim.base_url}/oauth/token", trust_env=False, data={
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.sim.client_id, "client_secret": self.sim.client_secret})


@pytest.fixture
def rig(tmp_path, documents):
    clock = FakeClock()
    with OuraSimulator(documents, clock=clock, page_size=10, heartrate_page_size=2000) as sim:
        yield Rig(sim, clock, tmp_path / "home")


def assert_complete_sync(rig: Rig, documents: dict, first: date, last: date) -> None:
    """Bronze holds exactly what the simulator served, covering every expected document, and
    the log has one ingested row per bronze object."""
    for endpoint in ENDPOINT_SCOPES:
        stored = bronze_documents(rig.lake, endpoint)
        assert stored == rig.sim.served[endpoint], endpoint
        assert expected_keys(documents, endpoint, first, last) <= set(stored), endpoint
        if endpoint != "heartrate":
            assert set(stored) == expected_keys(documents, endpoint, first, last), endpoint
    rows = ingestion_log_rows(rig.lake)
    assert sorted(r["object_key"] for r in rows) == sorted(bronze_pages(rig.lake))
    assert {r["status"] for r in rows} == {"ingested"}
    assert {(r["source"], r["person_id"]) for r in rows} == {("oura_api", "me")}


# -- the scenarios of the issue --------------------------------------------------------------------
def test_normal_multi_page_sync(rig, documents):
    rig.connect()
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 0, result.output
    assert "oura: 12 of 12 endpoints synced" in result.stdout
    assert_complete_sync(rig, documents, FIRST, END)
    pages = {e: len(bronze_pages(rig.lake, e)) for e in ENDPOINT_SCOPES}
    assert pages["daily_readiness"] == -(-len(expected_keys(documents, "daily_readiness", FIRST, END)) // 10) > 1
    assert pages["heartrate"] > 2  # two 28-day windows, several pages each
    rows = ingestion_log_rows(rig.lake)
    log = IngestionLog(rig.lake)
    for endpoint in ENDPOINT_SCOPES:
        assert log.watermark("me", "oura_api", endpoint) == END
        assert {r["window_end"] for r in rows if r["dataset"] == endpoint} == (
            {FIRST + timedelta(days=27), END} if endpoint == "heartrate" else {END})
    # what went over the wire: every answer 200; the last day sent as T23:59:59; heart rate
    # by datetime with the offset intact (so '+' was sent as %2B), at most 30 days a call;
    # every follow-up page re-sent its first page's filters
    assert Counter(r.status for r in rig.sim.requests) == {200: len(rig.sim.requests)}
    for request in rig.sim.requests:
        filters = {k: v for k, v in request.query.items() if k != "next_token"}
        if request.path.endswith("/heartrate"):
            start = datetime.fromisoformat(filters["start_datetime"])
            end = datetime.fromisoformat(filters["end_datetime"])
            assert filters["start_datetime"].endswith("+14:00")
            assert timedelta(0) < end - start <= timedelta(days=HEARTRATE_MAX_DAYS)
        else:
            assert filters == {"start_date": str(FIRST), "end_date": f"{END}T23:59:59"}


def test_429_storm_waits_for_retry_after(rig, documents):
    rig.connect()
    rig.sim.rate_limit, rig.sim.rate_window_s = 4, 60
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 0, result.output
    assert_complete_sync(rig, documents, FIRST, END)
    requests = rig.sim.requests
    limited = [i for i, r in enumerate(requests) if r.status == 429]
    assert len(limited) >= 5
    for i in limited:  # the client came back no sooner than Retry-After said
        assert requests[i].retry_after is not None
        assert requests[i + 1].at >= requests[i].at + int(requests[i].retry_after)
    waits = [float(requests[i].retry_after) for i in limited]
    assert Counter(rig.clock.sleeps) == Counter(waits)  # and slept exactly that, nothing else


def test_intermittent_500s_and_dropped_connections_are_retried(rig, documents):
    rig.connect()
    rig.sim.fail_every(4, 500)
    rig.sim.fail_every(9, 0)  # a connection closed without an answer
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 0, result.output
    assert_complete_sync(rig, documents, FIRST, END)
    statuses = Counter(r.status for r in rig.sim.requests)
    assert statuses[500] >= 3 and statuses[0] >= 1
    policy = RetryPolicy()
    assert rig.clock.sleeps and all(
        policy.base_delay_s / 2 <= s <= policy.max_delay_s for s in rig.clock.sleeps)


def test_an_endpoint_that_keeps_failing_gives_up_and_the_others_go_on(rig, documents):
    rig.connect()
    rig.sim.fail_every(1, 503, endpoint="session")
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 1
    assert "oura: 11 of 12 endpoints synced; failed: session" in result.stdout
    assert "error: session: gave up: 503 Service Unavailable (6 tries)" in result.stderr
    session_calls = [r for r in rig.sim.requests if r.path.endswith("/session")]
    assert len(session_calls) == RetryPolicy().max_attempts
    assert bronze_pages(rig.lake, "session") == {}
    assert bronze_documents(rig.lake, "daily_sleep") == rig.sim.served["daily_sleep"] != {}
    assert IngestionLog(rig.lake).watermark("me", "oura_api", "session") is None


def test_expired_access_token_is_refreshed_once(rig, documents):
    original = rig.connect()
    rig.sim.expire_access_tokens()  # the stored expiry still says valid: the 401 tells
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 0, result.output
    assert rig.sim.token_requests == [("refresh_token", 200)]
    assert Counter(r.status for r in rig.sim.requests)[401] == 1
    assert_complete_sync(rig, documents, FIRST, END)
    rotated = rig.stored_tokens()
    assert rotated.refresh_token != original.refresh_token
    assert rotated.access_token != original.access_token
    assert stat.S_IMODE(rig.token_file.stat().st_mode) == 0o600
    assert rig.refresh_at_simulator(original.refresh_token).json()["error"] == "invalid_grant"
    assert rig.refresh_at_simulator(rotated.refresh_token).status_code == 200


def test_token_due_by_its_expiry_is_refreshed_before_any_request(rig):
    rig.connect()
    rig.clock.advance(86_400)  # the stored expires_at has passed
    result = rig.ingest("--since", END, "--until", END, "--endpoint", "daily_sleep")
    assert result.exit_code == 0, result.output
    assert rig.sim.token_requests == [("refresh_token", 200)]
    assert [r.status for r in rig.sim.requests] == [200]


def test_revoked_refresh_token_stops_cleanly_with_nothing_written(rig):
    rig.connect()
    before = rig.token_file.read_bytes()
    rig.sim.expire_access_tokens()
    rig.sim.revoke_refresh_tokens()
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 1
    assert "invalid_grant" in result.stderr
    assert "run `biolake auth oura` to connect again" in result.stderr
    assert "oura: 0 of 12 endpoints synced; failed: daily_readiness; not attempted: daily_sleep, " in result.stdout
    assert result.stdout.count("not_attempted") == 11
    assert result.stderr.count("error:") == 1
    assert lake_files(rig.lake) == {}  # no bronze object, no log
    assert rig.token_file.read_bytes() == before
    assert rig.sim.token_requests == [("refresh_token", 400)]


def test_not_connected_says_what_to_run(rig):
    result = rig.ingest("--since", END, "--until", END)
    assert result.exit_code == 1
    assert "no Oura tokens in file" in str(result.exception)
    assert "biolake auth oura" in str(result.exception)
    assert rig.sim.requests == []


def test_missing_scope_fails_that_endpoint_only(rig, documents):
    rig.connect(ALL_SCOPES - {"heartrate"})
    result = rig.ingest("--since", FIRST, "--until", END)

    assert result.exit_code == 1
    assert "oura: 11 of 12 endpoints synced; failed: heartrate" in result.stdout
    assert "error: heartrate: 403 Forbidden" in result.stderr
    assert "granted without the 'heartrate' scope" in result.stderr
    assert [r.status for r in rig.sim.requests if r.path.endswith("/heartrate")] == [403]
    rows = ingestion_log_rows(rig.lake)
    assert {r["dataset"] for r in rows} == set(ENDPOINT_SCOPES) - {"heartrate"}
    assert IngestionLog(rig.lake).watermark("me", "oura_api", "heartrate") is None
    for endpoint in DATA_ENDPOINTS:
        if endpoint != "heartrate":
            assert set(bronze_documents(rig.lake, endpoint)) == expected_keys(documents, endpoint, FIRST, END)


def test_overlapping_rerun_duplicates_nothing(rig, documents):
    rig.connect()
    first = rig.ingest("--since", FIRST, "--until", MID)
    assert first.exit_code == 0, first.output
    second = rig.ingest()  # from the watermark minus the 7 look-back days, to --as-of
    assert second.exit_code == 0, second.output
    lookback_start = MID - timedelta(days=7)
    assert f"oura_api/daily_sleep               {lookback_start}..{END}" in second.stdout
    assert_complete_sync(rig, documents, FIRST, END)
    rows = ingestion_log_rows(rig.lake)
    assert len(rows) == len({r["object_key"] for r in rows}) == len(bronze_pages(rig.lake))
    # the look-back days were served twice and are in bronze twice (raw pages), once per key
    sleep_days = Counter(d["day"] for body in bronze_pages(rig.lake, "daily_sleep").values()
                         for d in json.loads(body)["data"])
    assert sleep_days[str(MID)] == 2 and sleep_days[str(FIRST)] == 1

    before = lake_files(rig.lake)
    # the second run's window again: the same bytes, so nothing at all changes
    third = rig.ingest("--since", lookback_start, "--until", END)
    assert third.exit_code == 0, third.output
    assert " new=0 " in third.stdout and " new=1" not in third.stdout
    assert lake_files(rig.lake) == before


def test_from_dir_still_works_and_refuses_live_options(rig, tmp_path, documents):
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "daily_sleep_1.json").write_text(json.dumps({"data": documents["daily_sleep"], "next_token": None}))
    ok = CliRunner().invoke(ingest_oura, ["--from-dir", str(saved)], obj=rig.context())
    assert ok.exit_code == 0, ok.output
    assert set(bronze_documents(rig.lake, "daily_sleep")) == {document_key("daily_sleep", d) for d in documents["daily_sleep"]}
    mixed = CliRunner().invoke(ingest_oura, ["--from-dir", str(saved), "--since", "2025-01-01"],
                               obj=rig.context())
    assert mixed.exit_code == 2
    assert "apply to the live API" in mixed.output
    unknown = rig.ingest("--endpoint", "steps")
    assert unknown.exit_code == 2 and "unknown ['steps']" in unknown.output


# -- the demo's Oura path (no Spark: the demo test runs the whole demo) ---------------------------------
def test_demo_oura_goes_through_the_live_client(tmp_path, documents):
    from ingest_workers.demo.oura_demo import sync_sample_person

    saved = tmp_path / "oura"
    saved.mkdir()
    for endpoint, docs in documents.items():
        (saved / f"{endpoint}_1.json").write_text(json.dumps({"data": docs, "next_token": None}))
    settings, lake = make_lake(tmp_path / "home")
    settings = settings.model_copy(update={"as_of": END})
    report = sync_sample_person(settings, lake, saved, Runtime(clock=FakeClock()))
    assert report.failed == []
    for endpoint in DATA_ENDPOINTS:  # all of the sample person, through the client
        assert set(bronze_documents(lake, endpoint)) == {
            document_key(endpoint, d) for d in documents[endpoint]}, endpoint
    token_file = tmp_path / "home" / "demo-secrets" / "oura_tokens.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert not (tmp_path / "home" / "secrets").exists()  # the real token store is left alone


# -- token rotation: file store ------------------------------------------------------------------------
class RecordingStore(FileTokenStore):
    def __init__(self, path: Path, events: list) -> None:
        super().__init__(path)
        self.events = events

    def save(self, tokens, expected_version):
        version = super().save(tokens, expected_version)
        self.events.append(("saved", tokens.access_token))
        return version


def oauth_for(sim: OuraSimulator, http: httpx.Client, clock) -> OuraOAuth:
    return OuraOAuth(http, api_base=sim.base_url, auth_base=sim.base_url, client_id=sim.client_id,
                     client_secret=sim.client_secret, redirect_uri=REDIRECT,
                     scopes="daily heartrate", clock=clock)


def test_file_store_rotation_persists_the_new_pair_before_using_it(rig, tmp_path):
    events: list = []
    original = rig.connect()
    store = RecordingStore(rig.token_file, events)
    http = httpx.Client(trust_env=False, event_hooks={"request": [
        lambda r: events.append(("request", r.headers.get("authorization", "")[7:]))
        if "/v2/" in r.url.path else None]})
    with http:
        credentials = OuraCredentials(store, oauth_for(rig.sim, http, rig.clock), rig.clock)
        client = OuraApiClient(http, credentials, api_base=rig.sim.base_url, clock=rig.clock)
        rig.sim.expire_access_tokens()
        pages = list(client.pages(request_windows("daily_sleep", END, END)[0]))
    assert json.loads(pages[0])["data"]
    new_access = rig.stored_tokens().access_token
    assert events == [("request", original.access_token), ("saved", new_access),
                      ("request", new_access)]
    assert credentials.stats.refreshed == 1
    folder = rig.token_file.parent
    assert sorted(p.name for p in folder.iterdir()) == ["oura_tokens.json", "oura_tokens.json.lock"]
    assert stat.S_IMODE(rig.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_file_store_refuses_a_stale_version(tmp_path):
    store = FileTokenStore(tmp_path / "t.json")
    v1 = store.save(TokenPair("a1", "r1", None), None)
    store.save(TokenPair("a2", "r2", None), v1)
    with pytest.raises(TokenStoreConflict):
        store.save(TokenPair("a3", "r3", None), v1)
    with pytest.raises(TokenStoreConflict):
        store.save(TokenPair("a3", "r3", None), None)
    assert store.load().tokens == TokenPair("a2", "r2", None)


def test_two_local_runs_refresh_once_under_the_file_lock(rig):
    rig.connect()
    rig.sim.expire_access_tokens()
    stale = rig.stored_tokens().access_token
    results: list[str] = []
    runs = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with httpx.Client(trust_env=False) as http:
            credentials = OuraCredentials(FileTokenStore(rig.token_file),
                                          oauth_for(rig.sim, http, rig.clock), rig.clock)
            runs.append(credentials)
            barrier.wait()
            results.append(credentials.refresh(stale))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert rig.sim.token_requests == [("refresh_token", 200)]
    assert results[0] == results[1] == rig.stored_tokens().access_token
    assert sorted((c.stats.refreshed, c.stats.adopted) for c in runs) == [(0, 1), (1, 0)]


# -- token rotation: Kubernetes Secret store ------------------------------------------------------------
def secret_store(api) -> KubernetesSecretTokenStore:
    """The Secret `biolake/oura-tokens`, labelled as the chart labels Oura's."""
    return KubernetesSecretTokenStore(api, "biolake", "oura-tokens", component="oura-tokens")


def test_kubernetes_secret_store_round_trip_and_409(documents):
    with KubeSecretServer() as kube:
        store = secret_store(kube.core_api())
        assert store.load().tokens is None and store.load().version is None
        v1 = store.save(TokenPair("a1", "r1", 1.5e9, "daily"), None)
        loaded = store.load()
        assert (loaded.tokens, loaded.version) == (TokenPair("a1", "r1", 1.5e9, "daily"), v1)
        secret = kube.secrets[("biolake", "oura-tokens")]
        secret["data"]["note"] = "a2VwdA=="  # another key of the Secret ("kept")
        secret["metadata"]["annotations"] = {"meta.helm.sh/release-name": "biolake"}
        v2 = store.save(TokenPair("a2", "r2", None), v1)
        assert v2 != v1
        with pytest.raises(TokenStoreConflict):
            store.save(TokenPair("a3", "r3", None), v1)  # stale resourceVersion: 409
        with pytest.raises(TokenStoreConflict):
            store.save(TokenPair("a3", "r3", None), None)  # exists already: 409
        assert kube.conflicts == 2
        secret = kube.secrets[("biolake", "oura-tokens")]
        assert secret["data"]["note"] == "a2VwdA=="
        assert secret["metadata"]["annotations"] == {"meta.helm.sh/release-name": "biolake"}
        assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "oura-tokens"
        assert store.load().tokens == TokenPair("a2", "r2", None)


class RacingSecretStore(KubernetesSecretTokenStore):
    """Both runs read the Secret before either refreshes: the race is certain, not likely."""

    def __init__(self, api, barrier: threading.Barrier) -> None:
        super().__init__(api, "biolake", "oura-tokens", component="oura-tokens")
        self._barrier, self._first = barrier, True

    def load(self):
        stored = super().load()
        if self._first:
            self._first = False
            self._barrier.wait(10)
        return stored


@pytest.mark.parametrize("reuse_interval", [0.0, 30.0], ids=["strict-single-use", "replayed-refresh"])
def test_concurrent_refreshers_race_on_the_secret(documents, reuse_interval):
    """strict: the loser's refresh gets invalid_grant and it uses the winner's stored pair;
    replayed: both refreshes succeed, the loser's PUT gets 409 and it uses the stored pair."""
    clock = SystemClock()  # a real race: the loser really waits for the winner's save
    with (OuraSimulator(documents, refresh_reuse_interval_s=reuse_interval) as sim,
          KubeSecretServer() as kube):
        answer = sim.grant()
        initial = TokenPair(answer["access_token"], answer["refresh_token"], None, answer["scope"])
        secret_store(kube.core_api()).save(initial, None)
        sim.expire_access_tokens()
        barrier = threading.Barrier(2)
        results: dict[int, str] = {}
        runs: dict[int, OuraCredentials] = {}

        def run(n: int) -> None:
            with httpx.Client(trust_env=False) as http:
                credentials = OuraCredentials(
                    RacingSecretStore(kube.core_api(), barrier), oauth_for(sim, http, clock), clock,
                    settle_waits=(0.2, 0.5, 1.0, 2.0),
                )
                runs[n] = credentials
                results[n] = credentials.refresh(initial.access_token)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

        stored = secret_store(kube.core_api()).load().tokens
        assert results[0] == results[1] == stored.access_token != initial.access_token
        assert sorted((c.stats.refreshed, c.stats.adopted) for c in runs.values()) == [(0, 1), (1, 0)]
        if reuse_interval:
            assert [s for _, s in sim.token_requests] == [200, 200]
            assert kube.conflicts == 1
            assert sum(c.stats.conflicts for c in runs.values()) == 1
        else:
            assert sorted(s for _, s in sim.token_requests) == [200, 400]
            assert kube.conflicts == 0
        # the chain is intact: the stored token works, and its refresh token is the live one
        with httpx.Client(trust_env=False) as http:
            ok = http.get(f"{sim.base_url}/v2/usercollection/daily_sleep",
                          params={"start_date": str(END), "end_date": f"{END}T23:59:59"},
                          headers={"Authorization": f"Bearer {stored.access_token}"})
            assert ok.status_code == 200
            refreshed = http.post(f"{sim.base_url}/oauth/token", data={
                "grant_type": "refresh_token", "refresh_token": stored.refresh_token,
                "client_id": sim.client_id, "client_secret": sim.client_secret})
            assert refreshed.status_code == 200


# -- biolake auth oura -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_auth_oura_with_the_local_callback_listener(rig):
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    lines: list[str] = []

    def browser(line: str) -> None:  # a person opening the printed URL, and Oura redirecting
        lines.append(line)
        if line.strip().startswith(rig.sim.base_url):
            threading.Thread(target=lambda: httpx.get(line.strip(), follow_redirects=True, trust_env=False),
                             daemon=True).start()

    with httpx.Client(trust_env=False) as http:
        oauth = OuraOAuth(http, api_base=rig.sim.base_url, auth_base=rig.sim.base_url,
                          client_id=rig.sim.client_id, client_secret=rig.sim.client_secret,
                          redirect_uri=redirect, scopes="daily heartrate", clock=rig.clock)
        tokens = authorize(oauth, FileTokenStore(rig.token_file), show=browser, paste=None,
                           timeout_s=20)
    assert rig.stored_tokens() == tokens
    assert tokens.scopes == {"daily", "heartrate"}
    assert stat.S_IMODE(rig.token_file.stat().st_mode) == 0o600
    assert any("state=" in line and "client_id=" in line for line in lines)
    assert rig.sim.token_requests == [("authorization_code", 200)]


def test_auth_oura_cli_on_a_headless_machine_takes_a_pasted_code(rig):
    # the default redirect URI; --no-listen: nothing listens there, the code is pasted
    code = rig.sim.issue_code("http://127.0.0.1:8765/callback", frozenset({"daily", "workout"}))
    result = CliRunner().invoke(auth_oura, ["--no-listen", "--timeout", "20"],
                                input=f"\n{code}\n", obj=rig.context())
    assert result.exit_code == 0, result.output
    assert "connected: Oura tokens stored in file" in result.stdout
    assert "warning: not granted: heart_health heartrate personal session spo2Daily stress" in result.stdout
    assert rig.stored_tokens().scopes == {"daily", "workout"}


@pytest.mark.parametrize(("pasted", "message"), [
    ("http://127.0.0.1:8765/callback?code=abc&state=forged", "state does not match"),
    ("http://127.0.0.1:8765/callback?error=access_denied", "error=access_denied"),
    ("not-a-valid-code", "invalid_grant"),
    ("", "stdin closed"),
])
def test_auth_oura_refuses_foreign_denied_or_bad_answers(rig, pasted, message):
    result = CliRunner().invoke(auth_oura, ["--no-listen", "--timeout", "20"],
                                input=f"{pasted}\n" if pasted else "", obj=rig.context())
    assert result.exit_code == 1
    assert message in str(result.exception)
    assert not rig.token_file.exists()


# -- unit tests of the pieces (httpx MockTransport, no server) -------------------------------------------
class StaticCredentials:
    def __init__(self, scopes: frozenset[str] = frozenset()) -> None:
        self.scopes, self.refreshes = scopes, 0

    def access_token(self) -> str:
        return "t0"

    def refresh(self, rejected: str) -> str:
        self.refreshes += 1
        return f"t{self.refreshes}"


def mock_client(handler, credentials=None, clock=None, policy=None) -> OuraApiClient:
    return OuraApiClient(httpx.Client(transport=httpx.MockTransport(handler)),
                         credentials or StaticCredentials(), api_base="https://oura.test",
                         clock=clock or FakeClock(), retry=policy, rng=random.Random(1))


WINDOW = RequestWindow("daily_sleep", END, END, (("start_date", str(END)), ("end_date", f"{END}T23:59:59")))


def test_retry_after_then_backoff_then_success():
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(503),
                    httpx.Response(502), httpx.Response(200, json={"data": [], "next_token": None})])
    clock = FakeClock()
    pages = list(mock_client(lambda request: next(answers), clock=clock).pages(WINDOW))
    assert len(pages) == 1
    assert clock.sleeps[0] == 7
    assert 0.5 <= clock.sleeps[1] <= 1.0 and 1.0 <= clock.sleeps[2] <= 2.0  # jittered, growing


def test_retry_budget_caps_attempts_and_total_time():
    clock = FakeClock()
    with pytest.raises(OuraUnavailableError, match=r"daily_sleep: gave up: 500 .*\(3 tries\)"):
        list(mock_client(lambda r: httpx.Response(500), clock=clock,
                         policy=RetryPolicy(max_attempts=3)).pages(WINDOW))
    assert len(clock.sleeps) == 2
    clock = FakeClock()
    with pytest.raises(OuraUnavailableError, match="past the 100 s budget"):
        list(mock_client(lambda r: httpx.Response(429, headers={"Retry-After": "60"}), clock=clock,
                         policy=RetryPolicy(max_elapsed_s=100)).pages(WINDOW))
    assert clock.sleeps == [60]


def test_retry_after_accepts_http_dates():
    now = datetime(2025, 3, 31, 12, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds("Mon, 31 Mar 2025 12:00:30 GMT", now) == 30
    assert retry_after_seconds("12", now) == 12
    assert retry_after_seconds("soon", now) is None


def test_connection_errors_are_retried_for_gets():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"data": [{"id": "x"}], "next_token": None})

    assert len(list(mock_client(handler).pages(WINDOW))) == 1
    assert len(calls) == 3


def test_a_token_refresh_repeats_only_requests_that_were_never_sent():
    def lost_answer():
        raise httpx.ReadTimeout("no answer")  # the refresh token may be spent: do not repeat

    def refused():
        raise httpx.ConnectError("refused")

    def give_up(reason, status):
        return OuraAuthError(reason)

    kw = {"policy": RetryPolicy(max_attempts=2), "rng": random.Random(1), "give_up": give_up,
          "retry_on": (httpx.ConnectError,)}
    clock = FakeClock()
    with pytest.raises(httpx.ReadTimeout):
        send_with_retries(lost_answer, clock=clock, **kw)
    assert clock.sleeps == []
    with pytest.raises(OuraAuthError, match=r"ConnectError: refused \(2 tries\)"):
        send_with_retries(refused, clock=clock, **kw)
    assert len(clock.sleeps) == 1


def test_401_refreshes_once_then_stops_the_run():
    credentials = StaticCredentials()
    seen = []

    def handler(request):
        seen.append(request.headers["authorization"])
        return httpx.Response(401, json={"detail": "expired"})

    with pytest.raises(OuraAuthError, match="freshly refreshed access token"):
        list(mock_client(handler, credentials).pages(WINDOW))
    assert seen == ["Bearer t0", "Bearer t1"]
    assert credentials.refreshes == 1


@pytest.mark.parametrize(("granted", "why"), [
    (frozenset({"daily"}), "granted without the 'heartrate' scope"),
    (frozenset({"daily", "heartrate"}), "membership has lapsed"),
])
def test_403_names_the_scope_or_the_membership(granted, why):
    client = mock_client(lambda r: httpx.Response(403, json={"detail": "Forbidden"}),
                         StaticCredentials(granted))
    with pytest.raises(OuraForbiddenError) as caught:
        list(client.pages(request_windows("heartrate", END, END)[0]))
    assert why in str(caught.value)
    assert str(caught.value).startswith("heartrate: 403 Forbidden (Forbidden)")


def test_a_repeating_next_token_is_a_protocol_error():
    client = mock_client(lambda r: httpx.Response(200, json={"data": [], "next_token": "same"}))
    with pytest.raises(OuraProtocolError, match="repeats"):
        list(client.pages(WINDOW))
    with pytest.raises(OuraProtocolError, match="not JSON"):
        list(mock_client(lambda r: httpx.Response(200, text="<html>")).pages(WINDOW))


def test_paging_resends_the_filters_with_the_token():
    queries = []

    def handler(request):
        queries.append(dict(request.url.params))
        token = "p2" if "next_token" not in request.url.params else None
        return httpx.Response(200, json={"data": [{"id": len(queries)}], "next_token": token})

    assert len(list(mock_client(handler).pages(WINDOW))) == 2
    assert queries == [dict(WINDOW.params), {**dict(WINDOW.params), "next_token": "p2"}]


def test_the_client_syncs_every_endpoint_the_etl_reads():
    from ingest_workers.oura.api_files import OURA_ENDPOINTS
    from spark_jobs.silver.oura import OURA_TABLES

    assert set(ENDPOINT_SCOPES) == set(OURA_ENDPOINTS) == {t.endpoint for t in OURA_TABLES}


def test_request_windows_cover_every_day_within_the_limits():
    windows = request_windows("heartrate", date(2025, 1, 1), date(2025, 3, 31))
    days = [w.first_day + timedelta(days=k) for w in windows
            for k in range((w.last_day - w.first_day).days + 1)]
    assert days == [date(2025, 1, 1) + timedelta(days=k) for k in range(90)]
    for w in windows:
        params = dict(w.params)
        span = (datetime.fromisoformat(params["end_datetime"])
                - datetime.fromisoformat(params["start_datetime"]))
        assert span < timedelta(days=HEARTRATE_MAX_DAYS)
        # the padding covers the local days in every timezone (UTC+14 ... UTC-12)
        assert datetime.fromisoformat(params["start_datetime"]) <= datetime(
            w.first_day.year, w.first_day.month, w.first_day.day, tzinfo=ZoneInfo("Pacific/Kiritimati"))
    [daily] = request_windows("sleep", date(2025, 1, 1), date(2025, 3, 31))
    assert dict(daily.params) == {"start_date": "2025-01-01", "end_date": "2025-03-31T23:59:59"}
    assert request_windows("sleep", date(2025, 2, 1), date(2025, 1, 1)) == []


def test_sync_range_from_the_watermark_with_look_back():
    kw = {"until": END, "lookback_days": 7, "first_sync_days": 365}
    assert sync_range(None, since=None, **kw) == (END - timedelta(days=364), END)
    assert sync_range(date(2025, 3, 20), since=None, **kw) == (date(2025, 3, 13), END)
    assert sync_range(date(2025, 3, 20), since=date(2025, 1, 1), **kw) == (date(2025, 1, 1), END)
    assert sync_range(date(2025, 5, 1), since=None, **kw) == (END, END)


def test_refresh_rejected_is_final_after_the_settle_waits(rig):
    rig.connect()
    rig.sim.revoke_refresh_tokens()
    with httpx.Client(trust_env=False) as http:
        credentials = OuraCredentials(FileTokenStore(rig.token_file),
                                      oauth_for(rig.sim, http, rig.clock), rig.clock)
        with pytest.raises(RefreshRejectedError) as caught:
            credentials.refresh(rig.stored_tokens().access_token)
    assert rig.clock.sleeps == [0.5, 1.0, 2.0]
    assert rig.stored_tokens().refresh_token not in str(caught.value)


def test_secrets_stay_out_of_reprs_and_settings():
    tokens = TokenPair("access-secret", "refresh-secret", 1.0, "daily")
    assert "secret" not in repr(tokens) and "secret" not in str(tokens)
    settings = BiolakeSettings(oura_client_id="app", oura_client_secret="client-secret")
    assert "client-secret" not in repr(settings)
    assert settings.require_oura_client() == ("app", "client-secret")


def test_an_ingestion_log_from_before_the_window_columns_gains_them(tmp_path):
    _, lake = make_lake(tmp_path / "home")
    old_schema = pa.schema([f for f in SCHEMA if not f.name.startswith("window_")])
    now = datetime(2025, 3, 31, tzinfo=UTC)
    row = {"object_key": "bronze/a", "person_id": "me", "source": "oura_api", "dataset": "sleep",
           "original_name": "a.json", "checksum_sha256": "0" * 64, "size_bytes": 1,
           "record_count": 1, "error_count": 0, "status": "ingested", "error": None,
           "started_at": now, "finished_at": now}
    write_deltalake(lake.table_uri("_ops", "ingestion_log"), pa.Table.from_pylist([row], old_schema))
    log = IngestionLog(lake)
    assert log.watermark("me", "oura_api", "sleep") is None
    log.record(IngestionLogEntry(**{**row, "object_key": "bronze/b"}))
    log.mark_window(["bronze/a", "bronze/b"], date(2025, 3, 1), date(2025, 3, 31))
    log.mark_window(["bronze/a"], date(2025, 1, 1), date(2025, 1, 31))  # older: kept as is
    rows = {r["object_key"]: r for r in ingestion_log_rows(lake)}
    assert {k: (str(r["window_start"]), str(r["window_end"])) for k, r in rows.items()} == {
        "bronze/a": ("2025-03-01", "2025-03-31"), "bronze/b": ("2025-03-01", "2025-03-31")}
    assert log.watermark("me", "oura_api", "sleep") == date(2025, 3, 31)
    assert log.watermark("me", "oura_api", "heartrate") is None


# -- Spark: silver from a normal sync plus an overlapping rerun ------------------------------------------
SILVER = {
    "daily_readiness": "oura_daily_readiness", "daily_sleep": "oura_daily_sleep",
    "sleep": "oura_sleep", "daily_activity": "oura_daily_activity", "heartrate": "oura_heartrate",
    "daily_spo2": "oura_daily_spo2", "workout": "oura_workout", "session": "oura_session",
    "daily_stress": "oura_daily_stress",
}


@pytest.fixture(scope="module")
def etl_over_two_syncs(spark, documents, tmp_path_factory):
    from spark_jobs.etl import run_etl

    clock = FakeClock()
    home = tmp_path_factory.mktemp("etl-home")
    with OuraSimulator(documents, clock=clock, page_size=10, heartrate_page_size=2000) as sim:
        rig = Rig(sim, clock, home)
        rig.connect()
        first = rig.ingest("--since", FIRST, "--until", MID)
        second = rig.ingest()
        assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
        report = run_etl(spark, rig.lake)
        served = {e: len(sim.served[e]) for e in ENDPOINT_SCOPES}
    return {"lake": rig.lake, "report": report, "served": served}


@pytest.mark.spark
def test_silver_rows_equal_the_unique_documents_served(etl_over_two_syncs, documents):
    lake, served = etl_over_two_syncs["lake"], etl_over_two_syncs["served"]
    counts = {endpoint: len(read_delta(lake, "silver", table)) for endpoint, table in SILVER.items()}
    assert counts == {endpoint: served[endpoint] for endpoint in SILVER}
    assert all(counts[e] > 0 for e in SILVER)
    assert counts["daily_sleep"] == len(expected_keys(documents, "daily_sleep", FIRST, END))
    assert etl_over_two_syncs["report"].objects_processed == len(bronze_pages(lake))
    assert etl_over_two_syncs["report"].records_quarantined == 0
