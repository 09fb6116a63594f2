"""A small Kubernetes API server on 127.0.0.1 that knows only Secrets, with the API server's
optimistic concurrency: every write bumps `resourceVersion`, and a PUT carrying another
resourceVersion than the stored one is refused with 409 Conflict (a POST of an existing name
too, as AlreadyExists). Enough for the real `kubernetes` client to read and replace a Secret.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ITEM = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets/([^/?]+)$")
_COLLECTION = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets$")


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

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self) -> None:
                match = _ITEM.match(self.path.split("?")[0])
                with outer.lock:
                    secret = outer.secrets.get(match.groups()) if match else None
                if secret is None:
                    self._reply(404, _status(404, "NotFound", "secrets not found"))
                else:
                    self._reply(200, secret)

            def do_POST(self) -> None:
                match = _COLLECTION.match(self.path.split("?")[0])
                body = self._body()
                if not match:
                    self._reply(404, _status(404, "NotFound", "not found"))
                    return
                key = (match.group(1), body["metadata"]["name"])
                with outer.lock:
                    if key in outer.secrets:
                        outer.conflicts += 1
                        self._reply(409, _status(409, "AlreadyExists", "secrets already exists"))
                        return
                    stored = outer._store(key, body)
                self._reply(201, stored)

            def do_PUT(self) -> None:
                match = _ITEM.match(self.path.split("?")[0])
                body = self._body()
                with outer.lock:
                    current = outer.secrets.get(match.groups()) if match else None
                    if current is None:
                        self._reply(404, _status(404, "NotFound", "secrets not found"))
                        return
                    sent = body.get("metadata", {}).get("resourceVersion")
                    if sent != current["metadata"]["resourceVersion"]:
                        outer.conflicts += 1
                        self._reply(409, _status(
                            409, "Conflict", "the object has been modified; please apply your "
                            "changes to the latest version and try again"))
                        return
                    stored = outer._store(match.groups(), body)
                self._reply(200, stored)

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
