"""A single-node Kubernetes cluster on this machine, for tests that need a real API server
(tests/system/cluster/cluster.sh; its README.md tells what runs and where).

    from tests.support.kube_cluster import kubectl

    pytest_plugins = ["tests.support.kube_cluster"]  # the fixtures

    def test_install(kube_cluster: Path) -> None:  # the admin kubeconfig
        kubectl(kube_cluster, "get", "nodes")
        subprocess.run([HELM, "install", ..., "--kubeconfig", str(kube_cluster)], ...)

`kube_cluster` (session) runs `cluster.sh up` once and yields the admin kubeconfig's path,
${BIOLAKE_CACHE_DIR:-~/.cache/biolake}/kube/admin.kubeconfig; `up` builds what is not cached
yet (about 17 minutes on a machine that never built it, about 20 s to a Ready node after that).
A cluster that was already up (`make cluster-up`) is used as it is and left running; one the
session started is taken down (`cluster.sh down`) when the session ends.

Images: there is no registry. `import_images(...)` (or `make cluster-images`) copies the images
docker/build-images.sh built from the Docker engine into the cluster's containerd, where pods
find them with imagePullPolicy IfNotPresent or Never; TOOLS_IMAGE (a static binary in a scratch
image: `/pause`, the sandbox image, and `/probe`, see cluster/kube-tools) is always there.

A test module takes the fixtures with `pytest_plugins = ["tests.support.kube_cluster"]` (one
registration for the whole session, so every module shares one cluster); it may also import the
helpers. PYTEST_DONT_REWRITE: such a module imports this one before pytest loads it as a plugin,
and its asserts carry their own messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO / "tests" / "system" / "cluster" / "cluster.sh"
CACHE = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
KUBE_VERSION = os.environ.get("KUBE_VERSION", "v1.34.4")
KUBE_DIR = CACHE / "kube"
KUBECTL = KUBE_DIR / KUBE_VERSION / "bin" / "kubectl"
STATE = KUBE_DIR / "state"
KUBECONFIG = KUBE_DIR / "admin.kubeconfig"
TOOLS_IMAGE = "biolake.local/kube-tools:v1"
NODE_NAME = "biolake-node"
NODE_IP = "10.200.0.1"
API_SERVICE_IP = "10.201.0.1"
# where the cluster keeps what it mounts and runs (cluster.sh: RUN, VAR, CTR_ROOT, STATE)
CLUSTER_DIRS = (Path("/run/biolake-kube"), Path("/var/lib/biolake-kube"), KUBE_DIR / "containerd", STATE)
BRIDGES = ("blk-node", "blk-cni0")

UP_TIMEOUT_S = 3600  # a cold machine builds Kubernetes first


def cluster_sh(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`cluster.sh ARGS`; its log lines are on stderr."""
    return subprocess.run([str(CLUSTER_SH), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def kubectl(kubeconfig: Path, *args: str, input: str | None = None, timeout: float = 120,
            check: bool = True) -> subprocess.CompletedProcess:
    """kubectl (the one built with the cluster) against the cluster."""
    run = subprocess.run([str(KUBECTL), "--kubeconfig", str(kubeconfig), *args], input=input,
                         capture_output=True, text=True, timeout=timeout, check=False)
    if check and run.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed ({run.returncode}):\n{run.stderr}")
    return run


def kubectl_json(kubeconfig: Path, *args: str) -> dict:
    return json.loads(kubectl(kubeconfig, *args, "-o", "json").stdout)


def import_images(*refs: str) -> None:
    """The images docker/build-images.sh built (project and Spark, Trino and SeaweedFS when
    built) and any REFS, from the Docker engine into the cluster (`cluster.sh images`)."""
    run = cluster_sh("images", *refs, timeout=1800)
    assert run.returncode == 0, f"cluster.sh images failed:\n{run.stderr[-3000:]}"


class KubeCluster:
    """The session's cluster: started by the session or found up; taken down by whoever
    started it."""

    def __init__(self) -> None:
        self.started_here = False
        self.kubeconfig = KUBECONFIG

    def is_up(self) -> bool:
        return cluster_sh("status", timeout=60).returncode == 0

    def up(self) -> Path:
        started = time.monotonic()
        run = cluster_sh("up", timeout=UP_TIMEOUT_S)
        lines = run.stdout.strip().splitlines()
        if run.returncode != 0 or not lines or not lines[-1].startswith("export KUBECONFIG="):
            pytest.fail(f"cluster.sh up failed ({run.returncode}):\n{run.stderr[-4000:]}",
                        pytrace=False)
        self.kubeconfig = Path(lines[-1].removeprefix("export KUBECONFIG="))
        self.up_seconds = time.monotonic() - started
        return self.kubeconfig

    def down(self) -> subprocess.CompletedProcess:
        run = cluster_sh("down", timeout=300)
        assert run.returncode == 0, f"cluster.sh down failed:\n{run.stderr[-4000:]}"
        return run

    def start(self) -> None:
        if os.geteuid() != 0:
            pytest.fail("the cluster needs root (containerd, kubelet, bridges, iptables)",
                        pytrace=False)
        if self.is_up():
            return
        self.up()
        self.started_here = True


@pytest.fixture(scope="session")
def kube_cluster_harness() -> Iterator[KubeCluster]:
    """The controller behind `kube_cluster` (for tests that take the cluster down and up)."""
    harness = KubeCluster()
    harness.start()
    yield harness
    if harness.started_here:
        harness.down()


@pytest.fixture(scope="session")
def kube_cluster(kube_cluster_harness: KubeCluster) -> Iterator[Path]:
    """The admin kubeconfig of the running single-node cluster."""
    yield kube_cluster_harness.kubeconfig
