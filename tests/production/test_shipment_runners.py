"""Two reconcile runners at once, on PostgreSQL: the shipments of each order are read from
Invoicebox once, each runner claiming them with a lease on the shipment rows.

A module of its own, so that no other test's shipments are due while the runners work and
the sandbox's counters count exactly this test's reads.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import Order, Shipment, now_utc

from .flows import paid_order
from .reconcile_runs import two_runners

pytestmark = pytest.mark.postgres

ORDERS = 6
SHIPMENT_READS = "GET /v3/filter/api/order/shipment"


def statuses(shop, numbers: list[str]) -> list[str]:
    with shop.app.app_context():
        return list(db.session.execute(
            db.select(Shipment.status).join(Order, Shipment.order_id == Order.id)
            .where(Order.number.in_(numbers))).scalars())


def test_two_runners_at_once_read_each_orders_shipments_once(live_shop):
    placed = [paid_order(live_shop, [("ethiopia-yirgacheffe-250", 1)]) for _ in range(ORDERS)]
    staff = live_shop.staff_browser()
    for each in placed:
        answer = staff.post(f"/staff/orders/{each.number}/ship",
                            data=staff.ship_form(each.number, {"CB-ETH-250": 1}))
        assert answer.status_code == 302
    numbers = [p.number for p in placed]
    # The sandbox completes them on its clock; the shop has not read them since.
    deadline = time.monotonic() + 30
    while any(s["status"] != "completed" for p in placed for s in live_shop.sandbox.get(
            f"api/shipments?orderId={p.invoicebox_id}")["data"]):
        assert time.monotonic() < deadline, "the sandbox did not complete the shipments"
        time.sleep(0.3)
    with live_shop.app.app_context():
        db.session.execute(db.update(Shipment).values(
            created_at=now_utc() - timedelta(hours=1), checked_at=None))
        db.session.commit()
    assert set(statuses(live_shop, numbers)) == {"draft"}
    live_shop.sandbox.control("api/counters/clear")
    live_shop.sandbox.scenario("api_timeout", count=ORDERS, seconds=0.5, method="GET",
                               path="/filter/api/order/shipment")

    with two_runners(live_shop, STOREFRONT_RECONCILE_BATCH="2"):
        deadline = time.monotonic() + 60
        while set(statuses(live_shop, numbers)) != {"completed"}:
            assert time.monotonic() < deadline, "the runners did not complete every shipment"
            time.sleep(0.2)
        time.sleep(2)  # a further pass each: nothing is due, so nothing is read again

    assert live_shop.sandbox.get("api/counters").get(SHIPMENT_READS) == ORDERS
