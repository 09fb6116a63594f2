"""Rendering the Helm chart with the real helm built by `make helm` (shared by the chart checks
and the container test)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "bio-lakehouse"
RELEASE = "bl"
NAMESPACE = "biolake"
FULLNAME = f"{RELEASE}-bio-lakehouse"


def _helm_binary() -> str | None:
    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    for candidate in (os.environ.get("BIOLAKE_HELM"), str(cache / "helm" / "v3.22.0" / "helm"),
                      shutil.which("helm")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


HELM = _helm_binary()
if HELM is None:  # `make test` builds helm first; its absence fails the run rather than hiding
    pytest.fail("helm is not built: run `make helm`", pytrace=False)


def helm(*args: str, chart: Path = CHART) -> subprocess.CompletedProcess:
    assert HELM is not None
    return subprocess.run([HELM, *args, str(chart)], capture_output=True, text=True,
                          timeout=120, check=False)


def values_args(case: str) -> list[str]:
    return [] if case == "defaults" else ["-f", str(CHART / "ci" / f"{case}.yaml")]


def template_text(*args: str, chart: Path = CHART) -> str:
    result = helm("template", RELEASE, "--namespace", NAMESPACE, *args, chart=chart)
    assert result.returncode == 0, result.stderr
    return result.stdout


@functools.cache
def render(*args: str) -> tuple[dict, ...]:
    return tuple(d for d in yaml.safe_load_all(template_text(*args)) if d)


def render_case(case: str) -> tuple[dict, ...]:
    return render(*values_args(case))


def by_kind(docs: tuple[dict, ...], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def executor_template(docs: tuple[dict, ...]) -> dict | None:
    spark = by_kind(docs, "ConfigMap").get(f"{FULLNAME}-spark")
    return yaml.safe_load(spark["data"]["executor-pod-template.yaml"]) if spark else None


def pod_templates(docs: tuple[dict, ...]) -> dict[str, dict]:
    """Every pod the release makes, as {"<Kind>/<name>": {"metadata":..., "spec":...}},
    including the Spark executor pod template (executors are pods of this release too)."""
    pods: dict[str, dict] = {}
    for d in docs:
        kind, name = d["kind"], d["metadata"]["name"]
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            pods[f"{kind}/{name}"] = d["spec"]["template"]
        elif kind == "CronJob":
            pods[f"{kind}/{name}"] = d["spec"]["jobTemplate"]["spec"]["template"]
        elif kind == "Pod":
            pods[f"{kind}/{name}"] = d
    executor = executor_template(docs)
    if executor:
        pods["Pod/spark-executor-template"] = executor
    return pods
