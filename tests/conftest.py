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
    session = build_spark_session(settings, "biolake-tests", with_s3_jars=True)
    yield session
    session.stop()


DEMO_AS_OF = "2025-03-31"


def run_cli(home: Path, *args: str, env: dict | None = None, timeout: int = 900,
            as_of: str = DEMO_AS_OF):
    """The real `biolake` command in its own process, with a clean BIOLAKE_* environment."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    clean["SPARK_LOCAL_IP"] = "127.0.0.1"
    if os.environ.get("BIOLAKE_CACHE_DIR"):
        clean["BIOLAKE_CACHE_DIR"] = os.environ["BIOLAKE_CACHE_DIR"]
    clean.update(env or {})
    biolake = str(Path(sys.executable).with_name("biolake"))
    return subprocess.run(
        [biolake, "--home", str(home), "--as-of", as_of, *args],
        capture_output=True, text=True, env=clean, timeout=timeout, check=False,
    )


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`biolake demo --no-serve` run once for the whole session (the real CLI, own process)."""
    home = tmp_path_factory.mktemp("demo-home")
    run = run_cli(home, "demo", "--no-serve")
    assert run.returncode == 0, run.stderr[-3000:]
    (inputs,) = (home / "demo-input").iterdir()
    _, lake = make_lake(home)
    return {"home": home, "inputs": inputs, "stdout": run.stdout, "lake": lake}


@pytest.fixture(scope="session")
def demo_report(demo_lake: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`biolake report --local-only` for the demo person's last complete week before
    DEMO_AS_OF (2025-W13), run once: kaleido with the system Chromium, the template narrative,
    and the lake left as the demo built it."""
    out = tmp_path_factory.mktemp("demo-report")
    run = run_cli(demo_lake["home"], "report", "--local-only", "--out", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    (path,) = out.glob("*.html")
    return {"path": path, "stdout": run.stdout, "home": demo_lake["home"]}


@pytest.fixture(scope="session")
def trino_server(demo_lake: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Trino server over the demo lake, started once per run and stopped at the end."""
    import os

    from biolake.trino_server import TrinoServer

    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    server = TrinoServer(demo_lake["lake"], cache, tmp_path_factory.mktemp("trino-run"))
    server.start()
    yield server
    server.stop()


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
