"""Small Kubernetes API servers on 127.0.0.1, enough for the real `kubernetes` client:

- KubeSecretServer knows only Secrets, with the API server's optimistic concurrency: every write
  bumps `resourceVersion`, and a PUT carrying another resourceVersion than the stored one is
  refused with 409 Conflict (a POST of an existing name too, as AlreadyExists);
- FakeBatchApi holds one CronJob to read and Jobs to list and create (generateName honoured),
  or refuses everything with 403 as RBAC would.
"""

from __future__ import annotations

import re
import threading
import uuid
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.http_fakes import JsonHandler

_ITEM = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets/([^/?]+)$")
_COLLECTION = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets$")
_CRONJOB = re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/cronjobs/([^/]+)$")
_JOBS = re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs$")


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class KubeSecretServer:
    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict] = {}
        self.version = 100
        self.conflicts = 0
        self.writes = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(JsonHandler):

            def do_GET(self) -> None:
                match = _ITEM.match(self.path.split("?")[0])
                with outer.lock:
                    secret = outer.secrets.get(match.groups()) if match else None
                if secret is None:
                    self.reply_json(404, _status(404, "NotFound", "secrets not found"))
                else:
                    self.reply_json(200, secret)

            def do_POST(self) -> None:
                match = _COLLECTION.match(self.path.split("?")[0])
                body = self.read_json()
                if not match:
                    self.reply_json(404, _status(404, "NotFound", "not found"))
                    return
                key = (match.group(1), body["metadata"]["name"])
                with outer.lock:
                    if key in outer.secrets:
                        outer.conflicts += 1
                        self.reply_json(409, _status(409, "AlreadyExists", "secrets already exists"))
                        return
                    stored = outer._store(key, body)
                self.reply_json(201, stored)

            def do_PUT(self) -> None:
                match = _ITEM.match(self.path.split("?")[0])
                body = self.read_json()
                with outer.lock:
                    current = outer.secrets.get(match.groups()) if match else None
                    if current is None:
                        self.reply_json(404, _status(404, "NotFound", "secrets not found"))
                        return
                    sent = body.get("metadata", {}).get("resourceVersion")
                    if sent != current["metadata"]["resourceVersion"]:
                        outer.conflicts += 1
                        self.reply_json(409, _status(
                            409, "Conflict", "the object has been modified; please apply your "
                            "changes to the latest version and try again"))
                        return
                    stored = outer._store(match.groups(), body)
                self.reply_json(200, stored)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _store(self, key: tuple[str, str], body: dict) -> dict:
        self.version += 1
        self.writes += 1
        meta = {**body.get("metadata", {}), "namespace": key[0], "name": key[1],
                "resourceVersion": str(self.version)}
        stored = {"apiVersion": "v1", "kind": "Secret", "type": body.get("type", "Opaque"),
                  "metadata": meta, "data": body.get("data") or {}}
        self.secrets[key] = stored
        return stored

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> KubeSecretServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def core_api(self) -> Any:
        """A real CoreV1Api talking to this server."""
        from kubernetes import client

        config = client.Configuration()
        config.host = self.url
        config.proxy = None
        return client.CoreV1Api(client.ApiClient(config))


class FakeBatchApi:
    """One CronJob (as `helm template` renders it, given a uid) and the Jobs created from it."""

    def __init__(self, cronjob: dict, namespace: str) -> None:
        self.namespace = namespace
        self.cronjob = {**cronjob, "metadata": {**cronjob["metadata"], "namespace": namespace,
                                                "uid": str(uuid.uuid4())}}
        self.jobs: list[dict] = []
        self.forbidden = False
        # HTTP statuses the next Job creations answer with, one per request (a restarting
        # API server: 503), before creations succeed again
        self.create_failures: list[int] = []
        outer = self

        class Handler(JsonHandler):
            def _refused(self) -> bool:
                if outer.forbidden:
                    self.reply_json(403, _status(403, "Forbidden", "forbidden"))
                return outer.forbidden

            def do_GET(self) -> None:
                if self._refused():
                    return
                path = self.path.split("?")[0]
                match = _CRONJOB.match(path)
                if match and match.groups() == (outer.namespace, outer.cronjob["metadata"]["name"]):
                    self.reply_json(200, outer.cronjob)
                elif _JOBS.match(path):
                    self.reply_json(200, {"kind": "JobList", "apiVersion": "batch/v1",
                                          "metadata": {}, "items": outer.jobs})
                else:
                    self.reply_json(404, _status(404, "NotFound", "not found"))

            def do_POST(self) -> None:
                if self._refused():
                    return
                if not _JOBS.match(self.path.split("?")[0]):
                    self.reply_json(404, _status(404, "NotFound", "not found"))
                    return
                body = self.read_json()
                if outer.create_failures:
                    status = outer.create_failures.pop(0)
                    self.reply_json(status, _status(status, "ServiceUnavailable", "try again"))
                    return
                meta = body["metadata"]
                meta["name"] = meta.pop("generateName") + uuid.uuid4().hex[:5]
                meta["uid"] = str(uuid.uuid4())
                body["status"] = {"active": 1}  # running until a test says otherwise
                outer.jobs.append(body)
                self.reply_json(201, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

