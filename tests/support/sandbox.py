"""Run the Invoicebox sandbox as a real HTTP server for a test.

Usage::

    from tests.support.sandbox import SandboxProcess

    with SandboxProcess(tmp_path, config={"merchants": [
            {"id": DEMO_MERCHANT_ID, "notification_url": "http://127.0.0.1:5000/notify"}]}) as sb:
        requests.get(f"{sb.url}/v3/security/api/auth/auth",
                     headers={"Authorization": f"Bearer {sb.token}"})
        sb.control(f"orders/{order_id}/pay")          # POST /_sandbox/orders/<id>/pay
        sb.get("api/notifications")["data"]           # GET /_sandbox/api/notifications
        sb.scenario("api_500", count=1, path="/order/order")

``SandboxProcess(state_dir, *, port=None, env=None, config=None)`` starts ``python -m sandbox``
in a subprocess on a free loopback port (or ``port``), with ``SANDBOX_NOTIFY_MODE=fast`` and
``SANDBOX_REFUND_DELAY=1`` unless ``env`` overrides them, and waits (20 s at most) until
``/_sandbox/health`` answers; if the process dies first, the error carries its log. ``config``
is written to ``state_dir/sandbox-config.json`` and passed with ``--config``. The first start
wipes the state in ``state_dir``; :meth:`restart` (or ``stop()`` then ``start()``) keeps it.
The process's output goes to ``state_dir/sandbox.log``.

Attributes: ``url`` (base URL, no trailing slash), ``port``, ``token``, ``merchant_id``,
``notification_key`` (the default merchant's, after ``config`` overrides).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
DEMO_TOKEN = "b37c4c689295904ed21eee5d9a48d42e"
DEMO_NOTIFICATION_KEY = "098f6bcd4621d373cade4e832627b4f6"
START_TIMEOUT = 20.0


class SandboxError(RuntimeError):
    """The sandbox did not start, or a control call was refused."""


class SandboxProcess:
    """The sandbox in a subprocess; a context manager. See the module docstring."""

    def __init__(self, state_dir: Path, *, port: int | None = None, env: dict | None = None,
                 config: dict | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.requested_port = port
        self.env = dict(env or {})
        self.config = config
        self.port: int | None = None
        self.url = ""
        self.log_path = self.state_dir / "sandbox.log"
        default = next((m for m in (config or {}).get("merchants", [])
                        if m.get("id") == DEMO_MERCHANT_ID), {})
        self.merchant_id = DEMO_MERCHANT_ID
        self.token = default.get("token", DEMO_TOKEN)
        self.notification_key = default.get("notification_key", DEMO_NOTIFICATION_KEY)
        self._proc: subprocess.Popen | None = None
        self._started_once = False
        self._http = requests.Session()

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> SandboxProcess:
        if self._proc is not None:
            raise SandboxError("the sandbox is already running")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready = self.state_dir / "sandbox-ready.json"
        ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1",
                   "--port", str(self.requested_port or 0),
                   "--state", str(self.state_dir / "sandbox.sqlite3"), "--ready-file", str(ready)]
        if self.config is not None:
            config_path = self.state_dir / "sandbox-config.json"
            config_path.write_text(json.dumps(self.config), encoding="utf-8")
            command += ["--config", str(config_path)]
        if not self._started_once:
            command.append("--reset")
        env = {**os.environ, "SANDBOX_NOTIFY_MODE": "fast", "SANDBOX_REFUND_DELAY": "1",
               **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                          env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT)
        self._started_once = True
        self._wait_until_healthy(ready)
        return self

    def _wait_until_healthy(self, ready: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                raise SandboxError(f"the sandbox exited during start-up:\n{self.log_tail()}")
            if ready.exists():
                info = json.loads(ready.read_text())
                self.port, self.url = info["port"], info["url"]
                try:
                    if self._http.get(f"{self.url}/_sandbox/health", timeout=1).ok:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        self.stop()
        raise SandboxError(f"the sandbox did not answer within {START_TIMEOUT:g} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def restart(self) -> SandboxProcess:
        """Stop and start again on the same state (and port, if one was requested)."""
        self.stop()
        return self.start()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- /_sandbox controls -----------------------------------------------------------------
    def control(self, path: str, json: dict | None = None) -> dict:
        """POST ``/_sandbox/<path>`` with a JSON body; the JSON answer. Raises on non-2xx."""
        response = self._http.post(f"{self.url}/_sandbox/{path.lstrip('/')}", json=json or {},
                                   timeout=30)
        return self._answer(response)

    def get(self, path: str) -> dict:
        """GET ``/_sandbox/<path>`` (e.g. ``api/orders?merchantOrderId=42``); the JSON answer."""
        return self._answer(self._http.get(f"{self.url}/_sandbox/{path.lstrip('/')}",
                                           timeout=30))

    def scenario(self, name: str, count: int = 1, **params: Any) -> dict:
        """Arm a scenario (``seconds=``, ``method=``, ``path=`` as keyword arguments)."""
        return self.control("scenarios", {"name": name, "count": count, **params})

    def clear_scenarios(self) -> dict:
        return self._answer(self._http.delete(f"{self.url}/_sandbox/scenarios", timeout=30))

    def reset(self) -> dict:
        """Wipe orders, refunds, notifications, scenarios and rate-limit counters."""
        return self.control("reset")

    @staticmethod
    def _answer(response: requests.Response) -> dict:
        if not response.ok:
            raise SandboxError(f"{response.request.method} {response.url} -> "
                               f"{response.status_code}: {response.text[:500]}")
        return response.json()
