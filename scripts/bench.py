"""Benchmark the shop against the ceiling of its own stack: ``make bench``.

It starts, on loopback ports of their own:

* the Invoicebox sandbox (rate limits off, so it measures the shop, not the limiter);
* the shop under gunicorn with 2 workers, on a fresh PostgreSQL database (a SQLite file
  when no PostgreSQL answers at ``BENCH_DATABASE_URL``);
* the ceiling: a bare Flask app answering "hello" under the same gunicorn settings.

Then it drives each with wrk (16 connections, from its own process) and, for the full
checkout -> paid flow, with 16 Python buyer threads. The wrk scenarios and the ceiling
are measured in turns, ``BENCH_ROUNDS`` rounds (default 5) of ``BENCH_SECONDS`` each
(default 3), and each figure is the median of its rounds: a shared machine's speed can
swing by a factor of two from one second to the next, and taking turns lets every
scenario and the ceiling see the same swings, while the median drops the worst of them.

It prints a table and writes ``bench-results.json``: one object per scenario with
``rps``, ``p50_ms``, ``p99_ms``, ``ratio_to_ceiling``, ``worker_rss_mb`` (the largest
gunicorn worker's resident memory after the measurements) and ``rounds`` (each round's
requests per second). ``BENCH_SCENARIOS`` (e.g. ``catalog,notification``) runs only
those, beside the ceiling, and leaves ``bench-results.json`` alone: a quick look while
working on one page.

This is a benchmark that prints figures, not a test: it never fails on a slow figure.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.invoicebox import InvoiceboxClient, gateway_json, sign  # noqa: E402

HOST = "127.0.0.1"
CONNECTIONS = 16
WORKERS = 2
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SCENARIOS = ("catalog", "product", "cart", "notification", "checkout_flow")
CHOSEN = [name.strip() for name in os.environ.get("BENCH_SCENARIOS", "").split(",")
          if name.strip()] or list(SCENARIOS)
WARMUP_SECONDS = 2
PRODUCT = "french-press-350"
DEMO = {
    "token": "b37c4c689295904ed21eee5d9a48d42e",
    "merchant_id": "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "notification_key": "098f6bcd4621d373cade4e832627b4f6",
}
BUYER = {"customer_type": "private", "full_name": "Мария Иванова",
         "email": "bench@example.ru", "phone": "+7 900 555-01-02"}
TARGETS = "catalog >= 0.5 of ceiling, notification >= 0.35, catalog p99 < 100 ms, < 100 MB/worker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Servers:
    """Child processes, each logging to a file, all stopped on exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str], ready_url: str) -> int:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.children.append(child)
        deadline = time.monotonic() + 30
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

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


def fresh_database(stack: ExitStack, workdir: Path) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except Exception as error:  # no server: fall back to the embedded default
        print(f"bench: PostgreSQL not reachable ({error.__class__.__name__}); using SQLite")
        return f"sqlite:///{workdir / 'shop.db'}"
    name = f"storefront_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return f"{base.rpartition('/')[0]}/{name}"


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


def wrk(url: str, script: Path | None = None, seconds: float = SECONDS) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return round(float(value) * _UNITS[unit], 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    result = {"rps": round(rps, 1), "p50_ms": percentile("50"), "p99_ms": percentile("99")}
    if errors or socket_errors:
        result["errors"] = (errors.group(0) if errors else "") + (
            socket_errors.group(0) if socket_errors else "")
    return result


def in_turns(targets: dict[str, tuple[str, Path | None]]) -> dict[str, dict]:
    """Measure every target ROUNDS times, taking turns; the median of each figure."""
    for url, script in targets.values():
        wrk(url, script, WARMUP_SECONDS)
    rounds: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, script) in targets.items():
            rounds[name].append(wrk(url, script))
    results = {}
    for name, runs in rounds.items():
        result = {key: statistics.median(run[key] for run in runs)
                  for key in ("rps", "p50_ms", "p99_ms")}
        result["rounds"] = [run["rps"] for run in runs]
        if errors := [run["errors"] for run in runs if "errors" in run]:
            result["errors"] = "; ".join(errors)
        results[name] = result
    return results


# -- the buyer, over plain HTTP as a browser would -------------------------------------

def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html) or re.search(
        rf'value="([^"]+)"[^>]*name="{name}"', html)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


def buy(shop: str, pay: bool = True) -> tuple[str, str]:
    """Fill a cart, check out, and (optionally) press Pay; returns (public token, paymentUrl)."""
    http = requests.Session()
    page = http.get(f"{shop}/products/{PRODUCT}", timeout=30).text
    http.post(f"{shop}/cart/add", data={"product": PRODUCT, "quantity": 1,
                                        "csrf_token": _hidden(page, "csrf_token")}, timeout=30)
    page = http.get(f"{shop}/checkout", timeout=30).text
    form = dict(BUYER, csrf_token=_hidden(page, "csrf_token"),
                checkout_token=_hidden(page, "checkout_token"))
    answer = http.post(f"{shop}/checkout", data=form, allow_redirects=False, timeout=60)
    if answer.status_code != 303:
        raise RuntimeError(f"checkout answered {answer.status_code}")
    payment_url = answer.headers["Location"]
    token = ""
    if pay:
        paid = http.post(f"{payment_url}/pay", allow_redirects=False, timeout=30)
        token = urlsplit(paid.headers["Location"]).path.split("/")[2]
    return token, payment_url


def wait_paid(shop: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{shop}/orders/{token}/status", timeout=30).json()
        if status.get("paid") or status.get("status") == "paid":
            return
        time.sleep(0.05)
    raise RuntimeError(f"order {token[:6]}... not paid within {timeout} s")


def checkout_flow(shop: str) -> dict[str, float]:
    """16 buyers, each buying, paying and waiting for "paid" again and again (all rounds' time)."""
    durations: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS * ROUNDS

    def buyer() -> None:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                token, _ = buy(shop)
                wait_paid(shop, token)
            except (requests.RequestException, RuntimeError, KeyError) as error:
                with lock:
                    failures.append(str(error))
                continue
            with lock:
                durations.append((time.monotonic() - started) * 1000)

    started = time.monotonic()
    threads = [threading.Thread(target=buyer) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    durations.sort()
    result = {
        "rps": round(len(durations) / elapsed, 2),
        "p50_ms": round(statistics.median(durations), 1) if durations else 0.0,
        "p99_ms": round(durations[int(0.99 * (len(durations) - 1))], 1) if durations else 0.0,
        "orders": len(durations),
    }
    if failures:
        result["errors"] = f"{len(failures)} failed flows, e.g. {failures[0]}"
    return result


def notification_script(shop: str, sandbox: str, workdir: Path) -> Path:
    """A wrk script POSTing signed notifications for real orders, mostly replays.

    Twenty orders are paid and confirmed first (their notifications are replays); ten more
    are paid at the sandbox with delivery held back, so the first round of the benchmark
    applies them and later rounds replay them too.
    """
    for _ in range(20):
        token, _ = buy(shop)
        wait_paid(shop, token)
    requests.post(f"{sandbox}/_sandbox/scenarios", timeout=10,
                  json={"name": "notification_delay", "count": 10, "seconds": 3600})
    for _ in range(10):
        buy(shop)
    client = InvoiceboxClient(sandbox, DEMO["token"])
    orders = client.find_orders({"status": "completed"}, page_size=100).items
    bodies = [gateway_json(order.raw) for order in orders]
    reply = requests.post(f"{shop}/invoicebox/notification", data=bodies[0], timeout=10, headers={
        "Content-Type": "application/json",
        "X-Signature": sign(bodies[0], DEMO["notification_key"])}).json()
    if reply != {"status": "success"}:
        raise SystemExit(f"bench: a valid notification was answered {reply}")
    lua = ["local bodies, sigs = {}, {}"]
    for i, body in enumerate(bodies, 1):
        lua.append(f"bodies[{i}] = [==[{body.decode()}]==]")
        lua.append(f'sigs[{i}] = "{sign(body, DEMO["notification_key"])}"')
    lua.append("""local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/invoicebox/notification",
    {["Content-Type"] = "application/json", ["X-Signature"] = sigs[i]}, bodies[i])
end""")
    script = workdir / "notify.lua"
    script.write_text("\n".join(lua), encoding="utf-8")
    print(f"bench: {len(bodies)} signed notifications prepared")
    return script


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.*)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    return f"{os.cpu_count()} CPU ({model or platform.machine()}), {platform.system()}, Python " \
           f"{platform.python_version()}"


def main() -> int:
    if unknown := set(CHOSEN) - set(SCENARIOS):
        raise SystemExit(f"bench: unknown scenario(s) {sorted(unknown)}; known: {SCENARIOS}")
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        servers = stack.enter_context(Servers(workdir))
        sandbox_port, shop_port, hello_port = free_port(), free_port(), free_port()
        sandbox, shop = f"http://{HOST}:{sandbox_port}", f"http://{HOST}:{shop_port}"
        config = workdir / "sandbox.json"
        config.write_text(json.dumps({"rate_limit": {"enabled": False}}))
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("STOREFRONT_",
                                                                              "INVOICEBOX_"))}
        servers.start("sandbox", [sys.executable, "-m", "sandbox", "--port", str(sandbox_port),
                                  "--state", str(workdir / "sandbox.sqlite3"), "--reset",
                                  "--config", str(config), "--log-level", "WARNING"],
                      dict(base_env, SANDBOX_NOTIFY_MODE="fast"), f"{sandbox}/_sandbox/health")
        # Demo mode with every setting explicit: the same code path as production, but
        # session cookies are not marked Secure, so the buyer threads keep them over http.
        env = dict(base_env, STOREFRONT_MODE="demo", SECRET_KEY=secrets.token_hex(16),
                   DATABASE_URL=fresh_database(stack, workdir), INVOICEBOX_API_URL=sandbox,
                   INVOICEBOX_TOKEN=DEMO["token"], INVOICEBOX_MERCHANT_ID=DEMO["merchant_id"],
                   INVOICEBOX_NOTIFICATION_KEY=DEMO["notification_key"],
                   STOREFRONT_PUBLIC_URL=shop, STOREFRONT_PORT=str(shop_port))
        for command in (["db", "upgrade"], ["seed"]):
            subprocess.run([sys.executable, "-m", "flask", "--app", "storefront", *command],
                           env=env, cwd=ROOT, check=True, capture_output=True)
        shop_pid = servers.start("shop", gunicorn(shop_port), env, f"{shop}/healthz")
        hello_pid = servers.start(
            "ceiling", gunicorn(hello_port, "--chdir", str(ROOT / "scripts"), "bench_hello:app"),
            base_env, f"http://{HOST}:{hello_port}/")

        print(f"bench: {machine()}; {WORKERS} gunicorn workers; {CONNECTIONS} connections; "
              f"{ROUNDS} rounds of {SECONDS:g} s per scenario")
        targets: dict[str, tuple[str, Path | None]] = {
            "ceiling": (f"http://{HOST}:{hello_port}/", None),
            "catalog": (f"{shop}/", None),
            "product": (f"{shop}/products/{PRODUCT}", None),
            "cart": (f"{shop}/cart", None),
        }
        if "notification" in CHOSEN:
            targets["notification"] = (f"{shop}/invoicebox/notification",
                                       notification_script(shop, sandbox, workdir))
        results = in_turns({name: target for name, target in targets.items()
                            if name == "ceiling" or name in CHOSEN})
        for name in results:
            results[name]["worker_rss_mb"] = worker_rss_mb(
                hello_pid if name == "ceiling" else shop_pid)
        if "checkout_flow" in CHOSEN:
            results["checkout_flow"] = checkout_flow(shop)
            results["checkout_flow"]["worker_rss_mb"] = worker_rss_mb(shop_pid)

    ceiling = results["ceiling"]["rps"]
    for result in results.values():
        result["ratio_to_ceiling"] = round(result["rps"] / ceiling, 3) if ceiling else 0.0
    report = {name: results[name] for name in [*SCENARIOS, "ceiling"] if name in results}
    if len(report) == len(SCENARIOS) + 1:
        (ROOT / "bench-results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'scenario':<15}{'rps':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}{'RSS MB':>9}")
    for name, r in report.items():
        print(f"{name:<15}{r['rps']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}"
              f"{r['ratio_to_ceiling']:>8}{r['worker_rss_mb']:>9}"
              + (f"   ({r['errors']})" if r.get("errors") else ""))
    print(f"\ntargets: {TARGETS}")
    if len(report) == len(SCENARIOS) + 1:
        print(f"written: {ROOT / 'bench-results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
