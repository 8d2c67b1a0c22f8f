"""Benchmark the shop against the ceilings of its own stack: ``make bench``.

It starts, on loopback ports of their own:

* the Invoicebox sandbox (rate limits off, so it measures the shop, not the limiter);
* the shop under gunicorn with 2 workers (``scripts/bench_app.py``), on a fresh PostgreSQL
  database (a SQLite file when no PostgreSQL answers at ``BENCH_DATABASE_URL``);
* the ceiling: a bare Flask app answering "hello" under the same gunicorn settings;
* the write ceiling: a bare Flask app doing one ``INSERT`` and ``COMMIT`` into PostgreSQL
  per request through SQLAlchemy and psycopg 3, as the shop does (``bench_write.py``).

Then it drives each with wrk (16 connections, from its own process). The scenarios:

* ``catalog``: a first visit (no cookie) to the catalog page;
* ``product``, ``cart``: a returning buyer, whose session cookie holds a cart;
* ``notification``: signed notifications of 30 real orders, after the first round all
  replays of notifications already applied (the rare path: the gateway's retries);
* ``notification_new``: what a sale sends: one signed ``completed`` notification for each
  of ``BENCH_NEW_ORDERS`` (default 40 000) unpaid orders made in the database beforehand
  (checkout makes only about 25 a second), each body sent once, each a real paid
  transition; its ``rps`` is transitions per second, and afterwards the orders are
  counted to check that exactly the notifications sent made them paid;
* ``checkout_flow``: 16 Python buyer threads buying, paying and waiting for "paid".

The wrk scenarios and the ceilings are measured in turns, ``BENCH_ROUNDS`` rounds
(default 5) of ``BENCH_SECONDS`` each (default 3), and each figure is the median of its
rounds: a shared machine's speed can swing by a factor of two from one second to the
next, and taking turns lets every scenario and the ceilings see the same swings.

It prints a table and the targets, and writes ``bench-results.json``: one object per
scenario with ``rps``, ``p50_ms``, ``p99_ms``, ``ratio_to_ceiling`` (and, for
``notification_new``, ``ratio_to_write_ceiling``), ``worker_rss_mb`` (the largest
gunicorn worker's resident memory after the measurements) and ``rounds`` (each round's
requests per second). ``BENCH_SCENARIOS`` (e.g. ``catalog,notification``) runs only
those, beside the ceilings, and leaves ``bench-results.json`` alone.

``BENCH_WITHOUT`` (e.g. ``replay_memory``; see ``bench_app.py``) measures what kept
optimisations gain: a second shop, on the same database and with the same secret key,
runs without them, and each page and replay scenario is measured on both shops in the
same turns (``catalog`` and ``catalog_without``, ...), so both see the same swings of the
machine. It prints the gains and leaves ``bench-results.json`` alone.

This is a benchmark that prints figures, not a test: it never fails on a slow figure.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_shop import (  # noqa: E402
    FRESH_SCRIPT,
    PRODUCT,
    FreshNotifications,
    checkout_flow,
    replay_script,
    returning_buyer,
)
from bench_support import (  # noqa: E402
    CONNECTIONS,
    HOST,
    ROOT,
    WORKERS,
    Servers,
    clean_env,
    flask,
    free_port,
    fresh_database,
    gunicorn,
    machine,
    shop_env,
    worker_rss_mb,
    wrk,
)

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WARMUP_SECONDS = 2
NEW_ORDERS = int(os.environ.get("BENCH_NEW_ORDERS", "40000"))
SCENARIOS = ("catalog", "product", "cart", "notification", "notification_new", "checkout_flow")
CEILINGS = ("ceiling", "write_ceiling")
CHOSEN = [name.strip() for name in os.environ.get("BENCH_SCENARIOS", "").split(",")
          if name.strip()] or list(SCENARIOS)
WITHOUT = os.environ.get("BENCH_WITHOUT", "")
PAGES = ("catalog", "product", "cart")
COMPARED = (*PAGES, "notification")  # the scenarios measured on both shops for BENCH_WITHOUT
# The write ceiling's table (scripts/bench_write.py): one row per request.
CREATE_TABLE = ("CREATE TABLE bench_write (id bigserial PRIMARY KEY, "
                "written_at timestamptz NOT NULL DEFAULT now(), body text NOT NULL)")


@dataclass
class Target:
    url: str
    script: Path | None = None
    headers: list[str] = field(default_factory=list)
    fresh: FreshNotifications | None = None

    def run(self, seconds: float) -> dict:
        result = wrk(self.url, seconds, self.script,
                     self.fresh.args() if self.fresh else None, self.headers)
        if self.fresh:
            self.fresh.record(result["stdout"])
        return result


def in_turns(targets: dict[str, Target]) -> dict[str, dict]:
    """Measure every target ROUNDS times, taking turns; the median of each figure."""
    for target in targets.values():
        target.run(WARMUP_SECONDS)
    rounds: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, target in targets.items():
            rounds[name].append(target.run(SECONDS))
    results = {}
    for name, runs in rounds.items():
        result = {key: statistics.median(run[key] for run in runs)
                  for key in ("rps", "p50_ms", "p99_ms")}
        result["rounds"] = [run["rps"] for run in runs]
        if errors := [run["errors"] for run in runs if "errors" in run]:
            result["errors"] = "; ".join(errors)
        results[name] = result
    return results


def verdicts(report: dict[str, dict]) -> list[str]:
    """Each target of the README, met or not, in this run's figures."""
    def ratio(name: str, key: str = "ratio_to_ceiling") -> float | None:
        return report.get(name, {}).get(key)

    lines = []

    def check(label: str, value: float | None, ok: bool) -> None:
        if value is not None:
            lines.append(f"  {'met' if ok else 'NOT met':<8} {label}: {value}")

    new = ratio("notification_new", "ratio_to_write_ceiling")
    check("notification_new >= 0.5 of write_ceiling", new, new is not None and new >= 0.5)
    for name, floor in (("product", 0.25), ("cart", 0.25), ("catalog", 0.5),
                        ("notification", 0.35)):
        value = ratio(name)
        check(f"{name} >= {floor} of ceiling", value, value is not None and value >= floor)
    for name in [n for n in (*PAGES, "notification", "notification_new") if n in report]:
        p99 = report[name]["p99_ms"]
        check(f"{name} p99 < 100 ms", p99, p99 < 100)
    rss = max((r["worker_rss_mb"] for n, r in report.items() if n not in CEILINGS), default=None)
    check("largest shop worker < 100 MB", rss, rss is not None and rss < 100)
    return lines


def plenty_of_stock(database: str | None, sqlite_file: Path) -> None:
    """A sale's worth of stock: every counted good gets a million units, so that tens of
    thousands of paid orders keep taking stock (the real work of each payment) and the
    product and cart pages keep offering the goods until the end."""
    update = "UPDATE product SET stock = 1000000 WHERE stock IS NOT NULL"
    if database is None:
        with sqlite3.connect(sqlite_file) as conn:
            conn.execute(update)
        return
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(update)


def main() -> int:
    if unknown := set(CHOSEN) - set(SCENARIOS):
        raise SystemExit(f"bench: unknown scenario(s) {sorted(unknown)}; known: {SCENARIOS}")
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        servers = stack.enter_context(Servers(workdir))
        sandbox_port, shop_port, hello_port, write_port = (free_port() for _ in range(4))
        sandbox, shop = f"http://{HOST}:{sandbox_port}", f"http://{HOST}:{shop_port}"
        config = workdir / "sandbox.json"
        config.write_text(json.dumps({"rate_limit": {"enabled": False}}))
        base_env = clean_env()
        servers.start("sandbox", [sys.executable, "-m", "sandbox", "--port", str(sandbox_port),
                                  "--state", str(workdir / "sandbox.sqlite3"), "--reset",
                                  "--config", str(config), "--log-level", "WARNING"],
                      dict(base_env, SANDBOX_NOTIFY_MODE="fast"), f"{sandbox}/_sandbox/health")
        database = fresh_database(stack)
        chosen = list(CHOSEN)
        if WITHOUT:
            chosen = [name for name in chosen if name in COMPARED]
        if database is None:
            print("bench: using SQLite; notification_new and write_ceiling need PostgreSQL")
            chosen = [name for name in chosen if name != "notification_new"]
        env = shop_env(base_env, database or f"sqlite:///{workdir / 'shop.db'}", shop,
                       shop_port, sandbox)
        flask(env, "db", "upgrade")
        flask(env, "seed")
        plenty_of_stock(database, workdir / "shop.db")
        fresh = None
        if "notification_new" in chosen:
            fresh = FreshNotifications(database, NEW_ORDERS, workdir)
        shop_app = ["--pythonpath", str(ROOT / "scripts"), "bench_app:app"]
        shop_pid = servers.start("shop", gunicorn(shop_port, *shop_app),
                                 dict(env, BENCH_WITHOUT=""), f"{shop}/healthz")
        if WITHOUT:
            without_port = free_port()
            without = f"http://{HOST}:{without_port}"
            without_pid = servers.start(
                "shop_without", gunicorn(without_port, *shop_app),
                dict(env, BENCH_WITHOUT=WITHOUT, STOREFRONT_PORT=str(without_port),
                     STOREFRONT_PUBLIC_URL=without), f"{without}/healthz")
        ceilings = {"ceiling": servers.start(
            "ceiling", gunicorn(hello_port, "--chdir", str(ROOT / "scripts"), "bench_hello:app"),
            base_env, f"http://{HOST}:{hello_port}/")}
        if database is not None:
            with psycopg.connect(database, autocommit=True) as conn:
                conn.execute(CREATE_TABLE)
            ceilings["write_ceiling"] = servers.start(
                "write_ceiling",
                gunicorn(write_port, "--chdir", str(ROOT / "scripts"), "bench_write:app"),
                dict(base_env, BENCH_WRITE_DATABASE_URL=database),
                f"http://{HOST}:{write_port}/")

        print(f"bench: {machine()}; {WORKERS} gunicorn workers; {CONNECTIONS} connections; "
              f"{ROUNDS} rounds of {SECONDS:g} s per scenario"
              + (f"; without {WITHOUT}" if WITHOUT else ""))
        cookie = [f"Cookie: {returning_buyer(shop)}"]
        targets: dict[str, Target] = {
            "ceiling": Target(f"http://{HOST}:{hello_port}/"),
            "catalog": Target(f"{shop}/"),
            "product": Target(f"{shop}/products/{PRODUCT}", headers=cookie),
            "cart": Target(f"{shop}/cart", headers=cookie),
        }
        if "write_ceiling" in ceilings:
            targets["write_ceiling"] = Target(f"http://{HOST}:{write_port}/")
        if "notification" in chosen:
            targets["notification"] = Target(f"{shop}/invoicebox/notification",
                                              replay_script(shop, sandbox, workdir))
        if fresh is not None:
            targets["notification_new"] = Target(f"{shop}/invoicebox/notification",
                                                  FRESH_SCRIPT, fresh=fresh)
        targets = {name: target for name, target in targets.items()
                   if name in CEILINGS or name in chosen}
        if WITHOUT:
            for name in chosen:
                targets[f"{name}_without"] = Target(
                    targets[name].url.replace(shop, without, 1), targets[name].script,
                    targets[name].headers)
        results = in_turns(targets)
        for name in results:
            pid = without_pid if name.endswith("_without") else ceilings.get(name, shop_pid)
            results[name]["worker_rss_mb"] = worker_rss_mb(pid)
        if fresh is not None and (problem := fresh.verify()):
            results["notification_new"]["errors"] = problem
        if "checkout_flow" in chosen:
            results["checkout_flow"] = checkout_flow(shop, SECONDS * ROUNDS)
            results["checkout_flow"]["worker_rss_mb"] = worker_rss_mb(shop_pid)

    ceiling = results["ceiling"]["rps"]
    write_ceiling = results.get("write_ceiling", {}).get("rps")
    for result in results.values():
        result["ratio_to_ceiling"] = round(result["rps"] / ceiling, 3) if ceiling else 0.0
    if "notification_new" in results and write_ceiling:
        results["notification_new"]["ratio_to_write_ceiling"] = round(
            results["notification_new"]["rps"] / write_ceiling, 3)
    order = [name for scenario in SCENARIOS for name in (scenario, f"{scenario}_without")]
    report = {name: results[name] for name in [*order, *CEILINGS] if name in results}
    complete = len(report) == len(SCENARIOS) + len(CEILINGS) and not WITHOUT
    if complete:
        (ROOT / "bench-results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'scenario':<22}{'rps':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}{'RSS MB':>9}")
    for name, r in report.items():
        ratio = r.get("ratio_to_write_ceiling", r["ratio_to_ceiling"])
        print(f"{name:<22}{r['rps']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}{ratio:>8}"
              f"{r['worker_rss_mb']:>9}" + (f"   ({r['errors']})" if r.get("errors") else ""))
    print("(ratio: to the ceiling; notification_new's to the write ceiling)")
    if WITHOUT:
        print(f"\nwhat {WITHOUT} gains (requests per second with it / without it):")
        for name in [n for n in COMPARED if f"{n}_without" in report]:
            on, off = report[name], report[f"{name}_without"]
            print(f"  {name:<14} x{on['rps'] / off['rps']:.2f}  ({on['rps']} vs {off['rps']} "
                  f"req/s; p50 {on['p50_ms']} vs {off['p50_ms']} ms)")
    print("\ntargets:\n" + "\n".join(verdicts(report)))
    if complete:
        print(f"written: {ROOT / 'bench-results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
