"""Cost as the data grows: ``make bench-scale``.

For each size (10 000, 100 000 and 1 000 000 orders; ``BENCH_SCALE_SIZES=10000,100000``
for a quicker look), in a PostgreSQL database of its own (at ``BENCH_DATABASE_URL``'s
server, dropped afterwards):

1. the order tables are emptied and that many orders bulk-loaded in SQL, with the
   realistic mix of ``synthetic_orders.py`` (lines, payments, notifications, events,
   gateway calls, refunds), the indexes built after the load, then ``VACUUM ANALYZE``;
2. the shop starts under gunicorn (2 workers, as ``make serve``) and each path below is
   requested 20 times in a row, after 2 requests that are not counted, and the median
   time of the 20 is kept (milliseconds, measured by the client over loopback):

   * ``staff_list_first``, ``staff_list_last``: the orders list's first and last page;
   * ``staff_search_number``, ``staff_search_email_exact``: a whole order number, a
     whole e-mail (20 different orders from all over the table);
   * ``staff_search_email_partial``: a part of an e-mail, the local part without its
     first two letters (``ria.petrov123`` of ``maria.petrov123@mail.ru``);
   * ``staff_order``: the staff page of a refunded order (with its refund and lines);
   * ``notification_new``: a signed ``completed`` notification for an order awaiting
     payment, each for another order, each a real paid transition.

It prints a table and writes ``bench-scale.json``:
``{"sizes": [...], "paths": {NAME: {"10000": median_ms, ...}}}``. The targets (see the
README): every path under 50 ms at a million orders, none growing more than 3 times from
the smallest size to the largest. This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psycopg
import requests
import synthetic_orders
from bench_support import (
    DEMO,
    HOST,
    ROOT,
    WORKERS,
    Servers,
    clean_env,
    flask,
    free_port,
    fresh_database,
    gunicorn,
    hidden,
    machine,
    shop_env,
)

from storefront.invoicebox import sign

SIZES = [int(size) for size in os.environ.get("BENCH_SCALE_SIZES", "10000,100000,1000000")
         .split(",") if size.strip()]
REQUESTS = 20
WARMUP = 2
PATHS = ("staff_list_first", "staff_list_last", "staff_search_number",
         "staff_search_email_exact", "staff_search_email_partial", "staff_order",
         "notification_new")
STAFF = ("bench@example.ru", secrets.token_urlsafe(12))
TARGET_MS, TARGET_GROWTH = 50.0, 3.0
UNREACHABLE = "http://127.0.0.1:9"  # no page measured here calls Invoicebox


def load(database: str, size: int) -> str:
    """Empty the order tables and load ``size`` orders; a line saying what it took."""
    started = time.monotonic()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in synthetic_orders.TABLES)
                     + " RESTART IDENTITY CASCADE")
        with synthetic_orders.indexes_rebuilt(conn):
            loaded = time.monotonic()
            synthetic_orders.load_orders(conn, size, merchant_id=DEMO["merchant_id"])
            inserted = time.monotonic()
        indexed = time.monotonic()
        synthetic_orders.vacuum_analyze(conn)
        rows = synthetic_orders.summary(conn)
    done = time.monotonic()
    return (f"{size:,} orders: inserted in {inserted - loaded:.0f} s, indexed in "
            f"{indexed - inserted:.0f} s, vacuumed in {done - indexed:.0f} s "
            f"(total {done - started:.0f} s); rows: "
            + ", ".join(f"{table} {count:,}" for table, count in rows.items()))


def samples(database: str, count: int) -> dict[str, list]:
    """Orders to ask about, spread over the whole table (the same ones for every run)."""
    with psycopg.connect(database) as conn:
        def pick(where: str) -> list[tuple]:
            return conn.execute(
                f'SELECT id, number, customer_email FROM "order" WHERE {where} '
                "ORDER BY md5(id::text) LIMIT %s", (count,)).fetchall()

        anyone = pick("true")
        refunded = pick("status IN ('refunded', 'partially_refunded')")
        unpaid = pick("status = 'awaiting_payment'")
        bodies = synthetic_orders.notification_bodies(
            conn, [row[0] for row in unpaid], DEMO["merchant_id"])
    return {
        "numbers": [row[1] for row in anyone],
        "emails": [row[2] for row in anyone],
        "partials": [row[2].split("@")[0][2:] for row in anyone],
        "refunded": [row[1] for row in refunded],
        "bodies": bodies,
    }


def signed_in(shop: str) -> requests.Session:
    http = requests.Session()
    http.headers["Accept-Language"] = "en"  # the checks below read the English pages
    page = http.get(f"{shop}/staff/login", timeout=30).text
    answer = http.post(f"{shop}/staff/login", allow_redirects=False, timeout=30, data={
        "email": STAFF[0], "password": STAFF[1], "csrf_token": hidden(page, "csrf_token")})
    if answer.status_code != 302:
        raise SystemExit(f"bench-scale: signing in answered {answer.status_code}")
    return http


def median_ms(send: Callable[[int], requests.Response], check: Callable[[requests.Response],
              bool]) -> float:
    """Median of REQUESTS timed calls of ``send(i)``, after WARMUP untimed ones."""
    times = []
    for i in range(WARMUP + REQUESTS):
        started = time.perf_counter()
        response = send(i)
        elapsed = (time.perf_counter() - started) * 1000
        if not check(response):
            raise SystemExit(f"bench-scale: {response.request.method} {response.url} answered "
                             f"{response.status_code}: {response.text[:200]}")
        if i >= WARMUP:
            times.append(elapsed)
    return round(statistics.median(times), 2)


def measure(shop: str, picked: dict[str, list]) -> dict[str, float]:
    staff = signed_in(shop)
    machine_client = requests.Session()

    def page(path: str, **params: str) -> requests.Response:
        return staff.get(f"{shop}{path}", params=params, timeout=60, allow_redirects=False)

    def listed(response: requests.Response) -> bool:
        return response.status_code == 200 and "/staff/orders/" in response.text

    def notify(i: int) -> requests.Response:
        body = picked["bodies"][i]
        return machine_client.post(f"{shop}/invoicebox/notification", data=body, timeout=60,
                                   headers={"Content-Type": "application/json",
                                            "X-Signature": sign(body, DEMO["notification_key"])})

    return {
        "staff_list_first": median_ms(lambda i: page("/staff/orders"), listed),
        "staff_list_last": median_ms(lambda i: page("/staff/orders", oldest="1"), listed),
        "staff_search_number": median_ms(
            lambda i: page("/staff/orders", q=picked["numbers"][i]), listed),
        "staff_search_email_exact": median_ms(
            lambda i: page("/staff/orders", q=picked["emails"][i]), listed),
        "staff_search_email_partial": median_ms(
            lambda i: page("/staff/orders", q=picked["partials"][i]), listed),
        "staff_order": median_ms(
            lambda i: page(f"/staff/orders/{picked['refunded'][i]}"),
            lambda r: r.status_code == 200 and "<h2>Refunds</h2>" in r.text
            and "No refunds." not in r.text),
        "notification_new": median_ms(
            notify, lambda r: r.status_code == 200 and r.json() == {"status": "success"}),
    }


def paid_by_notifications(database: str, bodies: list[bytes]) -> int:
    ids = [json.loads(body)["id"] for body in bodies]
    with psycopg.connect(database) as conn:
        return conn.execute(
            "SELECT count(*) FROM payment WHERE invoicebox_order_id = ANY(%s) "
            "AND status = 'completed'", (ids,)).fetchone()[0]


def report(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    print(f"\n{'path':<28}" + "".join(f"{size:>12,}" for size in sizes) + f"{'growth':>9}")
    for path in PATHS:
        values = [results[size][path] for size in sizes]
        growth = values[-1] / values[0] if values[0] else 0.0
        print(f"{path:<28}" + "".join(f"{value:>12}" for value in values) + f"{growth:>8.1f}x")
    largest = sizes[-1]
    slow = [p for p in PATHS if results[largest][p] >= TARGET_MS]
    steep = [p for p in PATHS if results[largest][p] > TARGET_GROWTH * results[sizes[0]][p]]
    print(f"\ntargets at {largest:,} orders: every path under {TARGET_MS:g} ms: "
          + ("met" if not slow else "NOT met by " + ", ".join(slow))
          + f"; none growing more than {TARGET_GROWTH:g}x from {sizes[0]:,}: "
          + ("met" if not steep else "NOT met by " + ", ".join(steep)))


def main() -> int:
    results: dict[int, dict[str, float]] = {}
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scale-")))
        servers = stack.enter_context(Servers(workdir))
        database = fresh_database(stack, prefix="storefront_scale")
        if database is None:
            raise SystemExit("bench-scale: needs PostgreSQL (BENCH_DATABASE_URL)")
        port = free_port()
        shop = f"http://{HOST}:{port}"
        env = shop_env(clean_env(), database, shop, port, UNREACHABLE)
        flask(env, "db", "upgrade")
        flask(env, "seed")
        flask(env, "staff", "create", STAFF[0], "--password", STAFF[1])
        print(f"bench-scale: {machine()}; {WORKERS} gunicorn workers; sizes {SIZES}; "
              f"{REQUESTS} sequential requests per path (after {WARMUP} not counted)")
        for size in SIZES:
            print(f"bench-scale: {load(database, size)}", flush=True)
            picked = samples(database, WARMUP + REQUESTS)
            pid = servers.start(f"shop-{size}", gunicorn(port), env, f"{shop}/healthz")
            try:
                results[size] = measure(shop, picked)
            finally:
                servers.stop(pid)
            if (paid := paid_by_notifications(database, picked["bodies"])) != len(
                    picked["bodies"]):
                raise SystemExit(f"bench-scale: {paid} of {len(picked['bodies'])} "
                                 "notified orders are paid")
            print(f"bench-scale: {size:,}: " + ", ".join(
                f"{path} {ms} ms" for path, ms in results[size].items()), flush=True)
    report(results)
    if SIZES == [10_000, 100_000, 1_000_000]:
        document = {"sizes": SIZES, "paths": {
            path: {str(size): results[size][path] for size in SIZES} for path in PATHS}}
        (ROOT / "bench-scale.json").write_text(json.dumps(document, indent=2) + "\n")
        print(f"written: {ROOT / 'bench-scale.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
