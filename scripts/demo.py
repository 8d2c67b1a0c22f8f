"""Run the shop and the Invoicebox sandbox together, ready to click through: ``make demo``.

* the sandbox (``python -m sandbox``) on 127.0.0.1:8001, its state in
  ``instance/sandbox.sqlite3``, told to deliver notifications for the demo merchant to the
  shop and to retry them on the fast schedule;
* the shop (``STOREFRONT_MODE=demo``) on 127.0.0.1:8000, its database migrated and seeded
  (catalog and the demo staff account) with the ``flask`` commands first.

``STOREFRONT_PORT`` and ``SANDBOX_PORT`` move them; the shop's public URL follows its port
and its ``INVOICEBOX_API_URL`` follows the sandbox's. ``DATABASE_URL`` and ``SANDBOX_STATE``
move the two databases; ``WEB_CONCURRENCY`` serves the shop with that many gunicorn
workers. One Ctrl-C (or SIGTERM) stops both.
If either dies, the other is stopped too and the script exits non-zero.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
HOST = "127.0.0.1"
DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

log = logging.getLogger("demo")


def shop_server_command(port: int) -> list[str]:
    """How the shop is served.

    With ``WEB_CONCURRENCY`` set, gunicorn runs that many worker processes, as
    ``make serve`` does in production; otherwise Flask's threaded werkzeug server, as
    ``flask run`` does. Everything else only needs the port to answer.
    """
    workers = os.environ.get("WEB_CONCURRENCY", "").strip()
    if workers:
        # gunicorn.conf.py reads the bind address and worker count from the environment.
        return [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                "--workers", workers, "--bind", f"{HOST}:{port}"]
    return [sys.executable, "-m", "flask", "--app", "storefront", "run", "--host", HOST,
            "--port", str(port), "--with-threads", "--no-reload", "--no-debugger"]


def sandbox_state() -> Path:
    return Path(os.environ.get("SANDBOX_STATE") or INSTANCE / "sandbox.sqlite3")


def sandbox_command(port: int, config: Path) -> list[str]:
    return [sys.executable, "-m", "sandbox", "--host", HOST, "--port", str(port),
            "--state", str(sandbox_state()), "--config", str(config)]


def shop_environment(shop_port: int, sandbox_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(STOREFRONT_MODE="demo", STOREFRONT_PORT=str(shop_port),
               INVOICEBOX_API_URL=f"http://{HOST}:{sandbox_port}")
    env.pop("STOREFRONT_PUBLIC_URL", None)  # follows STOREFRONT_PORT in demo mode
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def sandbox_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SANDBOX_NOTIFY_MODE", "fast")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def write_sandbox_config(shop_url: str) -> Path:
    """Point the demo merchant's notification and return URLs at the shop."""
    path = sandbox_state().parent / "sandbox-config.json"
    config = {"merchants": [{
        "id": DEMO_MERCHANT_ID,
        "name": "Sever Coffee Roasters (demo)",
        "notification_url": f"{shop_url}/invoicebox/notification",
        "return_url": shop_url,
    }]}
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the shop's database and load the catalog and demo staff (both repeatable)."""
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "storefront", *args],
                       cwd=ROOT, env=env, check=True)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=1) as response:
            return response.status == 200
    except (URLError, OSError):
        return False


class Children:
    """The two servers. Each runs in its own session, so a Ctrl-C reaches only this
    script, which then stops them in order instead of leaving half a demo running."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env,
                                                start_new_session=True)

    def exited(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", name, STOP_TIMEOUT)
                process.kill()
                process.wait()


def wait_until_ready(children: Children, checks: dict[str, str], stop: threading.Event) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    pending = dict(checks)
    while pending and not stop.is_set():
        if (dead := children.exited()) is not None:
            log.error("the %s exited during start-up", dead)
            return False
        pending = {name: url for name, url in pending.items() if not answers(url)}
        if time.monotonic() > deadline:
            log.error("no answer from %s within %.0f s", ", ".join(pending), START_TIMEOUT)
            return False
        stop.wait(0.2)
    return not stop.is_set()


def banner(shop_url: str, sandbox_url: str) -> str:
    return "\n".join([
        "",
        "  Sever Coffee Roasters, paying through the Invoicebox sandbox, is ready.",
        "",
        f"    Shop ............... {shop_url}/",
        f"    Staff area ......... {shop_url}/staff/  (staff@example.com / staff)",
        f"    Invoicebox sandbox . {sandbox_url}/_sandbox/  (orders, notifications, scenarios)",
        "",
        "  Add something to the cart, check out, then press Pay or Decline on the",
        "  sandbox's payment page. Ctrl-C stops both servers.",
        "",
    ])


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")
    shop_port = int(os.environ.get("STOREFRONT_PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8001"))
    shop_url, sandbox_url = f"http://{HOST}:{shop_port}", f"http://{HOST}:{sandbox_port}"
    for name, port in (("STOREFRONT_PORT", shop_port), ("SANDBOX_PORT", sandbox_port)):
        if not port_is_free(port):
            log.error("port %s is in use; stop what uses it or set %s", port, name)
            return 1
    INSTANCE.mkdir(exist_ok=True)
    sandbox_state().parent.mkdir(parents=True, exist_ok=True)
    env = shop_environment(shop_port, sandbox_port)
    try:
        prepare_database(env)
    except subprocess.CalledProcessError:
        log.error("could not prepare the shop's database (see above)")
        return 1

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    children = Children()
    try:
        children.start("sandbox", sandbox_command(sandbox_port, write_sandbox_config(shop_url)),
                       sandbox_environment())
        children.start("shop", shop_server_command(shop_port), env)
        checks = {"sandbox": f"{sandbox_url}/_sandbox/health", "shop": f"{shop_url}/healthz"}
        if not wait_until_ready(children, checks, stop):
            return 0 if stop.is_set() else 1
        print(banner(shop_url, sandbox_url), flush=True)
        while not stop.is_set():
            if (dead := children.exited()) is not None:
                log.error("the %s stopped unexpectedly; stopping the demo", dead)
                return 1
            stop.wait(0.5)
        log.info("stopping")
        return 0
    finally:
        children.stop()


if __name__ == "__main__":
    sys.exit(main())
