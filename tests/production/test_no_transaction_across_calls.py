"""No database transaction waits on Invoicebox.

Every call to the gateway (checkout, pay again, status sync, cancel, refund, ship) is made with no
transaction open: the intent is committed first and the answer applied in a new short
transaction. Here the sandbox takes a few seconds over the call being tested while the
shop's connections are watched in ``pg_stat_activity``: none may sit ``idle in
transaction`` meanwhile. Terminating every connection of the shop in the middle of the wait
must cost nothing either: the request finishes as if it had not happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
import requests

from tests.support.shop import csrf_token

from .flows import order_record, paid_order, place_order
from .live import ProductionShop

pytestmark = pytest.mark.postgres

SLOW = 2.5  # seconds the sandbox takes over the call under test
IDLE_LIMIT = 0.5  # longer than any of the shop's own short transactions takes


class TransactionWatch:
    """Samples the shop database's backends; remembers any idle in a transaction too long."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.seen: list[tuple] = []
        self.pid: int | None = None  # the watcher's own connection, spared by terminate_all
        self._stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            self.pid = conn.info.backend_pid
            self.ready.set()
            while not self._stop.is_set():
                self.seen += conn.execute(
                    "SELECT pid, state, now() - state_change, left(query, 120)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
                    " AND now() - state_change > make_interval(secs => %s)", (IDLE_LIMIT,)
                ).fetchall()
                time.sleep(0.05)

    def terminate_all(self) -> int:
        """End every other connection to the shop's database; how many there were."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return len(conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND pid <> %s AND backend_type = 'client backend'", (self.pid,)).fetchall())

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def watched(shop: ProductionShop) -> Iterator[TransactionWatch]:
    watch = TransactionWatch(shop.database_url)
    thread = threading.Thread(target=watch.run, daemon=True)
    thread.start()
    assert watch.ready.wait(10), "the watcher could not connect"
    try:
        yield watch
    finally:
        watch.stop()
        thread.join(timeout=5)


def while_slow(shop: ProductionShop, method: str, path: str,
               request: Callable[[], requests.Response]) -> requests.Response:
    """Run ``request`` with the gateway slow on ``method path``; fail on any transaction
    left open meanwhile, and cut every database connection half-way through the wait."""
    shop.sandbox.scenario("api_timeout", count=1, seconds=SLOW, method=method, path=path)
    with watched(shop) as watch, ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(request)
        time.sleep(SLOW / 2)
        watch.terminate_all()
        answer = pending.result(timeout=60)
    assert watch.seen == [], f"idle in transaction while Invoicebox was slow: {watch.seen[:1]}"
    assert answer.status_code < 500, (answer.status_code, shop.log_tail(40))
    return answer


def test_checkout(live_shop):
    browser = live_shop.browser()
    form = browser.checkout_form([("colombia-drip-bags-10", 1)])
    answer = while_slow(live_shop, "POST", "/billing/api/order/order",
                        lambda: browser.post("/checkout", data=form))
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(live_shop.sandbox.url)


def test_pay_again_after_expiry(live_shop):
    placed = place_order(live_shop, [("demerara-sugar-500", 1)])
    live_shop.sandbox.control(f"orders/{placed.invoicebox_id}/expire")
    browser = live_shop.browser()
    data = {"csrf_token": csrf_token(browser.page(f"/orders/{placed.public_token}"))}
    answer = while_slow(live_shop, "GET", "/filter/api/order/order",
                        lambda: browser.post(f"/orders/{placed.public_token}/pay", data=data))
    assert answer.status_code == 303
    [attempt_one, attempt_two] = order_record(live_shop, placed.number)["payments"]
    assert attempt_one[2] == "expired" and attempt_two[2] == "created"


def test_staff_sync(live_shop):
    placed = place_order(live_shop, [("demerara-sugar-500", 1)])
    live_shop.sandbox.scenario("notification_delay", count=1, seconds=600, path=live_shop.url)
    live_shop.sandbox.control(f"orders/{placed.invoicebox_id}/pay")
    staff = live_shop.staff_browser()
    page = staff.page(f"/staff/orders/{placed.number}")
    answer = while_slow(live_shop, "GET", "/filter/api/order/order",
                        lambda: staff.post(f"/staff/orders/{placed.number}/sync",
                                           data={"csrf_token": csrf_token(page),
                                                 "reason": "The buyer changed their mind"}))
    assert answer.status_code == 302
    assert order_record(live_shop, placed.number)["status"] == "paid"


def test_staff_cancel(live_shop):
    placed = place_order(live_shop, [("demerara-sugar-500", 1)])
    staff = live_shop.staff_browser()
    page = staff.page(f"/staff/orders/{placed.number}")
    answer = while_slow(live_shop, "DELETE", f"/order/{placed.invoicebox_id}",
                        lambda: staff.post(f"/staff/orders/{placed.number}/cancel",
                                           data={"csrf_token": csrf_token(page),
                                                 "reason": "The buyer changed their mind"}))
    assert answer.status_code == 302
    assert order_record(live_shop, placed.number)["status"] == "canceled"
    assert live_shop.sandbox.get(f"api/orders/{placed.invoicebox_id}")["status"] == "canceled"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/refund-basket-item"),
    ("POST", "/billing/api/order/refund-order"),
])
def test_staff_refund(live_shop, method, path):
    placed = paid_order(live_shop, [("demerara-sugar-500", 2)])
    staff = live_shop.staff_browser()
    form = staff.refund_form(placed.number, everything=True)
    answer = while_slow(live_shop, method, path,
                        lambda: staff.post(f"/staff/orders/{placed.number}/refund", data=form))
    assert answer.status_code == 302, answer.text[:500]
    record = order_record(live_shop, placed.number)
    assert [r[1] for r in record["refunds"]] == ["created"]
    assert record["status"] == "refunded"


@pytest.mark.parametrize("path", ["/billing/api/order/refund-order", "/correction-order"])
def test_staff_refund_keeping_a_fee(live_shop, path):
    placed = paid_order(live_shop, [("demerara-sugar-500", 2)])
    staff = live_shop.staff_browser()
    form = staff.refund_form(placed.number, everything=True)
    form.update(fee_amount="10", fee_reason="Restocking fee")
    answer = while_slow(live_shop, "POST", path,
                        lambda: staff.post(f"/staff/orders/{placed.number}/refund", data=form))
    assert answer.status_code == 302, answer.text[:500]
    record = order_record(live_shop, placed.number)
    assert [r[1] for r in record["refunds"]] == ["created"]
    assert record["events"][-3:] == ["refund_drafted", "status", "refund_created"]


def test_staff_ship(live_shop):
    placed = paid_order(live_shop, [("demerara-sugar-500", 2)])
    staff = live_shop.staff_browser()
    form = staff.ship_form(placed.number, {"SUG-DEM-500": 2})
    answer = while_slow(live_shop, "POST", "/billing/api/order/shipment",
                        lambda: staff.post(f"/staff/orders/{placed.number}/ship", data=form))
    assert answer.status_code == 302, answer.text[:500]
    [shipment] = live_shop.sandbox.get(
        f"api/shipments?orderId={placed.invoicebox_id}")["data"]
    assert [(i["sku"], i["quantity"]) for i in shipment["basketItems"]] == [("SUG-DEM-500", 2)]
