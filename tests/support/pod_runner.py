"""Run pods of the rendered Helm chart as Docker containers, the way a kubelet would run them.

The container test has no cluster, but it should still prove that the images and the chart fit
together. So a pod is taken from `helm template` output and turned into a container: its image,
command and arguments, its environment (values, ConfigMaps, Secrets, field references), its
volumes (ConfigMaps, Secrets and projected volumes as read-only files; emptyDir and PVCs as
writable scratch folders),
its security context (user, read-only root file system, no capabilities, no privilege escalation)
and its memory limit. Services become network aliases on a private Docker network, so the
addresses the chart renders (http://bl-bio-lakehouse-trino:8080 ...) resolve unchanged.

What cannot be emulated stays visible at the call site: an override of an environment variable
(e.g. Spark's master, since executors as pods need a cluster) is passed explicitly.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# testcontainers reads these at import: Ryuk's image cannot be pulled here (containers are
# removed by the tests themselves), and this machine looks like a container to it, so it must
# use the ports published on 127.0.0.1
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TC_HOST", "127.0.0.1")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from tests.support.helm_chart import NAMESPACE

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob", "Pod")
# `$(NAME)` in an env value refers to a variable defined before it (Kubernetes semantics)
ENV_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class PodSpecError(ValueError):
    """The rendered pod uses something this runner cannot emulate; the message says what."""


def _memory_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(float(quantity[: -len(suffix)]) * factor)
    return int(quantity)


@dataclass
class ChartRelease:
    """The documents of one `helm template` run, and a folder for the files of its volumes."""

    docs: tuple[dict, ...]
    workdir: Path
    _objects: dict[tuple[str, str], dict] = field(init=False)

    def __post_init__(self) -> None:
        self._objects = {(d["kind"], d["metadata"]["name"]): d for d in self.docs}

    def get(self, kind: str, name: str) -> dict:
        try:
            return self._objects[(kind, name)]
        except KeyError:
            names = sorted(n for k, n in self._objects if k == kind)
            raise PodSpecError(f"no {kind} {name!r} in the rendered chart (there are {names})") from None

    def pod_template(self, kind: str, name: str) -> dict:
        workload = self.get(kind, name)
        if kind == "Pod":
            return workload
        if kind == "CronJob":
            return workload["spec"]["jobTemplate"]["spec"]["template"]
        return workload["spec"]["template"]

    def config_data(self, kind: str, name: str) -> dict[str, str]:
        """A ConfigMap's or a Secret's data as text (Secrets decoded)."""
        obj = self.get(kind, name)
        data = dict(obj.get("data") or {})
        if kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
            data.update(obj.get("stringData") or {})
        return data

    def service_aliases(self, pod: dict) -> list[str]:
        """The Services whose selector picks this pod: its names on the network."""
        labels = pod.get("metadata", {}).get("labels", {})
        return [
            name for (kind, name), svc in self._objects.items()
            if kind == "Service" and svc["spec"].get("selector")
            and svc["spec"]["selector"].items() <= labels.items()
        ]

    # -- environment ----------------------------------------------------------------------------
    def _env(self, pod_name: str, container: dict, overrides: dict[str, str]) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.config_data("ConfigMap", source["configMapRef"]["name"]))
            elif "secretRef" in source:
                env.update(self.config_data("Secret", source["secretRef"]["name"]))
        for var in container.get("env", []):
            name = var["name"]
            if "value" in var:
                env[name] = ENV_REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), var["value"])
                continue
            ref = var["valueFrom"]
            if "secretKeyRef" in ref or "configMapKeyRef" in ref:
                kind, key_ref = (("Secret", ref["secretKeyRef"]) if "secretKeyRef" in ref
                                 else ("ConfigMap", ref["configMapKeyRef"]))
                data = self.config_data(kind, key_ref["name"])
                if key_ref["key"] in data:
                    env[name] = data[key_ref["key"]]
                elif not key_ref.get("optional"):
                    raise PodSpecError(f"{name}: {kind} {key_ref['name']} has no key {key_ref['key']!r}")
            elif "fieldRef" in ref:
                path = ref["fieldRef"]["fieldPath"]
                fields = {"metadata.name": pod_name, "metadata.namespace": NAMESPACE}
                if path in fields:
                    env[name] = fields[path]
                elif name not in overrides:
                    raise PodSpecError(f"{name}: fieldRef {path} needs an override here")
            elif name not in overrides:
                raise PodSpecError(f"{name}: unsupported valueFrom {sorted(ref)}")
        env.update(overrides)
        return env

    # -- volumes --------------------------------------------------------------------------------
    def _write_items(self, target: Path, kind: str, name: str, items: list | None,
                     optional: bool = False) -> None:
        try:
            data = self.config_data(kind, name)
        except PodSpecError:
            if optional:
                return
            raise
        for item in items or [{"key": k, "path": k} for k in data]:
            path = target / item["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data[item["key"]])
            path.chmod(0o644)  # readable by the pod's non-root user, as the kubelet's default mode

    def _volume_source(self, pod_name: str, volume: dict) -> Path | None:
        """A host folder holding a ConfigMap/Secret/projected volume; None for scratch volumes."""
        target = self.workdir / pod_name / volume["name"]
        target.mkdir(parents=True, exist_ok=True)
        if "configMap" in volume:
            cm = volume["configMap"]
            self._write_items(target, "ConfigMap", cm["name"], cm.get("items"), cm.get("optional", False))
        elif "secret" in volume:
            sec = volume["secret"]
            self._write_items(target, "Secret", sec["secretName"], sec.get("items"), sec.get("optional", False))
        elif "projected" in volume:
            for source in volume["projected"]["sources"]:
                if "configMap" in source:
                    cm = source["configMap"]
                    self._write_items(target, "ConfigMap", cm["name"], cm.get("items"), cm.get("optional", False))
                elif "secret" in source:
                    sec = source["secret"]
                    self._write_items(target, "Secret", sec["name"], sec.get("items"), sec.get("optional", False))
                else:
                    raise PodSpecError(f"volume {volume['name']}: unsupported projection {sorted(source)}")
        elif {"emptyDir", "persistentVolumeClaim", "ephemeral"} & volume.keys():
            return None
        else:
            raise PodSpecError(f"volume {volume['name']}: unsupported source {sorted(volume)}")
        return target

    # -- the container --------------------------------------------------------------------------
    def container(self, kind: str, name: str, *, container_name: str | None = None,
                  image: str | None = None, args: list[str] | None = None,
                  env: dict[str, str] | None = None, network: Network | None = None,
                  mounts: dict[str, Path] | None = None) -> DockerContainer:
        """The first (or the named) container of a workload's pod, ready to start.

        `args` replaces the pod's arguments (a one-off command in the same pod, like
        `kubectl run --overrides`); `env` overrides variables; `mounts` adds read-only host
        folders (test inputs)."""
        pod = self.pod_template(kind, name)
        spec = pod["spec"]
        containers = spec["containers"]
        spec_container = next((c for c in containers if c["name"] == container_name), containers[0])
        pod_name = f"{name}-{spec_container['name']}"
        docker = DockerContainer(image or spec_container["image"])
        kwargs: dict = {"hostname": pod_name[:63]}  # with_kwargs replaces, so it is set once
        if "command" in spec_container:
            kwargs["entrypoint"] = spec_container["command"]
        command = args if args is not None else spec_container.get("args")
        if command is not None:
            docker.with_command(command)
        for key, value in self._env(pod_name, spec_container, env or {}).items():
            docker.with_env(key, value)

        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for mount in spec_container.get("volumeMounts", []):
            source = self._volume_source(pod_name, volumes[mount["name"]])
            if source is None:
                # scratch space (emptyDir, PVC): a host folder writable by the pod's user, as the
                # kubelet makes it with the pod's fsGroup (Docker's tmpfs would copy the mode of
                # the image's folder and stay read-only for a non-root user)
                scratch = self.workdir / pod_name / f"{mount['name']}-scratch"
                scratch.mkdir(parents=True, exist_ok=True)
                scratch.chmod(0o1777)
                docker.with_volume_mapping(scratch, mount["mountPath"], "rw")
            else:
                host = source / mount["subPath"] if mount.get("subPath") else source
                docker.with_volume_mapping(host, mount["mountPath"], "ro")
        for container_path, host_path in (mounts or {}).items():
            docker.with_volume_mapping(host_path, container_path, "ro")

        pod_security = spec.get("securityContext", {})
        security = {**pod_security, **spec_container.get("securityContext", {})}
        if "runAsUser" in security:
            kwargs["user"] = f"{security['runAsUser']}:{security.get('runAsGroup', security['runAsUser'])}"
            if "fsGroup" in pod_security:
                kwargs["group_add"] = [str(pod_security["fsGroup"])]
        if security.get("readOnlyRootFilesystem"):
            kwargs["read_only"] = True
        if "ALL" in security.get("capabilities", {}).get("drop", []):
            kwargs["cap_drop"] = ["ALL"]
        if security.get("allowPrivilegeEscalation") is False:
            kwargs["security_opt"] = ["no-new-privileges"]
        memory = spec_container.get("resources", {}).get("limits", {}).get("memory")
        if memory:
            kwargs["mem_limit"] = _memory_bytes(memory)
        docker.with_kwargs(**kwargs)

        if network is not None:
            docker.with_network(network)
            docker.with_network_aliases(*self.service_aliases(pod))
        return docker


def publish_on_loopback(container: DockerContainer, port: int) -> DockerContainer:
    """Publish a container port on 127.0.0.1 only (a random host port): tests reach nothing else."""
    container.ports[f"{port}/tcp"] = ("127.0.0.1",)
    return container
