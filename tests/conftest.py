"""Shared fixtures: one SparkSession for the whole run, lakes under tmp_path, the real samples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL_FIXTURES = SHARED / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    assert REAL_FIXTURES.is_dir(), f"the real sample files are expected in {REAL_FIXTURES}"
    return REAL_FIXTURES


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The one SparkSession of the run: local[2], UI off, 4 shuffle partitions, Delta on."""
    from biolake.settings import BiolakeSettings
    from spark_jobs.session import build_spark_session

    settings = BiolakeSettings(
        home=tmp_path_factory.mktemp("spark-home"), spark_master="local[2]",
        spark_shuffle_partitions=4,
    )
    session = build_spark_session(settings, "biolake-tests")
    yield session
    session.stop()


def make_lake(home: Path, person_id: str = "me"):
    """(settings, lake) for a fresh embedded lake under `home`."""
    from biolake.lake import Lake, LakeConfig
    from biolake.settings import BiolakeSettings

    settings = BiolakeSettings(home=home, person_id=person_id)
    return settings, Lake(LakeConfig.from_settings(settings))


def read_delta(lake, layer: str, table: str):
    """A Delta table as pandas, read with delta-rs (independently of Spark)."""
    from deltalake import DeltaTable

    return DeltaTable(lake.table_uri(layer, table)).to_pandas()
