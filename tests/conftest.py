"""Session fixtures (one SparkSession, the demo lake, a Trino server, each started once per run)
and the markers that say what a test needs, so `pytest -m "not docker"` and friends work.

Markers follow the fixtures a test uses, so they cannot drift from what it really starts:
`spark` (the shared SparkSession, or the real CLI building a lake with Spark), `trino` (the
Trino server). Modules that start SeaweedFS, the Docker engine, Chromium or helm say so with
`pytestmark` (`s3`, `docker`, `browser`, `helm`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.lakes import make_lake
from tests.support.paths import REAL_FIXTURES

_MARKER_FIXTURES = {
    "spark": {"spark", "demo_lake", "demo_report"},
    "trino": {"trino_server"},
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _MARKER_FIXTURES.items():
            if used & fixtures:
                item.add_marker(marker)


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

    from app.serving.local_trino import TrinoServer

    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    server = TrinoServer(demo_lake["lake"], cache, tmp_path_factory.mktemp("trino-run"))
    server.start()
    yield server
    server.stop()
