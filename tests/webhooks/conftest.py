"""A local receiver (a real HTTP server in a thread on 127.0.0.1) and the agency of tests/workflow."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from tests.exchange.conftest import exchange_env, province, wsgi_hub  # noqa: F401 - three agencies on the hub
from tests.quiet_server import QuietHTTPServer
from tests.workflow.conftest import world  # noqa: F401 - every role, a second agency


class Receiver:
    """Records every POST (headers, raw body); answers `status` (200 by default)."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.status = 200
        self.location = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "status": receiver.status})
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = QuietHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if 200 <= r["status"] < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """The receivers of these tests listen on 127.0.0.1: allowed here (a deployment's default is off)."""
    settings.VPDT_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def closed_port():
    """A port where nothing listens (connections refused)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
