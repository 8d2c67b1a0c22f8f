"""A notification endpoint for tests: records every POST, answers with scripted replies.

Usage::

    with NotificationReceiver() as receiver:
        receiver.script({"status": "error", "code": "out_of_service"}, {"status": "success"})
        ...  # point a merchant's notification_url at receiver.url
        first, second = receiver.wait_for(2)
        assert first.headers["X-Signature"] == hmac_hex(first.body)

A scripted reply is a dict (sent as JSON with HTTP 200) or a :class:`Reply` (status, raw body,
delay). Once the script is used up, every request gets the default reply
``{"status": "success"}``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str | dict = field(default_factory=lambda: {"status": "success"})
    delay: float = 0.0

    def raw(self) -> bytes:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """The body parsed with exact money (fractions as Decimal)."""
        return json.loads(self.body, parse_float=Decimal)


class NotificationReceiver:
    """A threaded HTTP server on a free loopback port. ``url`` ends in ``/notify``."""

    def __init__(self, default: Reply | dict | None = None) -> None:
        self.default = self._reply(default or Reply())
        self.received: list[Received] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()),
                                                      body, time.monotonic()))
                    reply = receiver._script.popleft() if receiver._script else receiver.default
                    receiver._lock.notify_all()
                if reply.delay:
                    time.sleep(reply.delay)
                raw = reply.raw()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/notify"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def _reply(reply: Reply | dict) -> Reply:
        return reply if isinstance(reply, Reply) else Reply(body=reply)

    def start(self) -> NotificationReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> NotificationReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def script(self, *replies: Reply | dict) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(self._reply(r) for r in replies)

    def clear(self) -> None:
        """Forget received requests and any unused script."""
        with self._lock:
            self.received.clear()
            self._script.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests have arrived; AssertionError on timeout."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} notification(s) within {timeout} s,"
                                     f" got {len(self.received)}")
            return list(self.received)
