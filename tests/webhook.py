"""A local webhook that takes JSON as a 企业微信/钉钉 group robot would (alerts, reminders)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


@contextmanager
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """WATERWH_NOTIFY_WEBHOOK pointed at a local 企业微信 robot; the messages it received."""
    received: list[dict] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("WATERWH_NOTIFY_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("WATERWH_NOTIFY_WEBHOOK_KIND", "wecom")
    try:
        yield received
    finally:
        server.shutdown()
