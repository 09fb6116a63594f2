"""The images, run as the Helm chart runs them, on a private Docker network.

`docker/build-images.sh` builds the project and Spark images plus Trino and SeaweedFS images (this
machine cannot pull the official ones); the chart is rendered with a real helm and its pods are
run as containers by tests/pod_runner.py, with the chart's environment, Secrets, ConfigMaps and
security contexts. One install goes the way a cluster would go:

    object store -> Trino -> views-apply Job (creates the bucket) -> a CSV dropped in the inbox
    -> the inbox CronJob ingests it -> a one-off Oura import -> the ETL CronJob (Spark in the
    Spark image, then `views apply` as biolake_writer) -> the dashboard -> the `helm test` pod

and the host checks the outcome through ports published on 127.0.0.1 only: the gold views as the
analyst against numbers computed with pandas from the raw samples, the analyst refused a write,
the dashboard's health endpoint and its authentication. Executors as pods need a cluster, so the
ETL runs Spark in local mode inside the Spark image (the override is the only change to the pod).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import boto3
import httpx
import pandas as pd
import pytest
import trino
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from tests.support.helm_chart import FULLNAME, REPO, render
from tests.support.paths import REAL_FIXTURES
from tests.support.pod_runner import ChartRelease, publish_on_loopback

pytestmark = [pytest.mark.timeout(1800), pytest.mark.docker, pytest.mark.helm]

GOLD_VIEWS = sorted(p.stem for p in (REPO / "trino" / "views").glob("*.sql"))
CHART_VALUES = (
    # the images built here for what the chart pulls from Docker Hub by default
    "--set", "images.trino.repository=bio-lakehouse/trino",
    "--set", "images.seaweedfs.repository=bio-lakehouse/seaweedfs",
    # a Docker network alias cannot remap ports: the Service port is the container port
    "--set", "dashboard.service.port=5006",
    # no Kubernetes API here for the inbox to start the ETL Job (tests/test_etl_trigger.py
    # checks that against a fake API); the ETL CronJob's pod is run by the test instead
    "--set", "etl.startAfterIngest=false",
)


def _wait_http(url: str, container: DockerContainer, timeout_s: float = 240,
               ok=lambda status, body: status == 200) -> bytes:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read()
                if ok(response.status, body):
                    return body
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            if ok(exc.code, b""):
                return b""
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        container.get_wrapped_container().reload()
        if container.status == "exited":
            break
        time.sleep(1)
    out, err = container.get_logs()
    raise AssertionError(f"{url} did not answer ({last}):\n{(out + err).decode()[-4000:]}")


def _run_to_completion(container: DockerContainer, timeout_s: int = 900) -> str:
    """Start a Job-like container, wait for it to exit; its output, or a failure with it."""
    container.start()
    try:
        status = container.get_wrapped_container().wait(timeout=timeout_s)["StatusCode"]
        out, err = container.get_logs()
        output = (out + err).decode()
    finally:
        container.stop()
    assert status == 0, f"exit {status}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def images() -> None:
    """Build (or find in Docker's cache) the four images; also starts dockerd when needed."""
    run = subprocess.run(
        [str(REPO / "docker" / "build-images.sh"), "project", "spark", "trino", "seaweedfs"],
        capture_output=True, text=True, timeout=3600, check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]


@pytest.fixture(scope="module")
def release(images, tmp_path_factory: pytest.TempPathFactory) -> ChartRelease:
    return ChartRelease(render(*CHART_VALUES), tmp_path_factory.mktemp("pods"))


@pytest.fixture(scope="module")
def network(images) -> Iterator[Network]:
    with Network() as net:
        yield net


@pytest.fixture(scope="module")
def installed(release: ChartRelease, network: Network) -> Iterator[dict]:
    """The whole install, driven once; yields how the host reaches it."""
    started: list[DockerContainer] = []

    def serve(container: DockerContainer, port: int) -> DockerContainer:
        publish_on_loopback(container, port).start()
        started.append(container)
        return container

    s3 = release.config_data("Secret", f"{FULLNAME}-s3")
    env = release.config_data("ConfigMap", f"{FULLNAME}-env")
    try:
        store = serve(release.container("Deployment", f"{FULLNAME}-object-store", network=network), 8333)
        s3_url = f"http://127.0.0.1:{store.get_exposed_port(8333)}"
        _wait_http(f"{s3_url}/healthz", store, ok=lambda status, _: status < 500)
        coordinator = serve(
            release.container("Deployment", f"{FULLNAME}-trino-coordinator", network=network), 8080)
        trino_port = coordinator.get_exposed_port(8080)
        _wait_http(f"http://127.0.0.1:{trino_port}/v1/info", coordinator,
                   ok=lambda status, body: status == 200 and not json.loads(body)["starting"])

        # post-install: the views-apply Job creates the bucket on the bundled object store
        _run_to_completion(release.container("Job", f"{FULLNAME}-views-apply", network=network))

        # a user drops the Peloton export in the inbox, and the inbox CronJob picks it up
        bucket, prefix = env["BIOLAKE_LAKE_URI"].removeprefix("s3://").split("/", 1)
        client = boto3.client("s3", endpoint_url=s3_url, region_name=env["BIOLAKE_S3_REGION"],
                              aws_access_key_id=s3["access-key"], aws_secret_access_key=s3["secret-key"])
        csv = REAL_FIXTURES / "peloton" / "workouts_us_units.csv"
        client.upload_file(str(csv), bucket, f"{prefix}/inbox/peloton/workouts_us_units.csv")
        inbox_log = _run_to_completion(
            release.container("CronJob", f"{FULLNAME}-peloton-inbox", network=network))

        # a one-off import of saved Oura responses, in the same pod spec (kubectl-run style)
        fixtures = REAL_FIXTURES
        _run_to_completion(release.container(
            "CronJob", f"{FULLNAME}-peloton-inbox", network=network,
            args=["biolake", "ingest", "oura", "--from-dir", "/fixtures/oura_api_v2"],
            mounts={"/fixtures": fixtures}))

        # the ETL CronJob: Spark in local mode (no cluster for executor pods), then views apply
        etl_log = _run_to_completion(release.container(
            "CronJob", f"{FULLNAME}-etl", network=network,
            env={"BIOLAKE_SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1",
                 "BIOLAKE_SPARK_DRIVER_HOST": "127.0.0.1"}))

        dashboard = serve(release.container("Deployment", f"{FULLNAME}-dashboard", network=network), 5006)
        dashboard_url = f"http://127.0.0.1:{dashboard.get_exposed_port(5006)}"
        _wait_http(f"{dashboard_url}/healthz", dashboard)

        helm_test_log = _run_to_completion(
            release.container("Pod", f"{FULLNAME}-test-gold-views", network=network))
        yield {
            "s3": client, "bucket": bucket, "prefix": prefix,
            "trino_port": trino_port, "dashboard_url": dashboard_url,
            "dashboard_auth": release.config_data("Secret", f"{FULLNAME}-dashboard-auth"),
            "inbox_log": inbox_log, "etl_log": etl_log, "helm_test_log": helm_test_log,
        }
    finally:
        for container in reversed(started):
            container.stop()


def _analyst_query(installed: dict, sql: str) -> list[tuple]:
    conn = trino.dbapi.connect(host="127.0.0.1", port=installed["trino_port"], user="analyst",
                               catalog="lakehouse", schema="gold")
    cursor = conn.cursor()
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


def test_the_inbox_cronjob_moved_the_export_to_processed(installed: dict) -> None:
    keys = [o["Key"] for o in installed["s3"].list_objects_v2(
        Bucket=installed["bucket"], Prefix=f"{installed['prefix']}/inbox/")["Contents"]]
    assert any("/inbox/peloton/processed/" in k and k.endswith("workouts_us_units.csv") for k in keys), keys
    assert not any(k.endswith("/inbox/peloton/workouts_us_units.csv") for k in keys), keys
    bronze = installed["s3"].list_objects_v2(
        Bucket=installed["bucket"], Prefix=f"{installed['prefix']}/bronze/peloton_csv/")
    assert bronze["KeyCount"] == 1


def test_readiness_through_trino_matches_the_raw_oura_sample(installed: dict) -> None:
    raw = json.loads((REAL_FIXTURES / "oura_api_v2"
                      / "daily_readiness.json").read_text())["data"]
    expected = {(doc["day"], doc["score"]) for doc in raw if doc.get("score") is not None}
    rows = _analyst_query(
        installed,
        "SELECT CAST(day AS varchar), readiness_score FROM daily_readiness_performance "
        "WHERE readiness_score IS NOT NULL")
    assert set(rows) == expected


def test_workout_totals_through_trino_match_the_csv(installed: dict) -> None:
    csv = pd.read_csv(REAL_FIXTURES / "peloton" / "workouts_us_units.csv")
    ((count, output_kj),) = _analyst_query(
        installed, "SELECT sum(workout_count), sum(total_output_kj) FROM daily_readiness_performance")
    assert count == len(csv)
    assert output_kj == pytest.approx(csv["Total Output"].sum(), rel=1e-9)


def test_every_gold_view_answers_the_analyst_and_writes_are_refused(installed: dict) -> None:
    for view in GOLD_VIEWS:
        ((count,),) = _analyst_query(installed, f'SELECT count(*) FROM "{view}"')
        assert count >= 0
    with pytest.raises(trino.exceptions.TrinoUserError, match="Access Denied"):
        _analyst_query(installed, "CREATE SCHEMA lakehouse.must_be_refused")
    # the chart's own `helm test` pod, run in the project image, saw the same
    log = installed["helm_test_log"]
    assert all(f"ok    gold.{view}:" in log for view in GOLD_VIEWS), log
    assert "refused a write" in log and "/healthz: HTTP 200" in log, log


def test_dashboard_is_healthy_and_requires_its_password(installed: dict) -> None:
    url = installed["dashboard_url"]
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    anonymous = httpx.get(f"{url}/", timeout=30, follow_redirects=False)
    assert anonymous.status_code in (302, 401, 403)
    auth = installed["dashboard_auth"]
    with httpx.Client(base_url=url, timeout=60) as browser:
        wrong = browser.post("/login", data={"username": auth["username"], "password": "wrong"})
        assert "Bio-Lakehouse" not in wrong.text
        browser.post("/login", data={"username": auth["username"], "password": auth["password"]})
        page = browser.get("/")
    assert page.status_code == 200 and "Bio-Lakehouse" in page.text


def test_etl_registered_the_tables_as_the_writer(installed: dict) -> None:
    tables = {name for (name,) in _analyst_query(installed, "SHOW TABLES FROM lakehouse.gold")}
    assert "daily_readiness_performance" in tables
    assert set(GOLD_VIEWS) <= tables
