"""Where a live source's OAuth tokens live between runs: a local file, or a Kubernetes Secret.

Refresh tokens may be single use and rotate (Oura's are; Peloton's Auth0 may rotate them), so a
refreshed pair must be stored before the new access token is used, and two runs must never both
keep a pair derived from the same refresh token. Both stores therefore offer the same
optimistic-concurrency interface: `load()` returns the tokens with a version, and
`save(tokens, expected_version)` writes only if the stored version is still that one, raising
`TokenStoreConflict` otherwise (the caller re-reads and uses what the other run stored).

    file        version = SHA-256 of the file; mode 0600 in a 0700 folder; written to a temporary
                file in the same folder and renamed over the old one (atomic on POSIX); an
                advisory lock file serialises refreshes between processes on one machine
    kubernetes  version = the Secret's `resourceVersion`; PUT with that resourceVersion, so the
                API server answers 409 when another pod wrote first; other keys of the Secret
                are kept
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from biolake.files import write_private
from ingest_workers.common.errors import TokenStoreConflict, TokenStoreError

# A refresh is due this many seconds before `expires_at`, so a token does not lapse mid-request.
EXPIRY_SKEW_S = 120.0
_FIELDS = ("access_token", "refresh_token", "expires_at", "scope", "token_type")


@dataclass(frozen=True)
class TokenPair:
    """One access token and the refresh token that renews it, as a token endpoint answered."""

    access_token: str
    refresh_token: str
    expires_at: float | None  # Unix seconds; None when the token endpoint gave no `expires_in`
    scope: str | None = None  # space-separated, as granted
    token_type: str = "bearer"

    def __repr__(self) -> str:  # tokens are secrets: never in logs or tracebacks
        return f"TokenPair(expires_at={self.expires_at!r}, scope={self.scope!r}, ...)"

    __str__ = __repr__

    def due_for_refresh(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at - EXPIRY_SKEW_S

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset((self.scope or "").split())

    def to_strings(self) -> dict[str, str]:
        return {
            "access_token": self.access_token, "refresh_token": self.refresh_token,
            "expires_at": "" if self.expires_at is None else repr(self.expires_at),
            "scope": self.scope or "", "token_type": self.token_type,
        }

    @classmethod
    def from_strings(cls, values: dict[str, str], where: str) -> TokenPair:
        for name in ("access_token", "refresh_token"):
            if not values.get(name):
                raise TokenStoreError(f"{where}: field '{name}' is missing or empty")
        expires = values.get("expires_at") or ""
        try:
            expires_at = float(expires) if expires else None
        except ValueError as exc:
            raise TokenStoreError(f"{where}: field 'expires_at' is not a number") from exc
        return cls(
            values["access_token"], values["refresh_token"], expires_at,
            values.get("scope") or None, values.get("token_type") or "bearer",
        )


@dataclass(frozen=True)
class StoredTokens:
    """What a store holds: `tokens` None means not connected yet; `version` None means the file
    or Secret does not exist (the next save creates it)."""

    tokens: TokenPair | None
    version: str | None


class TokenStore(Protocol):
    description: str  # for messages: where the tokens are (never what they are)

    def load(self) -> StoredTokens: ...

    def save(self, tokens: TokenPair, expected_version: str | None) -> str:
        """Store `tokens` if the stored version is still `expected_version`; returns the new
        version. Raises TokenStoreConflict when another writer got there first."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Held around load → refresh → save; a no-op where optimistic concurrency is all."""
        ...


# -- file ---------------------------------------------------------------------------------------
class FileTokenStore:
    """Tokens as one JSON file, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self.description = f"file {self.path}"
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._lock_fd: int | None = None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        # flock belongs to an open file, so one fd per store, re-entered by depth count
        with self._thread_lock:
            if self._depth == 0:
                self._ensure_folder()
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    os.close(self._lock_fd)
                    self._lock_fd = None

    def _ensure_folder(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)

    def _read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"{self.description}: cannot read: {exc.strerror}") from exc

    def load(self) -> StoredTokens:
        raw = self._read()
        if raw is None:
            return StoredTokens(None, None)
        version = hashlib.sha256(raw).hexdigest()
        try:
            values = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TokenStoreError(f"{self.description}: not a JSON token file") from exc
        if not isinstance(values, dict):
            raise TokenStoreError(f"{self.description}: not a JSON object")
        strings = {k: "" if values.get(k) is None else str(values[k]) for k in _FIELDS}
        return StoredTokens(TokenPair.from_strings(strings, self.description), version)

    def save(self, tokens: TokenPair, expected_version: str | None) -> str:
        data = json.dumps(
            {
                "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at, "scope": tokens.scope,
                "token_type": tokens.token_type,
            },
            indent=1,
        ).encode()
        with self.lock():
            current = self._read()
            current_version = None if current is None else hashlib.sha256(current).hexdigest()
            if current_version != expected_version:
                raise TokenStoreConflict(f"{self.description}: changed since it was read")
            self._replace(data)
        return hashlib.sha256(data).hexdigest()

    def _replace(self, data: bytes) -> None:
        self._ensure_folder()
        try:  # 0600 from the first byte: the tokens are never readable by others
            write_private(self.path, data)
        except OSError as exc:
            raise TokenStoreError(f"{self.description}: cannot write: {exc.strerror}") from exc


# -- Kubernetes Secret ----------------------------------------------------------------------------
class KubernetesSecretTokenStore:
    """Tokens as keys of one Secret, through the `kubernetes` client's CoreV1Api. `component`
    is the Secret's `app.kubernetes.io/component` label, as the Helm chart sets it
    (`<source>-tokens`), so a save keeps the chart's labels."""

    def __init__(self, api: Any, namespace: str, name: str, *, component: str) -> None:
        self._api = api  # kubernetes.client.CoreV1Api
        self.namespace = namespace
        self.name = name
        self.description = f"Kubernetes Secret {namespace}/{name}"
        self.labels = {
            "app.kubernetes.io/name": "bio-lakehouse", "app.kubernetes.io/component": component,
        }

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # pods share no lock: resourceVersion decides

    def _error(self, exc: Any, action: str) -> TokenStoreError:
        return TokenStoreError(f"{self.description}: cannot {action}: {exc.status} {exc.reason}")

    def _read_secret(self) -> Any | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return self._api.read_namespaced_secret(self.name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self._error(exc, "read") from None  # `from None`: the body may echo data

    def load(self) -> StoredTokens:
        secret = self._read_secret()
        if secret is None:
            return StoredTokens(None, None)
        data = secret.data or {}
        try:
            values = {k: base64.b64decode(data[k]).decode() for k in _FIELDS if k in data}
        except (ValueError, UnicodeDecodeError) as exc:
            raise TokenStoreError(f"{self.description}: a token key is not base64 text") from exc
        tokens = (
            TokenPair.from_strings(values, self.description)
            if values.get("refresh_token") else None  # a Secret created empty, e.g. by Helm
        )
        return StoredTokens(tokens, secret.metadata.resource_version)

    def save(self, tokens: TokenPair, expected_version: str | None) -> str:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        current = None
        if expected_version is not None:
            # keep the Secret's other keys, labels and annotations (e.g. Helm's); the PUT below
            # carries `expected_version`, so if the Secret changed after this read the API
            # server refuses it (409)
            current = self._read_secret()
        kept = dict(current.data or {}) if current is not None else {}  # base64, as stored
        meta = current.metadata if current is not None else None
        body = client.V1Secret(
            api_version="v1", kind="Secret", type="Opaque",
            metadata=client.V1ObjectMeta(
                name=self.name, namespace=self.namespace,
                # the Secret's own labels win (the chart's release labels): ours only fill gaps
                labels={**self.labels, **((meta.labels if meta else None) or {})},
                annotations=meta.annotations if meta else None,
                resource_version=expected_version,
            ),
            data={
                **kept,
                **{k: base64.b64encode(v.encode()).decode() for k, v in tokens.to_strings().items()},
            },
        )
        try:
            if expected_version is None:
                written = self._api.create_namespaced_secret(self.namespace, body)
            else:
                written = self._api.replace_namespaced_secret(self.name, self.namespace, body)
        except ApiException as exc:
            # 409: a stale resourceVersion, or created meanwhile; 404: deleted since it was read
            if exc.status == 409 or (exc.status == 404 and expected_version is not None):
                raise TokenStoreConflict(f"{self.description}: changed since it was read") from None
            raise self._error(exc, "write") from None
        return written.metadata.resource_version


def load_kubernetes_config(purpose: str = "Kubernetes token store") -> None:
    """The pod's service account, or ~/.kube/config outside a cluster."""
    from kubernetes import config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError) as exc:
            raise TokenStoreError(
                f"{purpose}: no in-cluster service account and no kubeconfig ({exc})"
            ) from exc


def kubernetes_core_api() -> Any:
    """CoreV1Api from the pod's service account, or from ~/.kube/config outside a cluster."""
    from kubernetes import client

    load_kubernetes_config()
    return client.CoreV1Api()


def pod_namespace() -> str:
    path = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    try:
        return path.read_text().strip() or "default"
    except OSError:
        return "default"


def token_store(
    kind: str, *, file: Path, k8s_namespace: str | None, k8s_secret: str, component: str
) -> TokenStore:
    """The store a source's settings name: `kind` "kubernetes" is the Secret `k8s_secret` in
    `k8s_namespace` (default: the pod's), anything else the file."""
    if kind == "kubernetes":
        namespace = k8s_namespace or pod_namespace()
        return KubernetesSecretTokenStore(
            kubernetes_core_api(), namespace, k8s_secret, component=component
        )
    return FileTokenStore(file)
