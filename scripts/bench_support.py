"""What the benchmarks share: servers on loopback ports, a throwaway database, wrk.

Used by ``scripts/bench.py`` (``make bench``) and ``scripts/bench_scale.py``
(``make bench-scale``); nothing here is part of the shop.
"""

from __future__ import annotations

import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CONNECTIONS = 16
WORKERS = 2
DEMO = {
    "token": "b37c4c689295904ed21eee5d9a48d42e",
    "merchant_id": "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "notification_key": "098f6bcd4621d373cade4e832627b4f6",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Servers:
    """Child processes, each logging to a file, all stopped on exit (or by :meth:`stop`)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str], ready_url: str) -> int:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.children.append(child)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise SystemExit(f"bench: {name} exited; see {self.logs / name}.log")
            try:
                if requests.get(ready_url, timeout=1).ok:
                    return child.pid
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"bench: {name} did not answer at {ready_url}")

    def stop(self, pid: int) -> None:
        for child in [c for c in self.children if c.pid == pid]:
            self._stop(child)
            self.children.remove(child)

    @staticmethod
    def _stop(child: subprocess.Popen) -> None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        for child in self.children:
            self._stop(child)


def fresh_database(stack: ExitStack, prefix: str = "storefront_bench") -> str | None:
    """A new PostgreSQL database at ``BENCH_DATABASE_URL``'s server, dropped on exit.

    None when no server answers there.
    """
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except Exception as error:
        print(f"bench: PostgreSQL not reachable ({error.__class__.__name__})")
        return None
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return f"{base.rpartition('/')[0]}/{name}"


def shop_env(base_env: dict[str, str], database_url: str, shop_url: str, port: int,
             api_url: str) -> dict[str, str]:
    """Demo mode with every setting explicit: the same code path as production, but
    session cookies are not marked Secure, so a client over http keeps them."""
    return dict(base_env, STOREFRONT_MODE="demo", SECRET_KEY=secrets.token_hex(16),
                DATABASE_URL=database_url, INVOICEBOX_API_URL=api_url,
                INVOICEBOX_TOKEN=DEMO["token"], INVOICEBOX_MERCHANT_ID=DEMO["merchant_id"],
                INVOICEBOX_NOTIFICATION_KEY=DEMO["notification_key"],
                STOREFRONT_PUBLIC_URL=shop_url, STOREFRONT_PORT=str(port))


def clean_env() -> dict[str, str]:
    """This process's environment without any shop or gateway setting of the developer's."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("STOREFRONT_",
                                                                     "INVOICEBOX_"))}


def flask(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "storefront", *command],
                   env=env, cwd=ROOT, check=True, capture_output=True)


def gunicorn(port: int, *app: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"{HOST}:{port}", "--workers", str(WORKERS), *app]


def worker_rss_mb(master_pid: int) -> float:
    """The largest resident set among the gunicorn master's worker processes, in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return round(max(sizes), 1) if sizes else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float, script: Path | None = None, args: list[str] | None = None,
        headers: list[str] | None = None) -> dict:
    """One wrk run at :data:`CONNECTIONS` connections: rps, p50_ms, p99_ms (and errors).

    ``stdout`` keeps wrk's output, for scripts that print their own lines in ``done()``.
    """
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--latency"]
    # Every page is measured in Russian, the shop's first language.
    for header in ("Accept-Language: ru", *(headers or ())):
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return round(float(value) * _UNITS[unit], 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    result = {"rps": round(rps, 1), "p50_ms": percentile("50"), "p99_ms": percentile("99"),
              "stdout": out}
    if errors or socket_errors:
        result["errors"] = (errors.group(0) if errors else "") + (
            socket_errors.group(0) if socket_errors else "")
    return result


def hidden(html: str, name: str) -> str:
    """The value of the hidden form field ``name`` in ``html``."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html) or re.search(
        rf'value="([^"]+)"[^>]*name="{name}"', html)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.*)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    return f"{os.cpu_count()} CPU ({model or platform.machine()}), {platform.system()}, Python " \
           f"{platform.python_version()}"
