"""The Peloton live sync and the CSV inbox end to end: `biolake ingest peloton --api | --inbox`
against the Peloton simulator on 127.0.0.1, a real embedded lake under tmp_path, and a FakeClock
shared by the client and the simulator (Retry-After and backoff cost no real time).

The CLI command is invoked through click with the CLI's own Context, subclassed only to carry the
fake clock and a loopback transport (`peloton_runtime`); settings, token file, HTTP, bronze
writer and ingestion log are the real thing. Expectations are computed here from the sample
person's CSV (csv module) and from the simulator's JSON (json module); bronze and the log are
read back from disk. The Spark part is one module-scoped fixture (marked `spark`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner

from biolake.cli import Context, ingest_peloton
from biolake.errors import ConfigError, InputFormatError
from ingest_workers.common.clock import Clock, FakeClock, SystemClock
from ingest_workers.common.runtime import Runtime
from ingest_workers.demo.peloton_documents import KM_PER_MILE, api_documents_from_csv
from ingest_workers.demo.peloton_simulator import PelotonSimulator
from ingest_workers.demo.sample_person import generate_sample_person
from ingest_workers.peloton.api_json import (
    extract_peloton_performance_graph,
    extract_peloton_workouts_page,
)
from tests.support.lakes import ingestion_log_rows, make_lake, read_delta

END = date(2025, 3, 31)
TIMEZONE = "America/New_York"  # the sample person's
TZ = ZoneInfo(TIMEZONE)
WORKOUTS = 24
PAGE_SIZE = 8


# -- the sample person -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict:
    files = generate_sample_person(
        tmp_path_factory.mktemp("sample"), end_day=END, oura_days=20,
        peloton_workouts=WORKOUTS, peloton_years=0.4,
    )
    documents = api_documents_from_csv(files.peloton_csv, timezone=TIMEZONE)
    with files.peloton_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"csv": files.peloton_csv, "rows": rows, "documents": documents}


# -- reading the lake back -------------------------------------------------------------------------
def lake_files(lake, prefix: str = "") -> dict[str, bytes]:
    root = lake.local_root()
    if not root.exists():
        return {}
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return {k: v for k, v in files.items() if k.startswith(prefix)}


def bronze(lake, dataset: str) -> dict[str, bytes]:
    return lake_files(lake, f"bronze/peloton_api/{dataset}/")


# -- the rig: simulator, fake clock, home, and the CLI command -------------------------------------
class SimContext(Context):
    """The CLI's own Context, carrying the fake clock and transport the test chose."""

    def __init__(self, overrides: dict, runtime: Runtime) -> None:
        super().__init__(overrides)
        self.peloton_runtime = runtime


class StoredTokenCheck(httpx.BaseTransport):
    """Loopback transport that notes, for every /api request, whether its bearer token was
    already in the token file when it was sent (the rotation rule: store, then use)."""

    def __init__(self, token_file: Path) -> None:
        self.inner = httpx.HTTPTransport()
        self.token_file = token_file
        self.stored_first: list[bool] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            stored = json.loads(self.token_file.read_text())["access_token"]
            self.stored_first.append(request.headers["Authorization"] == f"Bearer {stored}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Rig:
    def __init__(self, sim: PelotonSimulator, clock: FakeClock, home: Path) -> None:
        self.sim, self.clock, self.home = sim, clock, home
        self.settings, self.lake = make_lake(home)
        self.token_file = home / "secrets" / "peloton_tokens.json"
        self.seed = sim.issue_refresh_token()  # what the person copied from the browser
        self.transport: httpx.BaseTransport | None = None

    def context(self, **extra) -> SimContext:
        overrides = {
            "home": self.home, "as_of": END, "peloton_api_base": self.sim.base_url,
            "peloton_auth_base": self.sim.base_url, "peloton_refresh_token": self.seed,
            "peloton_page_size": PAGE_SIZE, **extra,
        }
        transport = self.transport or httpx.HTTPTransport()  # loopback: no proxy from the env
        return SimContext(overrides, Runtime(clock=self.clock, transport=transport))

    def ingest(self, *args: object, **extra):
        return CliRunner().invoke(ingest_peloton, [str(a) for a in args], obj=self.context(**extra))

    def stored(self) -> dict:
        return json.loads(self.token_file.read_text())

    def api_requests(self, route: str) -> int:
        return sum(1 for r in self.sim.requests if r.route == route)


@contextmanager
def running_rig(sample: dict, home: Path, clock: Clock) -> Iterator[Rig]:
    with PelotonSimulator(sample["documents"], clock=clock) as sim:
        yield Rig(sim, clock, home)


@pytest.fixture
def rig(tmp_path, sample):
    with running_rig(sample, tmp_path / "home", FakeClock()) as rig:
        yield rig


def assert_bronze_is_what_was_served(rig: Rig) -> None:
    """Every stored object is byte-identical to a 200 answer, every answer is stored, and the
    log has one ingested row per object."""
    pages, graphs = bronze(rig.lake, "workouts"), bronze(rig.lake, "performance_graph")
    assert sorted(pages.values()) == sorted(set(rig.sim.served_bodies("/workouts")))
    # each graph object holds the very bytes served for the workout its key names
    served = {path.split("/")[3]: set(bodies) for path, bodies in rig.sim.served.items()
              if "/performance_graph" in path}
    stored = {key.rsplit(".workout-", 1)[1].removesuffix(".json"): body
              for key, body in graphs.items()}
    assert set(stored) == set(served)
    assert all(served[w] == {body} for w, body in stored.items())
    rows = ingestion_log_rows(rig.lake)
    assert sorted(r["object_key"] for r in rows) == sorted([*pages, *graphs])
    assert {(r["source"], r["status"], r["person_id"]) for r in rows} == {
        ("peloton_api", "ingested", "me")}


def graph_ids(lake) -> list[str]:
    """Workout ids named by the stored graphs' keys (`<sha256>.workout-<id>.json`)."""
    keys = bronze(lake, "performance_graph")
    return sorted(k.rsplit(".workout-", 1)[1].removesuffix(".json") for k in keys)


# -- the scenarios of the issue --------------------------------------------------------------------
def test_normal_multi_page_sync(rig, sample):
    result = rig.ingest("--api")

    assert result.exit_code == 0, result.output
    ids = sorted(w["id"] for w in sample["documents"].workouts)
    assert len(ids) == len(sample["rows"]) == WORKOUTS
    assert rig.api_requests("workouts") == WORKOUTS // PAGE_SIZE  # 3 pages of 8
    assert rig.api_requests("performance_graph") == WORKOUTS
    assert_bronze_is_what_was_served(rig)
    assert len(bronze(rig.lake, "workouts")) == WORKOUTS // PAGE_SIZE
    assert graph_ids(rig.lake) == ids
    # each stored page holds its 8 workouts, newest first across the pages
    listed = [w["id"] for body in sorted(bronze(rig.lake, "workouts").values(),
                                         key=lambda b: json.loads(b)["page"])
              for w in json.loads(body)["data"]]
    assert listed == [w["id"] for w in sample["documents"].workouts]
    rows = {r["dataset"]: r for r in ingestion_log_rows(rig.lake) if r["dataset"] == "workouts"}
    assert rows["workouts"]["record_count"] == PAGE_SIZE
    assert "pages=3 new=3 workouts=24" in result.output
    assert "fetched=24 new=24 missing=0" in result.output


def test_every_graph_is_stored_before_its_page(tmp_path, sample):
    with running_rig(sample, tmp_path / "home", SystemClock()) as rig:  # real, ordered log times
        assert rig.ingest("--api").exit_code == 0

    order = sorted(ingestion_log_rows(rig.lake), key=lambda r: r["finished_at"])
    seen_graphs: set[str] = set()
    for row in order:
        if row["dataset"] == "performance_graph":
            seen_graphs.add(row["object_key"].rsplit(".workout-", 1)[1].removesuffix(".json"))
            continue
        page = json.loads(bronze(rig.lake, "workouts")[row["object_key"]])
        assert {w["id"] for w in page["data"]} <= seen_graphs


def test_expired_access_token_is_refreshed_once_on_401(rig, sample):
    assert rig.ingest("--api").exit_code == 0
    first_run = len(rig.sim.requests)
    rig.sim.expire_access_tokens()  # the server-side lifetime ended; the client cannot know

    result = rig.ingest("--api")

    assert result.exit_code == 0, result.output
    assert rig.sim.token_requests == [("refresh_token", 200), ("refresh_token", 200)]
    # /api/me refused, refreshed once, retried; the first page is all known, so the walk stops
    assert [(r.route, r.status) for r in rig.sim.requests[first_run:]] == [
        ("me", 401), ("me", 200), ("workouts", 200)]


def test_refresh_token_rotates_and_is_persisted_before_use(rig):
    rig.transport = StoredTokenCheck(rig.token_file)

    first = rig.ingest("--api")
    assert first.exit_code == 0, first.output
    rotated = rig.stored()["refresh_token"]
    assert rotated != rig.seed
    assert rig.transport.stored_first and all(rig.transport.stored_first)
    assert oct(rig.token_file.stat().st_mode & 0o777) == "0o600"

    # the seed is spent: only the stored, rotated token can refresh, and each use rotates it
    rig.sim.expire_access_tokens()
    second = rig.ingest("--api")
    assert second.exit_code == 0, second.output
    assert rig.stored()["refresh_token"] not in (rig.seed, rotated)
    assert all(rig.transport.stored_first)
    spent = httpx.post(f"{rig.sim.base_url}/oauth/token", trust_env=False, data={
        "grant_type": "refresh_token", "client_id": rig.sim.client_id, "refresh_token": rotated})
    assert (spent.status_code, spent.json()["error"]) == (403, "invalid_grant")


def test_a_new_refresh_token_in_the_settings_replaces_a_revoked_one(rig):
    assert rig.ingest("--api").exit_code == 0
    rig.sim.revoke_refresh_tokens()
    rig.sim.expire_access_tokens()

    refused = rig.ingest("--api")
    assert refused.exit_code == 1
    assert "Peloton refused the refresh token" in refused.stderr
    assert "BIOLAKE_PELOTON_REFRESH_TOKEN" in refused.stderr

    rig.seed = rig.sim.issue_refresh_token()  # the person copied a new one
    again = rig.ingest("--api")
    assert again.exit_code == 0, again.output
    assert rig.stored()["refresh_token"] != rig.seed


def test_429_with_retry_after_and_a_500_then_success(rig):
    rig.sim.fail_next(1, 429, route="workouts", retry_after="7")
    rig.sim.fail_next(1, 500, route="performance_graph")

    result = rig.ingest("--api")

    assert result.exit_code == 0, result.output
    assert rig.sim.status_counts("workouts") == {429: 1, 200: 3}
    assert rig.sim.status_counts("performance_graph") == {500: 1, 200: WORKOUTS}
    assert rig.clock.sleeps[0] == 7.0  # Retry-After, to the second
    assert 0.5 <= rig.clock.sleeps[1] <= 1.0  # first backoff step after the 500
    assert_bronze_is_what_was_served(rig)
    assert len(graph_ids(rig.lake)) == WORKOUTS


def test_a_route_that_keeps_failing_stops_the_run_keeping_complete_pages(rig):
    rig.sim.fail_next(100, 503, route="performance_graph")
    failed = rig.ingest("--api")
    assert failed.exit_code == 1
    assert "gave up: 503 Service Unavailable (6 tries)" in failed.stderr
    # the first page could not get its graphs: nothing of it was stored
    assert bronze(rig.lake, "workouts") == {} and bronze(rig.lake, "performance_graph") == {}

    rig.sim.clear_faults()
    assert rig.ingest("--api").exit_code == 0
    assert_bronze_is_what_was_served(rig)


def test_rerun_overlapping_duplicates_nothing(rig, sample):
    workouts = sample["documents"].workouts
    rig.sim.set_workouts(workouts[5:])  # the five newest rides have not happened yet
    assert rig.ingest("--api").exit_code == 0
    assert len(graph_ids(rig.lake)) == WORKOUTS - 5

    rig.sim.set_workouts(workouts)
    graphs_before = rig.api_requests("performance_graph")
    incremental = rig.ingest("--api")
    assert incremental.exit_code == 0, incremental.output
    assert rig.api_requests("performance_graph") - graphs_before == 5  # only the new ones
    assert graph_ids(rig.lake) == sorted(w["id"] for w in workouts)  # one graph per workout

    # re-read everything: every graph again (same bytes, stored once); the last page is new,
    # since the five new rides shifted the pages, and is the only new object
    oldest = min(datetime.fromtimestamp(w["start_time"], UTC).astimezone(TZ).date()
                 for w in workouts)
    graphs_before = bronze(rig.lake, "performance_graph")
    overlapping = rig.ingest("--api", "--since", oldest.isoformat())
    assert overlapping.exit_code == 0, overlapping.output
    assert "pages=3 new=1 workouts=24" in overlapping.output
    assert "fetched=24 new=0" in overlapping.output
    assert bronze(rig.lake, "performance_graph") == graphs_before
    assert graph_ids(rig.lake) == sorted(w["id"] for w in workouts)

    log_before, files_before = ingestion_log_rows(rig.lake), lake_files(rig.lake, "bronze/")
    again = rig.ingest("--api", "--since", oldest.isoformat())
    assert again.exit_code == 0, again.output
    assert "pages=3 new=0" in again.output and "fetched=24 new=0" in again.output
    assert lake_files(rig.lake, "bronze/") == files_before
    assert sorted(r["object_key"] for r in ingestion_log_rows(rig.lake)) == sorted(
        r["object_key"] for r in log_before)
    assert_bronze_is_what_was_served(rig)


def test_not_connected_names_the_setting_and_writes_nothing(rig):
    result = rig.ingest("--api", peloton_refresh_token=None)

    assert result.exit_code == 1
    assert "BIOLAKE_PELOTON_REFRESH_TOKEN" in str(result.exception)
    assert rig.sim.requests == [] and rig.sim.token_requests == []
    assert not rig.lake.local_root().exists() or lake_files(rig.lake) == {}


def test_cli_takes_exactly_one_peloton_input(rig, sample):
    both = rig.ingest("--csv", sample["csv"], "--api")
    neither = rig.ingest()
    stray_since = rig.ingest("--csv", sample["csv"], "--since", "2025-01-01")
    assert (both.exit_code, neither.exit_code, stray_since.exit_code) == (2, 2, 2)
    assert "exactly one of --csv FILE, --api or --inbox" in both.output
    assert rig.sim.requests == []

    csv_only = rig.ingest("--csv", sample["csv"])
    assert csv_only.exit_code == 0, csv_only.output
    assert csv_only.output.split()[0] == "ingested"


# -- the CSV inbox ---------------------------------------------------------------------------------
def drop(lake, tmp_path: Path, name: str, data: bytes) -> None:
    local = tmp_path / "drops" / name
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    lake.put_file(local, f"inbox/peloton/{name}")


def test_inbox_ingests_each_csv_once_and_moves_it_out(rig, sample, tmp_path):
    full = sample["csv"].read_bytes()
    lines = full.decode("utf-8-sig").splitlines(keepends=True)
    older = ("\ufeff" + "".join(lines[:1] + lines[10:])).encode()  # an earlier export
    broken = b"Date,Steps\n2025-03-01,1234\n"  # not a Peloton workouts CSV
    drop(rig.lake, tmp_path, "workouts.csv", full)
    drop(rig.lake, tmp_path, "older_export.csv", older)
    drop(rig.lake, tmp_path, "steps.csv", broken)

    first = rig.ingest("--inbox")

    assert first.exit_code == 1  # one file was rejected
    inbox = lake_files(rig.lake, "inbox/")
    note = inbox.pop("inbox/peloton/rejected/steps.csv.error.txt")
    assert inbox == {
        "inbox/peloton/processed/workouts.csv": full,
        "inbox/peloton/processed/older_export.csv": older,
        "inbox/peloton/rejected/steps.csv": broken,
    }
    assert b"steps.csv" in note and b"not a Peloton workouts CSV" in note and b"line 1" in note
    rows = {r["original_name"]: r for r in ingestion_log_rows(rig.lake)}
    assert set(rows) == {"workouts.csv", "older_export.csv", "steps.csv"}
    assert (rows["workouts.csv"]["status"], rows["workouts.csv"]["record_count"]) == (
        "ingested", WORKOUTS)
    assert (rows["older_export.csv"]["status"], rows["older_export.csv"]["record_count"]) == (
        "ingested", WORKOUTS - 9)
    assert rows["steps.csv"]["status"] == "rejected"
    assert "not a Peloton workouts CSV" in rows["steps.csv"]["error"]
    assert len(lake_files(rig.lake, "bronze/peloton_csv/")) == 3  # the rejected bytes are kept too

    log_before = ingestion_log_rows(rig.lake)
    rerun = rig.ingest("--inbox")
    assert rerun.exit_code == 0, rerun.output
    assert "inbox: 0 files, 0 rejected" in rerun.output
    assert len(ingestion_log_rows(rig.lake)) == len(log_before)

    # the next export is called workouts.csv again: same bytes store nothing, the name is kept free
    drop(rig.lake, tmp_path, "workouts.csv", full)
    again = rig.ingest("--inbox")
    assert again.exit_code == 0, again.output
    assert again.output.split()[0] == "already_ingested"
    suffixed = f"inbox/peloton/processed/workouts.{hashlib.sha256(full).hexdigest()[:12]}.csv"
    assert lake_files(rig.lake, suffixed) == {suffixed: full}
    assert len(ingestion_log_rows(rig.lake)) == len(log_before)


@pytest.mark.s3
def test_inbox_on_an_s3_lake(sample, tmp_path):
    """The same inbox on a real S3 API (SeaweedFS on 127.0.0.1): moves are copy + delete."""
    import boto3

    from biolake.lake import Lake, LakeConfig
    from biolake.settings import BiolakeSettings
    from ingest_workers.peloton.inbox import ingest_peloton_inbox
    from tests.support.seaweedfs import SeaweedFS

    (tmp_path / "seaweedfs").mkdir()
    server = SeaweedFS(tmp_path / "seaweedfs")
    server.start()
    try:
        boto3.client(
            "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key, region_name="us-east-1",
        ).create_bucket(Bucket="biolake")
        settings = BiolakeSettings(
            home=tmp_path / "home", lake_uri="s3://biolake/lake", s3_endpoint=server.endpoint,
            s3_access_key=server.access_key, s3_secret_key=server.secret_key,
        )
        lake = Lake(LakeConfig.from_settings(settings))
        full = sample["csv"].read_bytes()
        drop(lake, tmp_path, "workouts.csv", full)
        drop(lake, tmp_path, "notes.txt", b"not a csv at all")

        results = ingest_peloton_inbox(lake, "me")
        again = ingest_peloton_inbox(lake, "me")

        assert sorted((r.moved_to, r.failed) for r in results) == [
            ("inbox/peloton/processed/workouts.csv", False),
            ("inbox/peloton/rejected/notes.txt", True),
        ]
        assert again == []
        assert lake.list_keys("inbox") == [
            "inbox/peloton/processed/workouts.csv", "inbox/peloton/rejected/notes.txt",
            "inbox/peloton/rejected/notes.txt.error.txt",
        ]
        with lake.open("inbox/peloton/processed/workouts.csv") as stream:
            assert stream.read() == full
        stored = []
        for key in lake.list_keys("bronze/peloton_csv/workouts"):
            with lake.open(key) as stream:
                stored.append(stream.read())
        assert sorted(stored) == sorted([full, b"not a csv at all"])  # the rejected one too
    finally:
        server.stop()


def test_lake_move_renames_and_refuses_bronze(rig, tmp_path):
    drop(rig.lake, tmp_path, "a.csv", b"x")
    rig.lake.move("inbox/peloton/a.csv", "inbox/peloton/processed/a.csv")
    assert lake_files(rig.lake, "inbox/") == {"inbox/peloton/processed/a.csv": b"x"}
    with pytest.raises(ConfigError):
        rig.lake.move("inbox/peloton/processed/a.csv", "bronze/x/a.csv")


# -- extractors ------------------------------------------------------------------------------------
def test_page_extractor_yields_workouts_and_flags_non_objects():
    page = json.dumps({"data": [{"id": "a"}, 3], "page": 0, "page_count": 1}).encode()
    records = list(extract_peloton_workouts_page(io.BytesIO(page), "p.json"))
    assert [(r.position, r.payload, r.error) for r in records] == [
        ("data[0]", {"id": "a"}, None), ("data[1]", None, "item is a int, not an object")]
    with pytest.raises(InputFormatError, match="not a Peloton workouts page"):
        list(extract_peloton_workouts_page(io.BytesIO(b'{"items": []}'), "p.json"))


def test_graph_extractor_takes_the_workout_id_from_the_object_name():
    graph = b'{"duration": 60, "metrics": []}'
    key = "bronze/peloton_api/performance_graph/me/" + "0" * 64 + ".workout-abc123.json"
    (record,) = extract_peloton_performance_graph(io.BytesIO(graph), key)
    assert record.payload == {"workout_id": "abc123", "performance_graph": json.loads(graph)}
    with pytest.raises(InputFormatError, match="which workout"):
        list(extract_peloton_performance_graph(io.BytesIO(graph), "0" * 64 + ".json"))


# -- Spark: the CSV and the API of one person give each session once -------------------------------
def csv_workout_id(local_minute: str, title: str, instructor: str) -> str:
    """The silver key, computed here with hashlib from what the CSV prints."""
    text = "|".join(["me", "peloton", local_minute, title.strip(), instructor.strip()])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.fixture(scope="module")
def silver_both(spark, sample, tmp_path_factory) -> dict:
    """One lake: the export, a sync missing the five newest rides, the ETL; then a sync that
    finds them (its pages re-list older workouts whose graphs were processed already), the ETL."""
    from ingest_workers.file_ingest import ingest_peloton_csv
    from spark_jobs.etl import run_etl

    workouts = sample["documents"].workouts
    # the sync logs by its clock, the CSV by the real one: start the fake one a minute ahead so
    # the API objects are the ones ingested last, as after a real export-then-sync
    clock = FakeClock(start=time.time() + 60)
    with running_rig(sample, tmp_path_factory.mktemp("both-home"), clock) as rig:
        (csv_outcome,) = ingest_peloton_csv(rig.lake, sample["csv"], "me")  # the export first,
        rig.sim.set_workouts(workouts[5:])
        first = rig.ingest("--api")  # then the API, before the five newest rides
        assert (csv_outcome.status, first.exit_code) == ("ingested", 0), first.output
        first_etl = run_etl(spark, rig.lake)
        clock.advance(3600)
        rig.sim.set_workouts(workouts)
        second = rig.ingest("--api")
        assert second.exit_code == 0, second.output
        second_etl = run_etl(spark, rig.lake)
        graphs = {path.split("/")[3]: json.loads(bodies[0])
                  for path, bodies in rig.sim.served.items() if "/performance_graph" in path}
    return {
        "silver": read_delta(rig.lake, "silver", "workouts"), "graphs": graphs,
        "quarantine": read_delta(rig.lake, "_ops", "quarantine"),
        "etl": (first_etl, second_etl),
    }


@pytest.mark.spark
def test_silver_has_each_session_once_with_the_api_values(silver_both, sample):
    silver, graphs = silver_both["silver"], silver_both["graphs"]
    rows = sample["rows"]
    first_etl, second_etl = silver_both["etl"]

    assert first_etl.objects_processed == 1 + 3 + WORKOUTS - 5
    assert second_etl.objects_processed == 2 + 5  # two new pages, five new graphs
    assert len(silver) == len(rows) == WORKOUTS
    assert silver["workout_id"].is_unique
    expected_ids = {csv_workout_id(r["Workout Timestamp"][:16], r["Title"], r["Instructor Name"])
                    for r in rows}
    assert set(silver["workout_id"]) == expected_ids
    assert set(silver["source"]) == {"peloton_api"}  # ingested last, so the API row is kept
    assert len(silver_both["quarantine"]) == 0

    by_id = silver.set_index("workout_id")
    for workout in sample["documents"].workouts:
        started = datetime.fromtimestamp(workout["start_time"], UTC)
        local = started.astimezone(TZ)
        instructor = (workout["ride"]["instructor"] or {}).get("name", "")
        row = by_id.loc[csv_workout_id(local.strftime("%Y-%m-%d %H:%M"), workout["ride"]["title"],
                                       instructor)]
        assert row["started_at"].to_pydatetime().replace(tzinfo=UTC) == started
        assert str(row["day"])[:10] == local.date().isoformat()
        assert row["started_local"] == local.strftime("%Y-%m-%d %H:%M")
        assert row["tz_label"] == TIMEZONE
        assert row["discipline"] == workout["fitness_discipline"]
        graph = graphs[workout["id"]]
        metrics = {m["slug"]: m for m in graph["metrics"]}
        if workout["total_work"] or "output" in metrics:
            assert row["output_kj"] == pytest.approx(workout["total_work"] / 1000, abs=1e-9)
        else:
            assert pd.isna(row["output_kj"])
        # the averages survive the second ETL, where re-listed workouts came without graphs
        for slug, column in (("output", "avg_watts"), ("cadence", "avg_cadence_rpm"),
                             ("heart_rate", "avg_hr")):
            if slug in metrics:
                assert row[column] == pytest.approx(metrics[slug]["average_value"]), column
            else:
                assert pd.isna(row[column]), column
        summaries = {s["slug"]: s for s in graph["summaries"]}
        if "distance" in summaries:
            assert summaries["distance"]["display_unit"] == "mi"
            assert row["distance_km"] == pytest.approx(summaries["distance"]["value"] * KM_PER_MILE)
        if "calories" in summaries:
            assert row["calories_kcal"] == summaries["calories"]["value"]
    # the API's exact joules differ from the CSV's rounded kJ: proof the API row is the one kept
    assert any(v % 1 for v in silver["output_kj"].dropna() if v > 0)
