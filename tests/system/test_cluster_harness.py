"""The single-node cluster harness (tests/system/cluster/cluster.sh) does what chart tests need.

- Pod Security admission: a namespace enforcing "restricted" admits a restricted pod (it runs,
  and `kubectl exec` reaches it through the kubelet) and rejects a privileged one.
- DNS, Services and the API from a pod: a pod resolves kubernetes.default.svc.cluster.local
  through CoreDNS (the kube-dns Service), gets NXDOMAIN for a name outside the cluster (no
  upstream), reaches another pod through its Service by name, and asks the API server, through
  the kubernetes Service, who its service account token is; `kubectl logs` brings it back.
- `cluster.sh down` leaves nothing: no recorded process, no mount under the cluster's folders,
  no bridge, no KUBE-/CNI-/BIOLAKE- iptables chain, no network namespace of a pod, no kubepods
  cgroup, the sysctls as they were. It runs last and brings the cluster back when tests
  collected after this file still need it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.kube_cluster import (
    API_SERVICE_IP,
    BRIDGES,
    CLUSTER_DIRS,
    NODE_NAME,
    STATE,
    TOOLS_IMAGE,
    KubeCluster,
    kubectl,
    kubectl_json,
)

# the fixtures kube_cluster and kube_cluster_harness
pytest_plugins = ["tests.support.kube_cluster"]
pytestmark = [pytest.mark.cluster, pytest.mark.timeout(3900)]

RESTRICTED_CONTAINER = {
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    },
}


def _pod(name: str, namespace: str, command: list[str], *, restricted: bool = True,
         restart: str = "Always") -> dict:
    container: dict = {"name": "main", "image": TOOLS_IMAGE, "imagePullPolicy": "Never",
                       "command": command}
    spec: dict = {"containers": [container], "restartPolicy": restart,
                  "terminationGracePeriodSeconds": 1}
    if restricted:
        container.update(RESTRICTED_CONTAINER)
        spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 65532,
                                   "seccompProfile": {"type": "RuntimeDefault"}}
    else:
        container["securityContext"] = {"privileged": True}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@pytest.fixture
def namespace(kube_cluster: Path) -> Iterator[str]:
    """A fresh namespace enforcing Pod Security "restricted"; deleted afterwards."""
    name = f"harness-{uuid.uuid4().hex[:8]}"
    kubectl(kube_cluster, "create", "namespace", name)
    kubectl(kube_cluster, "label", "namespace", name,
            "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest")
    yield name
    kubectl(kube_cluster, "delete", "namespace", name, "--wait=false", check=False)


def _apply(kubeconfig: Path, manifest: dict, check: bool = True) -> subprocess.CompletedProcess:
    return kubectl(kubeconfig, "apply", "-f", "-", input=yaml.safe_dump(manifest), check=check)


def test_node_is_ready_and_the_version_is_stamped(kube_cluster: Path) -> None:
    node = kubectl_json(kube_cluster, "get", "node", NODE_NAME)
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True"
    version = json.loads(kubectl(kube_cluster, "version", "-o", "json").stdout)
    # helm checks charts' kubeVersion against this: v0.0.0 would fail them
    assert version["serverVersion"]["gitVersion"].startswith("v1.34.")
    assert node["status"]["nodeInfo"]["kubeletVersion"] == version["serverVersion"]["gitVersion"]


def test_pod_security_restricted_admits_a_restricted_pod_and_rejects_a_privileged_one(
    kube_cluster: Path, namespace: str,
) -> None:
    _apply(kube_cluster, _pod("restricted", namespace, ["/pause"]))
    kubectl(kube_cluster, "-n", namespace, "wait", "--for=condition=Ready", "pod/restricted",
            "--timeout=90s")
    pod = kubectl_json(kube_cluster, "-n", namespace, "get", "pod", "restricted")
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["podIP"].startswith("10.200.1.")

    # exec goes API server -> kubelet (webhook authorization) -> containerd's stream server
    exec_run = kubectl(kube_cluster, "-n", namespace, "exec", "restricted", "--",
                       "/probe", "kubernetes.default", check=False)
    probe = json.loads(exec_run.stdout)
    assert probe["lookups"][0]["addresses"] == [API_SERVICE_IP], exec_run.stderr

    rejected = _apply(kube_cluster, _pod("privileged", namespace, ["/pause"], restricted=False),
                      check=False)
    assert rejected.returncode != 0
    assert "violates PodSecurity" in rejected.stderr
    assert 'restricted:latest' in rejected.stderr and "privileged" in rejected.stderr
    absent = kubectl(kube_cluster, "-n", namespace, "get", "pod", "privileged", check=False)
    assert absent.returncode != 0 and "NotFound" in absent.stderr


def test_a_pod_resolves_the_cluster_through_coredns_and_reaches_the_api(
    kube_cluster: Path, namespace: str,
) -> None:
    # a Service in front of another pod on the same bridge (the chart's pods talk this way)
    web = _pod("web", namespace, ["/serve", ":8080"])
    web["metadata"]["labels"] = {"app": "web"}
    _apply(kube_cluster, web)
    _apply(kube_cluster, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": namespace},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    })
    kubectl(kube_cluster, "-n", namespace, "wait", "--for=condition=Ready", "pod/web",
            "--timeout=90s")
    urls = [f"http://web.{namespace}.svc.cluster.local/", "http://web/"]
    _apply(kube_cluster, _pod("probe", namespace, [
        "/probe", "kubernetes.default.svc.cluster.local", "kubernetes.default", "example.com.",
        *urls,
    ], restart="Never"))
    kubectl(kube_cluster, "-n", namespace, "wait", "--for=jsonpath={.status.phase}=Succeeded",
            "pod/probe", "--timeout=90s", check=False)
    logs = kubectl(kube_cluster, "-n", namespace, "logs", "probe")
    result = json.loads(logs.stdout)
    lookups = {entry["name"]: entry for entry in result["lookups"]}
    assert lookups["kubernetes.default.svc.cluster.local"]["addresses"] == [API_SERVICE_IP]
    assert lookups["kubernetes.default"]["addresses"] == [API_SERVICE_IP]  # the search path
    # no upstream: a name outside the cluster does not exist, answered at once
    assert lookups["example.com."].get("not_found") is True, lookups["example.com."]
    assert result.get("api_user") == f"system:serviceaccount:{namespace}:default", result
    fetched = {entry["url"]: entry for entry in result["fetches"]}
    for url in urls:
        assert (fetched[url].get("status"), fetched[url].get("body")) == (200, "ok web"), fetched
    phase = kubectl_json(kube_cluster, "-n", namespace, "get", "pod", "probe")["status"]["phase"]
    assert phase == "Succeeded"


# -- teardown ----------------------------------------------------------------------------------

def _iptables_chains() -> list[str]:
    found = []
    for tool in ("iptables", "ip6tables"):
        for table in ("filter", "nat", "mangle", "raw"):
            run = subprocess.run([tool, "-t", table, "-S"], capture_output=True, text=True,
                                 check=False)
            found += [f"{tool} {table} {line}" for line in run.stdout.splitlines()
                      if any(f" {p}" in line for p in ("KUBE-", "CNI-", "BIOLAKE-"))]
    return found


def _mounts_under(dirs: tuple[Path, ...]) -> list[str]:
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [p for p in points for d in dirs if p == str(d) or p.startswith(f"{d}/")]


def _net_namespaces_in_use() -> set[str]:
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                found.add(os.readlink(proc / "ns" / "net"))
            except OSError:
                pass
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        root = line.split()[3]
        if root.startswith("net:["):
            found.add(root)
    return found


def _pod_net_namespaces() -> set[str]:
    """The network namespaces of the cluster's pods: the nsfs mounts containerd keeps under
    its state folder (netns_mounts_under_state_dir)."""
    found = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[3].startswith("net:[") and fields[4].startswith(str(CLUSTER_DIRS[0])):
            found.add(fields[3])
    return found


def _sysctl(key: str) -> str | None:
    path = Path("/proc/sys") / key.replace(".", "/")
    return path.read_text().strip() if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _docker_state() -> tuple[str, list[str]] | None:
    """The running containers and Docker's own iptables rules, when an engine answers."""
    ps = subprocess.run(["docker", "ps", "-q", "--no-trunc"], capture_output=True, text=True,
                        timeout=30, check=False)
    if ps.returncode != 0:
        return None
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True, check=False).stdout
    return ps.stdout, sorted(line for line in rules.splitlines() if "DOCKER" in line)


def test_down_leaves_nothing_behind(
    kube_cluster: Path, kube_cluster_harness: KubeCluster, request: pytest.FixtureRequest,
) -> None:
    if not kube_cluster_harness.started_here:
        pytest.skip("the cluster was up before this session (make cluster-up): not taking it down")
    # a running pod, so there are sandboxes, a netns, mounts and cgroups to clean up (the
    # namespace goes with the cluster)
    namespace = f"harness-{uuid.uuid4().hex[:8]}"
    kubectl(kube_cluster, "create", "namespace", namespace)
    _apply(kube_cluster, _pod("left-running", namespace, ["/pause"]))
    kubectl(kube_cluster, "-n", namespace, "wait", "--for=condition=Ready", "pod/left-running",
            "--timeout=90s")
    pids = {p.stem: int(p.read_text()) for p in STATE.glob("*.pid")}
    assert len(pids) == 8 and all(_alive(pid) for pid in pids.values()), pids
    shims = subprocess.run(["pgrep", "-f", "containerd-shim.* -address /run/biolake-kube/"],
                           capture_output=True, text=True, check=False).stdout.split()
    assert shims, "a running pod has a containerd shim"
    pod_netns = _pod_net_namespaces()
    assert pod_netns, "a running pod has a network namespace under /run/biolake-kube"
    assert _mounts_under(CLUSTER_DIRS)
    sysctls_before = dict(line.split("=", 1) for line in (STATE / "sysctl.orig").read_text().split())
    assert list(Path("/sys/fs/cgroup").glob("*/kubepods"))

    docker_before = _docker_state()

    started = time.monotonic()
    kube_cluster_harness.down()
    took = time.monotonic() - started

    still = {name: pid for name, pid in pids.items() if _alive(pid)}
    assert not still, f"recorded processes still alive: {still}"
    assert not [pid for pid in shims if _alive(int(pid))], "containerd shims left"
    assert not _mounts_under(CLUSTER_DIRS), _mounts_under(CLUSTER_DIRS)
    for bridge in BRIDGES:
        assert not Path(f"/sys/class/net/{bridge}").exists(), f"bridge {bridge} left"
    assert not [n for n in os.listdir("/sys/class/net") if n.startswith("veth")
                and Path(f"/sys/class/net/{n}/master").exists()
                and os.path.basename(os.readlink(f"/sys/class/net/{n}/master")) in BRIDGES]
    assert not _iptables_chains(), _iptables_chains()
    assert not (pod_netns & _net_namespaces_in_use()), "a pod's network namespace is left"
    assert not list(Path("/sys/fs/cgroup").glob("*/kubepods")), "kubepods cgroups left"
    assert not any(d.exists() for d in CLUSTER_DIRS if d.name != "containerd"), CLUSTER_DIRS
    changed = {k: (v, _sysctl(k)) for k, v in sysctls_before.items() if _sysctl(k) != v}
    if changed and subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True).returncode == 0:
        # cluster.sh leaves ip_forward and bridge-nf-call-iptables to a running Docker engine
        for key in ("net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables"):
            changed.pop(key, None)
    assert not changed, f"sysctls not restored (was, now): {changed}"
    assert not kube_cluster_harness.is_up()
    # a Docker engine that runs (the image build, the container test) is left alone
    assert _docker_state() == docker_before
    print(f"cluster.sh down took {took:.1f} s")

    # the session's cluster comes back for tests collected after this one
    later = request.session.items[request.session.items.index(request.node) + 1:]
    if any({"kube_cluster", "kube_cluster_harness"} & set(item.fixturenames) for item in later):
        kube_cluster_harness.up()
