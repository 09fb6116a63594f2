"""Many writers on one lake (issue 14): concurrent `biolake ingest` processes all succeed, on a
folder lake and on a real SeaweedFS S3 lake; commit conflicts on the ingestion log are retried
(docs/WRITERS.md)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from biolake.lake import Lake, LakeConfig
from biolake.settings import BiolakeSettings
from ingest_workers.ingestion_log import IngestionLog
from tests.support.cli import run_cli_together
from tests.support.lakes import make_lake
from tests.support.seaweedfs import SeaweedFS
from tests.support.writers import (
    create_bucket,
    distinct_peloton_csvs,
    hold_lease_in_process,
    seaweedfs_lake_env,
)

WRITERS = 16
BUCKET = "manywriters"


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs-writers"))
    server.start()
    try:
        create_bucket(server, BUCKET)
        yield server
    finally:
        server.stop()


def _ingest_concurrently(home: Path, csvs: list[Path], env: dict | None = None) -> None:
    runs = run_cli_together(home, [("ingest", "peloton", "--csv", str(p)) for p in csvs], env=env)
    failed = [(r.args[-1], r.returncode, r.stderr[-800:]) for r in runs if r.returncode != 0]
    assert not failed, failed
    for run in runs:
        assert "Traceback" not in run.stderr
        assert run.stdout.startswith("ingested "), run.stdout


def _assert_all_logged(lake: Lake, csvs: list[Path]) -> None:
    log = IngestionLog(lake).read_all().to_pylist()
    assert sorted(row["original_name"] for row in log) == sorted(p.name for p in csvs)
    assert {row["status"] for row in log} == {"ingested"}
    assert len({row["object_key"] for row in log}) == len(csvs)
    bronze = lake.list_keys("bronze")
    assert len(bronze) == len(csvs)
    assert sorted(bronze) == sorted(row["object_key"] for row in log)


def test_concurrent_ingests_on_a_folder_lake_all_land(tmp_path: Path, real_fixtures: Path) -> None:
    csvs = distinct_peloton_csvs(real_fixtures / "peloton" / "workouts_us_units.csv",
                                 tmp_path / "csv", WRITERS)
    home = tmp_path / "home"
    _ingest_concurrently(home, csvs)
    _assert_all_logged(Lake(LakeConfig.from_settings(BiolakeSettings(home=home))), csvs)


@pytest.mark.s3
def test_concurrent_ingests_on_seaweedfs_all_land(
    tmp_path: Path, real_fixtures: Path, seaweedfs: SeaweedFS
) -> None:
    csvs = distinct_peloton_csvs(real_fixtures / "peloton" / "workouts_us_units.csv",
                                 tmp_path / "csv", WRITERS)
    env = seaweedfs_lake_env(seaweedfs, BUCKET, "ingest16")
    _ingest_concurrently(tmp_path / "home", csvs, env)
    settings = BiolakeSettings(
        home=tmp_path / "home", lake_uri=env["BIOLAKE_LAKE_URI"], s3_endpoint=seaweedfs.endpoint,
        s3_access_key=seaweedfs.access_key, s3_secret_key=seaweedfs.secret_key,
    )
    _assert_all_logged(Lake(LakeConfig.from_settings(settings)), csvs)


# -- the lease on S3: conditional writes and an expiry ---------------------------------------------
def _s3_lake(server: SeaweedFS, prefix: str) -> tuple[Lake, dict]:
    env = seaweedfs_lake_env(server, BUCKET, prefix)
    settings = BiolakeSettings(
        lake_uri=env["BIOLAKE_LAKE_URI"], s3_endpoint=server.endpoint,
        s3_access_key=server.access_key, s3_secret_key=server.secret_key,
    )
    return Lake(LakeConfig.from_settings(settings)), env


@pytest.mark.s3
def test_an_s3_lease_has_one_holder_renews_itself_and_goes_on_release(seaweedfs: SeaweedFS) -> None:
    from biolake.lease import lake_lease

    lake, _ = _s3_lake(seaweedfs, "lease-renew")
    ttl = 3.0
    first, second = lake_lease(lake, "etl", ttl), lake_lease(lake, "etl", ttl)
    assert first.try_acquire() is None
    try:
        time.sleep(ttl * 1.7)  # past one lease time: renewals keep it held
        holder = second.try_acquire()
        assert holder is not None and holder.pid == os.getpid() and holder.since is not None
    finally:
        first.release()
    assert lake.list_keys("_ops/_locks") == []
    assert second.try_acquire() is None
    second.release()


@pytest.mark.s3
def test_an_s3_lease_of_a_killed_holder_is_free_after_its_time(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    from biolake.lease import holding, lake_lease

    lake, env = _s3_lake(seaweedfs, "lease-kill")
    ttl = 3.0
    holder = hold_lease_in_process({**env, "BIOLAKE_HOME": str(tmp_path)}, "etl", ttl)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    killed = time.monotonic()
    lease = lake_lease(lake, "etl", ttl)
    busy = lease.try_acquire()
    assert busy is not None and busy.pid == holder.pid  # still within its time
    with holding(lease, activity="an ETL", wait_s=ttl + 10):
        freed_after = time.monotonic() - killed
    assert freed_after <= ttl + 2.5, freed_after


# -- two ETLs: one builds, the other waits or exits with 75 ----------------------------------------
@pytest.mark.spark
def test_two_etls_and_eight_ingests_together_build_every_object_once(
    tmp_path: Path, real_fixtures: Path
) -> None:
    """Two `biolake etl --wait` started together: one builds, the other waits for it and then
    builds what was ingested meanwhile (8 ingests started during the first run); a third ETL
    without --wait exits 75 at once, naming the running one. Every object ends up in silver
    exactly once, and no table has a key twice."""
    from tests.support.cli import run_cli, start_cli
    from tests.support.lakes import read_delta

    home = tmp_path / "home"
    csvs = distinct_peloton_csvs(real_fixtures / "peloton" / "workouts_us_units.csv",
                                 tmp_path / "csv", 12, rows_each=10)
    before, during = csvs[:4], csvs[4:]
    for csv in before:
        assert run_cli(home, "ingest", "peloton", "--csv", str(csv)).returncode == 0
    etls = [start_cli(home, "etl", "--wait", "900"), start_cli(home, "etl", "--wait", "900", "--quiet")]
    lock = home / "lake" / "_ops" / "_locks" / "etl.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lock.stat().st_size, "no ETL took the lease"

    started = time.monotonic()
    third = run_cli(home, "etl")
    assert third.returncode == 75, third.stderr
    assert time.monotonic() - started < 20  # no Spark started to find out
    (line,) = third.stderr.strip().splitlines()
    assert line.startswith("error: an ETL is already running on this lake since "), line
    # ingested while an ETL runs: built by that run or the next, never skipped
    _ingest_concurrently(home, during)

    outputs = []
    for etl in etls:
        out, err = etl.communicate(timeout=900)
        assert etl.returncode == 0, err[-3000:]
        outputs.append((out, err))
    waited = [o for o in outputs if "etl: waiting up to 900 s for the ETL running since" in o[1]]
    assert len(waited) == 1, [o[1][-500:] for o in outputs]
    # each step as it finishes, in plain lines; --quiet: only the summary
    (talking, _), (quiet, _) = outputs
    assert "etl: starting Spark for " in talking
    assert re.search(r"^etl: spark session +\d+\.\d s$", talking, re.M), talking
    assert re.search(r"^etl: find_objects +\d+\.\d s  \(\d+ Spark jobs?\)$", talking, re.M), talking
    assert "starting Spark" not in quiet and not re.search(r" s(?:  \(\d+ Spark jobs?\))?$", quiet, re.M), quiet
    assert re.search(r"^etl: \d+ new objects, ", quiet, re.M), quiet
    # the JVM's own lines (log4j's start-up, incubator modules) are in the log file, not here
    jvm_lines = re.compile(r"log4j|incubator modules|setLogLevel|NativeCodeLoader")
    for out, err in outputs:
        assert not jvm_lines.search(out + err), (out + err)[-2000:]
    jvm_log = (home / "logs" / "spark-etl.log").read_text()
    assert len(re.findall(r"^=== biolake-etl, pid \d+, ", jvm_log, re.M)) == 2, jvm_log[:2000]
    assert "log4j" in jvm_log

    _, lake = make_lake(home)
    log = read_delta(lake, "_ops", "ingestion_log")
    processed = read_delta(lake, "_ops", "etl_objects")
    assert len(log) == 12
    assert sorted(processed["object_key"]) == sorted(log["object_key"])  # each once, none skipped
    workouts = read_delta(lake, "silver", "workouts")
    assert len(workouts) == 120 and workouts["workout_id"].is_unique
    gold = read_delta(lake, "gold", "daily_readiness_performance")
    assert not gold.duplicated(["person_id", "day"]).any()
    assert set(workouts["day"]) == set(gold["day"])

    # the tables equal one ETL's build of the same bronze
    rebuilt = run_cli(home, "etl", "--full", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]

    workout_keys = ["person_id", "workout_id"]

    def rows(frame, keys):
        return frame.sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(read_delta(lake, "silver", "workouts"), workout_keys),
                                  rows(workouts, workout_keys), check_like=True)
    pd.testing.assert_frame_equal(
        rows(read_delta(lake, "gold", "daily_readiness_performance"), ["person_id", "day"]),
        rows(gold, ["person_id", "day"]), check_like=True)
