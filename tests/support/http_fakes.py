"""What the tests' local HTTP servers (fake Kubernetes, Messages and OAuth APIs) share: a
handler that speaks JSON quietly and a server run in a thread for the length of a test; and the
slice of the Anthropic Messages API that two test modules script."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Server = TypeVar("Server", bound=ThreadingHTTPServer)


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def reply_json(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def read_json(self) -> Any:
        return json.loads(self.read_body())


@contextlib.contextmanager
def serving_in_thread(server: Server) -> Iterator[Server]:
    """Serve on a daemon thread; shut down and close the socket afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- the Anthropic Messages API (NL-to-SQL, the report narrative) ------------------------------
class MessagesAPI(JsonHandler):
    """The slice of the Anthropic Messages API the SDK uses: POST /v1/messages, JSON in and out."""

    server: MessagesServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.requests.append(
            {"path": self.path, "headers": headers, "raw": body.decode(), "json": json.loads(body)}
        )
        if self.path != "/v1/messages" or not self.server.replies:
            status, reply = (
                500,
                {"type": "error", "error": {"type": "api_error", "message": "no reply scripted"}},
            )
        else:
            status, reply = 200, self.server.replies.pop(0)
        self.reply_json(status, reply)


class MessagesServer(ThreadingHTTPServer):
    """Replies scripted in `replies` (popped in order); every request kept in `requests`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MessagesAPI)
        self.requests: list[dict] = []
        self.replies: list[dict] = []

