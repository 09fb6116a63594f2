"""Many writers on one lake (issue 14): concurrent `biolake ingest` processes all succeed, on a
folder lake and on a real SeaweedFS S3 lake; commit conflicts on the ingestion log are retried
(docs/WRITERS.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from biolake.lake import Lake, LakeConfig
from biolake.settings import BiolakeSettings
from ingest_workers.ingestion_log import IngestionLog
from tests.support.cli import run_cli_together
from tests.support.seaweedfs import SeaweedFS
from tests.support.writers import create_bucket, distinct_peloton_csvs, seaweedfs_lake_env

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
