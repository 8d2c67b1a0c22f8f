"""Two reconcile runners at once, on PostgreSQL: each payment is read from Invoicebox once.

A module of its own, so that no other test's payments are due while the runners work and
the sandbox's counters count exactly this test's reads.
"""

from __future__ import annotations

import time

import pytest

from .flows import order_status, place_order
from .reconcile_runs import drop_notifications, make_overdue, two_runners

pytestmark = pytest.mark.postgres

ORDERS = 8
ORDER_READS = "GET /v3/filter/api/order/order"


def test_two_runners_at_once_read_each_payment_once(live_shop):
    placed = [place_order(live_shop, [("ethiopia-yirgacheffe-250", 1)]) for _ in range(ORDERS)]
    for each in placed:
        drop_notifications(live_shop, each)
        live_shop.sandbox.control(f"orders/{each.invoicebox_id}/pay")
        make_overdue(live_shop, each.number)
    live_shop.sandbox.control("api/counters/clear")
    # Each read takes a moment, so that one runner claims while the other is reading.
    live_shop.sandbox.scenario("api_timeout", count=ORDERS, seconds=0.5, method="GET",
                               path="/filter/api/order/order")

    # Small batches: both runners have several passes' work.
    with two_runners(live_shop, STOREFRONT_RECONCILE_BATCH="3") as outputs:
        deadline = time.monotonic() + 60
        while any(order_status(live_shop, p.number) != "paid" for p in placed):
            assert time.monotonic() < deadline, "the runners did not pay every order"
            time.sleep(0.2)
        time.sleep(2)  # a further pass each: nothing is due, so nothing is read again

    assert live_shop.sandbox.get("api/counters").get(ORDER_READS) == ORDERS
    read = [sum(int(line.split("reconcile pass: ")[1].split()[0])
                for line in output.splitlines() if "reconcile pass: " in line)
            for output in outputs]
    assert sum(read) == ORDERS, outputs
