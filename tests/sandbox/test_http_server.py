"""What the sandbox looks like on the wire: a production HTTP server, not a development one.

Bytes are read off a plain socket, so nothing between the test and the server tidies them up.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.support.sandbox import SandboxProcess

AUTH = "/v3/security/api/auth/auth"
ORDERS = "/v3/billing/api/order/order"


class RawConnection:
    """One TCP connection speaking HTTP/1.1 by hand."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.netloc
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def exchange(self, method: str, path: str, headers: dict[str, str] | None = None,
                 body: bytes = b"") -> tuple[str, dict[str, str], bytes]:
        """Send one request; return (status line, headers with lower-case names, body)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}",
                 "User-Agent: SandboxTests/1.0", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *fields = head.decode("latin-1").split("\r\n")
        parsed = {}
        for field in fields:
            name, _, value = field.partition(":")
            parsed[name.strip().lower()] = value.strip()
        length = int(parsed.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        payload, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, parsed, payload


@pytest.fixture
def connection(sandbox: SandboxProcess):
    raw = RawConnection(sandbox.url)
    yield raw
    raw.close()


def test_one_connection_serves_many_requests_without_a_banner(
        connection: RawConnection, sandbox: SandboxProcess) -> None:
    bearer = {"Authorization": f"Bearer {sandbox.token}"}
    requests = [
        ("GET", AUTH, bearer, b""),
        ("GET", AUTH, {"Authorization": "Bearer wrong"}, b""),
        ("POST", ORDERS, {**bearer, "Content-Type": "application/json"}, b"{}"),
        ("GET", "/v3/no/such/endpoint", bearer, b""),
        ("GET", "/order/unknown", {}, b""),
        ("GET", "/_sandbox/health", {}, b""),
    ]
    statuses = []
    for method, path, headers, body in requests:
        status, answer, _ = connection.exchange(method, path, headers, body)
        statuses.append(status)
        assert "server" not in answer, path
        assert answer.get("connection", "keep-alive").lower() != "close", path
        assert answer["x-request-id"] and answer["date"]

    assert statuses == [
        "HTTP/1.1 200 OK", "HTTP/1.1 401 Unauthorized", "HTTP/1.1 422 Unprocessable Entity",
        "HTTP/1.1 404 Not Found", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"]


def test_a_redirect_keeps_its_usual_reason_phrase(connection: RawConnection,
                                                  sandbox: SandboxProcess) -> None:
    status, headers, _ = connection.exchange("GET", "/_sandbox")

    assert status == "HTTP/1.1 308 Permanent Redirect"
    assert headers["location"].endswith("/_sandbox/")


def test_the_ready_file_names_the_bound_port(sandbox: SandboxProcess) -> None:
    assert isinstance(sandbox.port, int) and sandbox.port > 0
    assert sandbox.url == f"http://127.0.0.1:{sandbox.port}"
