"""The shop's side of ``make bench``: buyers over plain HTTP, and signed notifications.

* :func:`buy`, :func:`checkout_flow`: a buyer fills a cart, checks out and pays at the
  sandbox, as a browser would.
* :func:`returning_buyer`: the session cookie of a buyer with a cart.
* :func:`replay_script`: a wrk script sending notifications of real, mostly paid orders
  (after the first round, all are replays).
* :class:`FreshNotifications`: one signed ``completed`` notification per unpaid order,
  prepared in the database (``synthetic_orders.py``), for wrk to send each once.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests
import synthetic_orders
from bench_support import CONNECTIONS, DEMO, hidden

from storefront.invoicebox import InvoiceboxClient, gateway_json, sign

PRODUCT = "french-press-350"
BUYER = {"customer_type": "private", "full_name": "Мария Иванова",
         "email": "bench@example.ru", "phone": "+7 900 555-01-02", "consent": "y"}
FRESH_SCRIPT = Path(__file__).with_name("bench_notify_fresh.lua")


def buy(shop: str, pay: bool = True) -> tuple[str, str]:
    """Fill a cart, check out, and (optionally) press Pay; returns (public token, paymentUrl)."""
    http = requests.Session()
    http.headers["Accept-Language"] = "ru"  # the shop's first language; the scenario says so
    page = http.get(f"{shop}/products/{PRODUCT}", timeout=30).text
    http.post(f"{shop}/cart/add", data={"product": PRODUCT, "quantity": 1,
                                        "csrf_token": hidden(page, "csrf_token")}, timeout=30)
    page = http.get(f"{shop}/checkout", timeout=30).text
    form = dict(BUYER, csrf_token=hidden(page, "csrf_token"),
                checkout_token=hidden(page, "checkout_token"))
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


def checkout_flow(shop: str, seconds: float) -> dict:
    """16 buyers, each buying, paying and waiting for "paid" again and again."""
    durations: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

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


def returning_buyer(shop: str) -> str:
    """The ``Cookie`` header of a buyer who has one product in the cart.

    The buyer has seen a product page (a CSRF token in the session), added the product,
    and seen the cart (which used up the flash message), so every later page reads this
    session and changes nothing in it.
    """
    http = requests.Session()
    page = http.get(f"{shop}/products/{PRODUCT}", timeout=30).text
    http.post(f"{shop}/cart/add", data={"product": PRODUCT, "quantity": 1,
                                        "csrf_token": hidden(page, "csrf_token")}, timeout=30)
    http.get(f"{shop}/cart", timeout=30)
    cookie = f"session={http.cookies['session']}"
    check = requests.get(f"{shop}/cart", headers={"Cookie": cookie}, timeout=30)
    if "Set-Cookie" in check.headers or PRODUCT not in check.text:
        raise SystemExit("bench: the returning buyer's cart page did not read as expected")
    return cookie


def replay_script(shop: str, sandbox: str, workdir: Path) -> Path:
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
    print(f"bench: {len(bodies)} signed notifications prepared for the replay scenario")
    return script


class FreshNotifications:
    """Unpaid orders made in the database, and a file of their signed notifications.

    wrk (``bench_notify_fresh.lua``) walks the file; each run starts where the last one
    stopped, so every body is sent once, and each is a real paid transition.
    """

    def __init__(self, database_url: str, count: int, workdir: Path) -> None:
        self.database_url = database_url
        self.file = workdir / "fresh-notifications.tsv"
        self.first = self.sent = self.dry = self.runs = 0
        started = time.monotonic()
        with psycopg.connect(database_url, autocommit=True) as conn:
            with synthetic_orders.indexes_rebuilt(conn):
                self.ids = synthetic_orders.load_orders(
                    conn, count, mix="unpaid", days=1, merchant_id=DEMO["merchant_id"])
            synthetic_orders.vacuum_analyze(conn)
            bodies = synthetic_orders.notification_bodies(conn, self.ids, DEMO["merchant_id"])
        with self.file.open("w", encoding="utf-8") as out:
            for body in bodies:
                out.write(f"{sign(body, DEMO['notification_key'])}\t{body.decode()}\n")
        self.count = len(bodies)
        print(f"bench: {self.count} unpaid orders and their signed notifications prepared "
              f"in {time.monotonic() - started:.0f} s")

    def args(self) -> list[str]:
        return [str(self.file), str(self.first), "2"]  # wrk runs two threads

    def record(self, wrk_stdout: str) -> None:
        found = re.search(r"^bench-sent: (\d+) (\d+) (\d+)$", wrk_stdout, re.M)
        if not found:
            raise SystemExit("bench: the notification_new script reported nothing")
        sent, self.first, dry = (int(g) for g in found.groups())
        self.sent += sent
        self.dry += dry
        self.runs += 1

    def verify(self) -> str | None:
        """None if every body sent made its order paid, exactly once; else what went wrong."""
        time.sleep(2)  # the last requests of the last run may still be committing
        with psycopg.connect(self.database_url) as conn:
            paid, applied = conn.execute("""
                SELECT count(*) FILTER (WHERE o.status = 'paid'),
                       (SELECT count(*) FROM notification n
                        WHERE n.order_id BETWEEN %(first)s AND %(last)s AND n.applied)
                FROM "order" o WHERE o.id BETWEEN %(first)s AND %(last)s
            """, {"first": self.ids.start, "last": self.ids.stop - 1}).fetchone()
        print(f"bench: notification_new sent {self.sent} bodies in {self.runs} wrk runs; "
              f"{paid} orders are paid, {applied} notifications applied")
        problems = []
        if self.dry:
            problems.append(f"ran out of prepared orders ({self.dry} requests were replays); "
                            "raise BENCH_NEW_ORDERS")
        # wrk closes its connections when time is up: a request still unread by the shop
        # then is lost with its connection, up to one per connection and run.
        lost = self.sent - paid
        if not 0 <= lost <= CONNECTIONS * self.runs or applied != paid:
            problems.append(f"{self.sent} sent but {paid} paid and {applied} applied")
        return "; ".join(problems) or None
