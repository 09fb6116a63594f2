"""An ingest that stores new objects starts the ETL: a Job from the chart's ETL CronJob.

The Kubernetes API is a small server on 127.0.0.1 (tests/kube_secret_server.py) that holds the ETL
CronJob exactly as `helm template` renders it; the real `kubernetes` client talks to it through a
kubeconfig, from the real `biolake ingest` command in its own process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.helm_chart import FULLNAME, NAMESPACE, render
from tests.support.http_fakes import serving_in_thread
from tests.support.kube_secret_server import FakeBatchApi

pytestmark = pytest.mark.helm

ETL_CRONJOB = f"{FULLNAME}-etl"


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[FakeBatchApi, dict]]:
    (cronjob,) = [d for d in render() if d["kind"] == "CronJob" and d["metadata"]["name"] == ETL_CRONJOB]
    api = FakeBatchApi(cronjob, NAMESPACE)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {"server": api.url}}],
        "users": [{"name": "test", "user": {"token": "test-token"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
    }))
    env = {"KUBECONFIG": str(kubeconfig), "BIOLAKE_ETL_TRIGGER_CRONJOB": ETL_CRONJOB,
           "BIOLAKE_ETL_TRIGGER_NAMESPACE": NAMESPACE}
    with serving_in_thread(api.server):
        yield api, env


def _csv(tmp_path: Path, real_fixtures: Path, rows: int, name: str) -> Path:
    lines = (real_fixtures / "peloton" / "workouts_us_units.csv").read_text().splitlines(keepends=True)
    path = tmp_path / name
    path.write_text("".join(lines[: rows + 1]))
    return path


def test_new_objects_start_one_etl_job_from_the_cronjob(kube, tmp_path: Path,
                                                        real_fixtures: Path) -> None:
    api, env = kube
    home = tmp_path / "home"
    first = _csv(tmp_path, real_fixtures, 10, "first.csv")

    run = run_cli(home, "ingest", "peloton", "--csv", str(first), env=env)
    assert run.returncode == 0, run.stderr
    (job,) = api.jobs
    assert f"etl: started Job {job['metadata']['name']} (1 objects wait for the ETL, 1 new)" in run.stdout
    template = api.cronjob["spec"]["jobTemplate"]
    # the CronJob's own job template, owned by the CronJob, marked as a manual run
    assert job["spec"] == json.loads(json.dumps(template["spec"]))
    assert job["metadata"]["name"].startswith(f"{ETL_CRONJOB}-")
    (owner,) = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "CronJob", ETL_CRONJOB, api.cronjob["metadata"]["uid"], True)
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert "biolake ingest peloton" in job["metadata"]["annotations"]["bio-lakehouse/started-by"]
    kubernetes_validate.validate({k: v for k, v in job.items() if k != "status"}, "1.37.0", strict=True)

    # the same file again stores nothing new, and the object waits for the active Job: no Job
    again = run_cli(home, "ingest", "peloton", "--csv", str(first), env=env)
    assert again.returncode == 0, again.stderr
    assert "is still running" in again.stdout and len(api.jobs) == 1

    # a new file while the first Job is still active: no second ETL at the same time
    second = _csv(tmp_path, real_fixtures, 20, "second.csv")
    busy = run_cli(home, "ingest", "peloton", "--csv", str(second), env=env)
    assert busy.returncode == 0, busy.stderr
    assert f"Job {job['metadata']['name']} is still running" in busy.stdout and len(api.jobs) == 1

    # once it finished, the next new file starts the next Job
    job["status"] = {"succeeded": 1}
    third = _csv(tmp_path, real_fixtures, 30, "third.csv")
    after = run_cli(home, "ingest", "peloton", "--csv", str(third), env=env)
    assert after.returncode == 0, after.stderr
    assert len(api.jobs) == 2 and "etl: started Job" in after.stdout


def _etl_built_everything(home: Path) -> None:
    """What a finished ETL leaves behind for the trigger's question: every ingested object in
    `_ops/etl_objects` (written here with delta-rs; the real ETL is tested elsewhere)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    from tests.support.lakes import ingestion_log_rows, make_lake

    _, lake = make_lake(home)
    keys = [row["object_key"] for row in ingestion_log_rows(lake) if row["status"] == "ingested"]
    write_deltalake(lake.table_uri("_ops", "etl_objects"), pa.table({"object_key": keys}), mode="overwrite")


def test_nothing_waiting_starts_no_job(kube, tmp_path: Path, real_fixtures: Path) -> None:
    api, env = kube
    home, csv = tmp_path / "home", _csv(tmp_path, real_fixtures, 10, "first.csv")
    assert run_cli(home, "ingest", "peloton", "--csv", str(csv), env=env).returncode == 0
    api.jobs[0]["status"] = {"succeeded": 1}
    _etl_built_everything(home)
    again = run_cli(home, "ingest", "peloton", "--csv", str(csv), env=env)
    assert again.returncode == 0, again.stderr
    assert "every object is built; no ETL Job started" in again.stdout and len(api.jobs) == 1


def test_a_trigger_lost_to_api_errors_is_not_lost(kube, tmp_path: Path, real_fixtures: Path) -> None:
    api, env = kube
    home, csv = tmp_path / "home", _csv(tmp_path, real_fixtures, 10, "first.csv")
    # one 503 (an API server restarting) is retried: exactly one Job
    api.create_failures = [503]
    run = run_cli(home, "ingest", "peloton", "--csv", str(csv), env=env)
    assert run.returncode == 0, run.stderr
    assert len(api.jobs) == 1 and api.create_failures == []
    api.jobs[0]["status"] = {"succeeded": 1}
    _etl_built_everything(home)

    # the API fails past the retries: the ingest fails after its object landed ...
    api.create_failures = [503] * 10
    new_csv = _csv(tmp_path, real_fixtures, 20, "second.csv")
    failed = run_cli(home, "ingest", "peloton", "--csv", str(new_csv), env=env)
    assert failed.returncode == 1
    assert f"CronJob {NAMESPACE}/{ETL_CRONJOB}: HTTP 503" in failed.stderr and "after 4 attempts" in failed.stderr
    assert len(api.jobs) == 1
    # ... and the Job's retry, which finds nothing new to ingest, still starts the ETL
    api.create_failures = []
    retry = run_cli(home, "ingest", "peloton", "--csv", str(new_csv), env=env)
    assert retry.returncode == 0, retry.stderr
    assert len(api.jobs) == 2 and "(1 objects wait for the ETL, 0 new)" in retry.stdout


def test_a_refused_trigger_fails_the_command_readably_and_keeps_the_data(
        kube, tmp_path: Path, real_fixtures: Path) -> None:
    api, env = kube
    api.forbidden = True
    home = tmp_path / "home"
    run = run_cli(home, "ingest", "peloton", "--csv", str(_csv(tmp_path, real_fixtures, 5, "a.csv")), env=env)
    assert run.returncode == 1
    assert f"CronJob {NAMESPACE}/{ETL_CRONJOB}: HTTP 403" in run.stderr
    assert "needs get on the CronJob" in run.stderr
    assert "ingested" in run.stdout  # the object landed in bronze before the trigger failed
    assert api.jobs == []


def test_without_the_setting_no_kubernetes_api_is_called(kube, tmp_path: Path,
                                                         real_fixtures: Path) -> None:
    api, env = kube
    env = {k: v for k, v in env.items() if not k.startswith("BIOLAKE_ETL_TRIGGER")}
    run = run_cli(tmp_path / "home", "ingest", "peloton", "--csv",
                  str(_csv(tmp_path, real_fixtures, 5, "a.csv")), env=env)
    assert run.returncode == 0, run.stderr
    assert "etl:" not in run.stdout and api.jobs == []
