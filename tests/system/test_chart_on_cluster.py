"""The chart on a real Kubernetes API server: `helm install --wait` on the single-node cluster of
tests/system/cluster (built from source here), in a namespace that enforces Pod Security
`restricted`, with the chart's defaults (bundled SeaweedFS, Trino, dashboard).

One install goes the way a person's first week would go, and each step is checked where a real
cluster breaks charts: admission, RBAC, Services and DNS, CronJobs the controller fires, Jobs
started through the API, Spark executors as pods, `helm test`, `helm upgrade`, `helm uninstall`.

    no default StorageClass: the install stops at once with a way out -> a storage class given
    -> install --wait (the views-apply hook Job on the empty lake) -> a Peloton CSV in the inbox
    -> the inbox CronJob, run now, ingests it and starts the ETL Job through the API -> the ETL
    runs Spark with executor pods -> the gold views through Trino as the analyst = pandas on the
    CSV -> helm upgrade (a dashboard value, and the report's schedule a minute ahead): only the
    dashboard rolls, the lake stays -> the report CronJob fires on its own and writes the week's
    report to the lake -> the dashboard through its Service -> helm test -> helm uninstall keeps
    the lake's claim.

What tests/system/test_containers.py (Docker, no API server) covers instead: the images and the
pods' environment, quickly, with Spark in local mode. NetworkPolicies are rendered and checked
in test_chart.py; the cluster's bridge network plugin does not enforce them.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import httpx
import pandas as pd
import pytest
import trino

from tests.support.helm_chart import CHART, FULLNAME, HELM, RELEASE
from tests.support.kube_cluster import import_images, kubectl, kubectl_json
from tests.support.paths import REAL_FIXTURES

pytest_plugins = ["tests.support.kube_cluster"]  # kube_cluster: the session's cluster
pytestmark = [pytest.mark.timeout(3600), pytest.mark.cluster, pytest.mark.helm, pytest.mark.docker]

NAMESPACE = "biolake-cluster-test"
STORAGE_CLASS = "biolake-test-local"
LAKE_VOLUME = f"{NAMESPACE}-lake"
LAKE_HOST_DIR = Path("/var/lib/biolake-kube/test-volumes") / NAMESPACE
CSV = REAL_FIXTURES / "peloton" / "workouts_us_units.csv"
IMAGES = ("project", "spark", "trino", "seaweedfs")
VALUES = (
    # the images built here (this machine cannot pull the official Trino and SeaweedFS ones)
    "--set", "images.trino.repository=bio-lakehouse/trino",
    "--set", "images.seaweedfs.repository=bio-lakehouse/seaweedfs",
    "--set", "images.project.pullPolicy=Never", "--set", "images.spark.pullPolicy=Never",
    "--set", "images.trino.pullPolicy=Never", "--set", "images.seaweedfs.pullPolicy=Never",
)


def _helm(kubeconfig: Path, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    assert HELM is not None
    return subprocess.run([HELM, "--kubeconfig", str(kubeconfig), "--namespace", NAMESPACE, *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def _diagnosis(kubeconfig: Path) -> str:
    """What a person would look at when something hangs: pods, events, recent logs."""
    parts = [kubectl(kubeconfig, "-n", NAMESPACE, "get", "pods,jobs,pvc", "-o", "wide", check=False).stdout,
             kubectl(kubeconfig, "-n", NAMESPACE, "get", "events", "--sort-by=.lastTimestamp",
                     check=False).stdout[-4000:]]
    return "\n".join(parts)


def _wait_job(kubeconfig: Path, name: str, timeout_s: float = 1200) -> str:
    """Wait for Job NAME to succeed; its pods' logs. A failed Job fails with them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "job", name)
        conditions = {c["type"]: c["status"] for c in job.get("status", {}).get("conditions", [])}
        if conditions.get("Complete") == "True" or conditions.get("Failed") == "True":
            logs = kubectl(kubeconfig, "-n", NAMESPACE, "logs", f"job/{name}", "--all-containers",
                           "--tail=400", check=False).stdout
            assert conditions.get("Complete") == "True", f"Job {name} failed:\n{logs}\n{_diagnosis(kubeconfig)}"
            return logs
        time.sleep(2)
    raise AssertionError(f"Job {name} did not finish in {timeout_s} s\n{_diagnosis(kubeconfig)}")


def _service(kubeconfig: Path, name: str) -> str:
    """host:port of a Service's ClusterIP (kube-proxy routes the host's own connections too)."""
    svc = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "service", name)
    return f"{svc['spec']['clusterIP']}:{svc['spec']['ports'][0]['port']}"


def _secret(kubeconfig: Path, name: str) -> dict[str, str]:
    import base64

    data = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "secret", name)["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def _pod_uids(kubeconfig: Path, component: str) -> set[str]:
    pods = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "pods", "-l",
                        f"app.kubernetes.io/component={component}")["items"]
    return {p["metadata"]["uid"] for p in pods if not p["metadata"].get("deletionTimestamp")}


class ExecutorWatch:
    """Every Spark executor pod seen in the namespace while the ETL runs (polled each second)."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        self.seen: dict[str, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            run = kubectl(self.kubeconfig, "-n", NAMESPACE, "get", "pods", "-l",
                          "app.kubernetes.io/component=etl-executor", "-o", "json", check=False)
            if run.returncode == 0:
                for pod in json.loads(run.stdout)["items"]:
                    self.seen.setdefault(pod["metadata"]["name"], pod)
                    if pod["status"].get("phase") in ("Running", "Succeeded"):
                        self.seen[pod["metadata"]["name"]] = pod
            self._stop.wait(1)

    def __enter__(self) -> ExecutorWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _schedule_in(minutes: int, zone: str) -> tuple[str, datetime]:
    """A daily cron schedule that fires MINUTES from now in ZONE, and that moment in UTC."""
    at = (datetime.now(ZoneInfo(zone)) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return f"{at.minute} {at.hour} * * *", at.astimezone(ZoneInfo("UTC"))


@pytest.fixture(scope="module")
def images() -> None:
    """Build (or find in Docker's cache) the four images, then import them into the cluster."""
    from tests.support.helm_chart import REPO

    run = subprocess.run([str(REPO / "docker" / "build-images.sh"), *IMAGES],
                         capture_output=True, text=True, timeout=3600, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    import_images()


@pytest.fixture(scope="module")
def namespace(kube_cluster: Path) -> Iterator[Path]:
    """A namespace enforcing Pod Security `restricted`, and a volume for the lake's claim
    (the cluster has no provisioner: a person without a default StorageClass does the same)."""
    kubectl(kube_cluster, "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait", timeout=300)
    kubectl(kube_cluster, "delete", "pv", LAKE_VOLUME, "--ignore-not-found")
    kubectl(kube_cluster, "create", "namespace", NAMESPACE)
    kubectl(kube_cluster, "label", "namespace", NAMESPACE,
            "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/enforce-version=latest")
    subprocess.run(["rm", "-rf", str(LAKE_HOST_DIR)], check=True)
    LAKE_HOST_DIR.mkdir(parents=True)
    # SeaweedFS runs as 1000:1000; a hostPath volume gets no fsGroup ownership change
    subprocess.run(["chown", "1000:1000", str(LAKE_HOST_DIR)], check=True)
    volume = {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": LAKE_VOLUME},
        "spec": {"capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"],
                 "persistentVolumeReclaimPolicy": "Retain", "storageClassName": STORAGE_CLASS,
                 "hostPath": {"path": str(LAKE_HOST_DIR), "type": "Directory"}},
    }
    kubectl(kube_cluster, "apply", "-f", "-", input=json.dumps(volume))
    yield kube_cluster
    _helm(kube_cluster, "uninstall", RELEASE, "--wait", timeout=300)
    kubectl(kube_cluster, "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait",
            timeout=300, check=False)
    kubectl(kube_cluster, "delete", "pv", LAKE_VOLUME, "--ignore-not-found", check=False)
    subprocess.run(["rm", "-rf", str(LAKE_HOST_DIR)], check=False)


@pytest.fixture(scope="module")
def installed(images, namespace: Path) -> Iterator[dict]:
    """The install and its first week, driven once; yields what the tests check."""
    kubeconfig = namespace
    outcome: dict = {"kubeconfig": kubeconfig}

    # 1. no default StorageClass: the install stops at once and names the ways out
    refused = _helm(kubeconfig, "install", RELEASE, str(CHART), *VALUES, timeout=300)
    outcome["no_storage_class"] = refused
    assert not kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "pvc")["items"]

    # 2. with a class that has a volume: everything Ready, and the post-install hook done
    started = time.monotonic()
    install = _helm(kubeconfig, "install", RELEASE, str(CHART), *VALUES,
                    "--set", f"objectStore.bundled.persistence.storageClass={STORAGE_CLASS}",
                    "--wait", "--timeout", "20m")
    assert install.returncode == 0, f"{install.stderr}\n{_diagnosis(kubeconfig)}"
    outcome["install_seconds"] = time.monotonic() - started
    outcome["release"] = json.loads(_helm(kubeconfig, "status", RELEASE, "-o", "json").stdout)

    # 3. a person drops a Peloton export in the inbox (through the object store's Service)
    env = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "configmap", f"{FULLNAME}-env")["data"]
    s3 = _secret(kubeconfig, f"{FULLNAME}-s3")
    bucket, prefix = env["BIOLAKE_LAKE_URI"].removeprefix("s3://").split("/", 1)
    client = boto3.client("s3", endpoint_url=f"http://{_service(kubeconfig, f'{FULLNAME}-object-store')}",
                          region_name=env["BIOLAKE_S3_REGION"], aws_access_key_id=s3["access-key"],
                          aws_secret_access_key=s3["secret-key"])
    client.upload_file(str(CSV), bucket, f"{prefix}/inbox/peloton/{CSV.name}")
    outcome.update(s3=client, bucket=bucket, prefix=prefix)

    # 4. the inbox CronJob, run now; it starts the ETL Job through the API; Spark's executors
    with ExecutorWatch(kubeconfig) as executors:
        kubectl(kubeconfig, "-n", NAMESPACE, "create", "job", f"--from=cronjob/{FULLNAME}-peloton-inbox",
                "inbox-now")
        outcome["inbox_log"] = _wait_job(kubeconfig, "inbox-now", timeout_s=900)
        etl_jobs = [j for j in kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "jobs")["items"]
                    if j["metadata"]["name"].startswith(f"{FULLNAME}-etl-")]
        assert len(etl_jobs) == 1, (outcome["inbox_log"], [j["metadata"]["name"] for j in etl_jobs])
        outcome["etl_job"] = etl_jobs[0]
        outcome["etl_log"] = _wait_job(kubeconfig, etl_jobs[0]["metadata"]["name"], timeout_s=1800)
    outcome["executors"] = executors.seen
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _pod_uids(kubeconfig, "etl-executor"):
        time.sleep(2)
    outcome["executors_left"] = _pod_uids(kubeconfig, "etl-executor")
    outcome["trino"] = _service(kubeconfig, f"{FULLNAME}-trino")
    outcome["trino_log"] = kubectl(kubeconfig, "-n", NAMESPACE, "logs",
                                   f"deployment/{FULLNAME}-trino-coordinator", check=False).stdout
    outcome["gold_before_upgrade"] = _analyst_query(
        outcome, "SELECT sum(workout_count), sum(total_output_kj) FROM daily_readiness_performance")

    # 5. helm upgrade: a dashboard setting changes, and the report is due a few minutes ahead
    before = {c: _pod_uids(kubeconfig, c) for c in ("object-store", "trino-coordinator", "dashboard")}
    schedule, due = _schedule_in(3, "America/New_York")
    upgrade = _helm(kubeconfig, "upgrade", RELEASE, str(CHART), "--reuse-values",
                    "--set", f"report.schedule={schedule}",
                    "--set", "dashboard.extraEnv[0].name=UPGRADED_BY_TEST",
                    "--set", "dashboard.extraEnv[0].value=yes", "--wait", "--timeout", "15m")
    assert upgrade.returncode == 0, f"{upgrade.stderr}\n{_diagnosis(kubeconfig)}"
    outcome["pods_before_upgrade"] = before
    outcome["pods_after_upgrade"] = {c: _pod_uids(kubeconfig, c) for c in before}
    outcome["gold_after_upgrade"] = _analyst_query(
        outcome, "SELECT sum(workout_count), sum(total_output_kj) FROM daily_readiness_performance")

    # 6. the report CronJob fires on its own (nobody creates its Job)
    deadline = due.timestamp() + 300
    report_job = None
    while time.time() < deadline and report_job is None:
        for job in kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "jobs")["items"]:
            owners = job["metadata"].get("ownerReferences", [])
            if any(o["kind"] == "CronJob" and o["name"] == f"{FULLNAME}-report" for o in owners):
                report_job = job
        time.sleep(5)
    assert report_job is not None, f"the report CronJob did not fire by {due}\n{_diagnosis(kubeconfig)}"
    outcome["report_job"] = report_job
    outcome["report_log"] = _wait_job(kubeconfig, report_job["metadata"]["name"], timeout_s=900)

    # 7. the dashboard through its Service, and the chart's own test
    outcome["dashboard"] = f"http://{_service(kubeconfig, f'{FULLNAME}-dashboard')}"
    outcome["dashboard_auth"] = _secret(kubeconfig, f"{FULLNAME}-dashboard-auth")
    outcome["helm_test"] = _helm(kubeconfig, "test", RELEASE, "--logs", "--timeout", "10m")
    yield outcome


def _analyst_query(installed: dict, sql: str) -> list[tuple]:
    host, port = installed["trino"].split(":")
    cursor = trino.dbapi.connect(host=host, port=int(port), user="analyst", catalog="lakehouse",
                                 schema="gold").cursor()
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


def test_no_default_storage_class_stops_the_install_with_a_way_out(installed: dict) -> None:
    refused = installed["no_storage_class"]
    assert refused.returncode != 0
    assert "no default StorageClass" in refused.stderr
    for way_out in ("persistence.storageClass", "persistence.existingClaim", "persistence.enabled=false"):
        assert way_out in refused.stderr


def test_install_waits_for_everything_and_the_hook_on_the_empty_lake(installed: dict) -> None:
    release = installed["release"]
    assert release["info"]["status"] == "deployed"
    hooks = {h["name"]: h["last_run"]["phase"] for h in release.get("hooks", [])}
    assert hooks.get(f"{FULLNAME}-views-apply") == "Succeeded", hooks


def test_the_inbox_ingest_started_the_etl_through_the_api(installed: dict) -> None:
    assert "ingested" in installed["inbox_log"]
    job = installed["etl_job"]["metadata"]
    assert f"etl: started Job {job['name']}" in installed["inbox_log"]
    (owner,) = job["ownerReferences"]
    assert (owner["kind"], owner["name"]) == ("CronJob", f"{FULLNAME}-etl")
    assert job["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"


def test_the_etl_ran_spark_executors_as_restricted_pods_that_are_gone_after(installed: dict) -> None:
    executors = installed["executors"]
    assert executors, f"no executor pod was seen:\n{installed['etl_log'][-3000:]}"
    driver_prefix = installed["etl_job"]["metadata"]["name"]
    for name, pod in executors.items():
        (owner,) = pod["metadata"]["ownerReferences"]
        assert owner["kind"] == "Pod" and owner["name"].startswith(driver_prefix), (name, owner)
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        container = spec["containers"][0]["securityContext"]
        assert container["allowPrivilegeEscalation"] is False
        assert container["capabilities"]["drop"] == ["ALL"]
        assert spec["automountServiceAccountToken"] is False
    assert any(p["status"].get("phase") in ("Running", "Succeeded") for p in executors.values())
    assert installed["executors_left"] == set()
    assert "UnknownHostException" not in installed["etl_log"]
    # the driver's shutdown deletes the application's Services: allowed by its Role
    assert 'cannot deletecollection resource "services"' not in installed["etl_log"]


def test_trino_runs_the_g1_collector_in_its_pod(installed: dict) -> None:
    log = installed["trino_log"]
    assert "SERVER STARTED" in log, log[-2000:]
    assert "recommends the G1" not in log  # the JVM's choice under 2 CPUs or 1792 MB: Serial


def test_gold_views_through_trino_match_the_csv(installed: dict) -> None:
    csv = pd.read_csv(CSV)
    ((count, output_kj),) = installed["gold_before_upgrade"]
    assert count == len(csv)
    assert output_kj == pytest.approx(csv["Total Output"].sum(), rel=1e-9)
    with pytest.raises(trino.exceptions.TrinoUserError, match="Access Denied"):
        _analyst_query(installed, "CREATE SCHEMA lakehouse.must_be_refused")


def test_upgrade_rolls_only_the_changed_pods_and_keeps_the_lake(installed: dict) -> None:
    before, after = installed["pods_before_upgrade"], installed["pods_after_upgrade"]
    assert after["object-store"] == before["object-store"]
    assert after["trino-coordinator"] == before["trino-coordinator"]
    assert after["dashboard"] and after["dashboard"].isdisjoint(before["dashboard"])
    assert installed["gold_after_upgrade"] == installed["gold_before_upgrade"]


def test_a_cronjob_fires_on_its_own_and_the_report_lands_in_the_lake(installed: dict) -> None:
    job = installed["report_job"]["metadata"]
    assert "cronjob.kubernetes.io/instantiate" not in job.get("annotations", {})  # the controller's
    listing = installed["s3"].list_objects_v2(Bucket=installed["bucket"],
                                              Prefix=f"{installed['prefix']}/reports/weekly/")
    keys = [o["Key"] for o in listing.get("Contents", [])]
    assert any(k.endswith(".html") for k in keys), (keys, installed["report_log"][-2000:])


def test_dashboard_answers_through_its_service_and_requires_its_password(installed: dict) -> None:
    url = installed["dashboard"]
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    assert httpx.get(f"{url}/", timeout=30, follow_redirects=False).status_code in (302, 401, 403)
    auth = installed["dashboard_auth"]
    with httpx.Client(base_url=url, timeout=60) as browser:
        wrong = browser.post("/login", data={"username": auth["username"], "password": "wrong"})
        assert "Bio-Lakehouse" not in wrong.text
        browser.post("/login", data={"username": auth["username"], "password": auth["password"]})
        page = browser.get("/")
    assert page.status_code == 200 and "Bio-Lakehouse" in page.text


def test_helm_test_passes(installed: dict) -> None:
    run = installed["helm_test"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "refused a write" in run.stdout and "/healthz: HTTP 200" in run.stdout


def test_oura_ingests_rotate_the_token_secret_through_the_api_server(installed: dict, tmp_path: Path) -> None:
    """Two Oura ingest Jobs at once, against the Oura simulator on the node's address (pods
    reach it; nothing leaves the machine), with an expired access token: both refresh through
    the one Secret, settle on its resourceVersion, and the stored pair is the live one."""
    from datetime import date

    from kubernetes import client, config

    from ingest_workers.common.token_store import KubernetesSecretTokenStore, TokenPair
    from ingest_workers.demo.oura_simulator import OuraSimulator, load_saved_pages
    from ingest_workers.demo.sample_person import generate_sample_person
    from tests.support.kube_cluster import NODE_IP

    kubeconfig = installed["kubeconfig"]
    files = generate_sample_person(tmp_path / "person", end_day=date.today(), oura_days=10,
                                   peloton_workouts=5, peloton_years=0.1)
    secret_name = f"{FULLNAME}-oura-tokens"
    # on the node's address, which pods reach (`with` would start it again on loopback)
    sim = OuraSimulator(load_saved_pages(files.oura_dir)).start(host=NODE_IP)
    try:
        upgrade = _helm(kubeconfig, "upgrade", RELEASE, str(CHART), "--reuse-values",
                        "--set", "oura.enabled=true", "--set", f"oura.apiBase={sim.base_url}",
                        "--set", f"oura.credentials.clientId={sim.client_id}",
                        "--set", f"oura.credentials.clientSecret={sim.client_secret}",
                        "--set", "etl.startAfterIngest=false", "--wait", "--timeout", "10m")
        assert upgrade.returncode == 0, upgrade.stderr
        # `biolake auth oura` would store the first pair; the simulator grants one directly
        api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
        store = KubernetesSecretTokenStore(api, NAMESPACE, secret_name, component="oura-tokens")
        granted = sim.grant()
        first = TokenPair(granted["access_token"], granted["refresh_token"], None, granted["scope"])
        version = store.save(first, store.load().version)
        sim.expire_access_tokens()
        for n in (1, 2):
            kubectl(kubeconfig, "-n", NAMESPACE, "create", "job",
                    f"--from=cronjob/{FULLNAME}-oura-ingest", f"oura-now-{n}")
        logs = [_wait_job(kubeconfig, f"oura-now-{n}", timeout_s=600) for n in (1, 2)]
        stored = store.load()
        secret = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "secret", secret_name)
        # the rotation went through the API server: a new pair under a new resourceVersion ...
        assert stored.version != version and stored.tokens.refresh_token != first.refresh_token, logs
        # ... one refresh won; the other run adopted the stored pair (single-use refresh tokens)
        assert sorted(status for _, status in sim.token_requests).count(200) == 1, sim.token_requests
        # ... and the stored pair is the live one: its access token reads data
        ok = httpx.get(f"{sim.base_url}/v2/usercollection/daily_sleep",
                       params={"start_date": str(date.today() - timedelta(days=3)),
                               "end_date": str(date.today())},
                       headers={"Authorization": f"Bearer {stored.tokens.access_token}"}, timeout=10)
        assert ok.status_code == 200
        # both runs read data with a valid token (each one at least the daily_sleep pages)
        read = [r for r in sim.requests if r.path.endswith("/daily_sleep") and r.status == 200]
        assert len(read) >= 3, [(r.path, r.status) for r in sim.requests][:40]
    finally:
        sim.stop()
    # the chart's labels (and Helm's ownership) survive the ingest's writes
    assert secret["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE
    assert secret["metadata"]["annotations"]["meta.helm.sh/release-name"] == RELEASE


def test_uninstall_keeps_the_lake_claim(installed: dict) -> None:
    kubeconfig = installed["kubeconfig"]
    run = _helm(kubeconfig, "uninstall", RELEASE, "--wait", timeout=600)
    assert run.returncode == 0, run.stderr
    claims = kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "pvc")["items"]
    assert [c["metadata"]["name"] for c in claims] == [f"{FULLNAME}-object-store"]
    assert claims[0]["status"]["phase"] == "Bound"
    assert not kubectl_json(kubeconfig, "-n", NAMESPACE, "get", "deployments")["items"]
