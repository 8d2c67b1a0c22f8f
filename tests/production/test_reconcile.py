"""Unattended reconciliation: what the shop learns with nobody clicking.

Each test runs ``flask invoicebox reconcile`` as its own process against the live shop's
PostgreSQL database and the sandbox, as cron or a systemd timer runs it in production.
"""

from __future__ import annotations

import time

import pytest

from storefront.extensions import db
from storefront.models import Payment, now_utc

from .flows import order_record, paid_order, place_order
from .reconcile_runs import drop_notifications, make_overdue, payment_of, reconcile

pytestmark = pytest.mark.postgres

COFFEE = ("ethiopia-yirgacheffe-250", "CB-ETH-250", 89000)
ORDER_READS = "GET /v3/filter/api/order/order"


def test_a_notification_lost_for_good_is_paid_by_the_next_pass(live_shop):
    placed = place_order(live_shop, [(COFFEE[0], 1)])
    drop_notifications(live_shop, placed)
    paid = live_shop.sandbox.control(f"orders/{placed.invoicebox_id}/pay")
    assert [n["state"] for n in paid["notifications"]] == ["dropped"]
    time.sleep(1)  # the sandbox would have delivered it by now: it did not
    assert order_record(live_shop, placed.number)["status"] == "awaiting_payment"

    # Within the grace period the pass leaves the payment to its notification...
    output = reconcile(live_shop)
    assert "reconcile pass: 0 payment(s) read" in output
    assert order_record(live_shop, placed.number)["status"] == "awaiting_payment"
    # ...and once it is over, reads it and applies it as the notification would have.
    make_overdue(live_shop, placed.number)
    output = reconcile(live_shop)
    assert "reconcile pass: 1 payment(s) read, 1 changed" in output
    record = order_record(live_shop, placed.number)
    assert record["status"] == "paid"
    assert record["payments"] == [(1, placed.invoicebox_id, "completed", True)]
    assert record["events"].count("paid") == 1
    payment = payment_of(live_shop, placed.number)
    assert payment.checked_by == "reconcile"
    assert (payment.lease_owner, payment.lease_until) == (None, None)
    staff_page = live_shop.staff_browser().page(f"/staff/orders/{placed.number}")
    assert "Last checked" in staff_page and "by reconciliation" in staff_page


def test_a_429_slows_the_pass_and_loses_nothing(live_shop):
    placed = place_order(live_shop, [(COFFEE[0], 1)])
    drop_notifications(live_shop, placed)
    live_shop.sandbox.control(f"orders/{placed.invoicebox_id}/pay")
    make_overdue(live_shop, placed.number)
    # Four 429s: the client's own three attempts, then once more after the runner's
    # back-off; each says "Retry-After: 1".
    live_shop.sandbox.scenario("api_429", count=4, seconds=1, method="GET",
                               path="/filter/api/order/order")
    started = time.monotonic()
    output = reconcile(live_shop)
    assert time.monotonic() - started >= 3  # waited out every Retry-After
    assert "rate-limited by Invoicebox; waiting 1.0 s" in output
    assert "1 changed; " in output and "1 back-off(s)" in output
    assert order_record(live_shop, placed.number)["status"] == "paid"
    assert [s for s in live_shop.sandbox.get("scenarios")["data"]
            if s["name"] == "api_429"] == []  # every 429 was met


def test_an_expired_attempt_is_read_once_more_and_closed(live_shop):
    placed = place_order(live_shop, [(COFFEE[0], 1)])
    drop_notifications(live_shop, placed)
    live_shop.sandbox.control(f"orders/{placed.invoicebox_id}/expire")
    with live_shop.app.app_context():
        db.session.execute(db.update(Payment).where(
            Payment.invoicebox_order_id == placed.invoicebox_id).values(expires_at=now_utc()))
        db.session.commit()
    # Well within the grace period since it was created: only its deadline makes it due.
    output = reconcile(live_shop, STOREFRONT_RECONCILE_GRACE_SECONDS="3600")
    assert "reconcile pass: 1 payment(s) read, 1 changed" in output
    record = order_record(live_shop, placed.number)
    assert record["status"] == "expired"
    assert record["payments"] == [(1, placed.invoicebox_id, "expired", False)]
    # Read once after its deadline: the next pass leaves it alone (it is closed anyway).
    assert "reconcile pass: 0 payment(s) read" in reconcile(
        live_shop, STOREFRONT_RECONCILE_GRACE_SECONDS="3600")


def test_a_refund_reaches_completed_with_no_click(live_shop):
    slug, sku, _ = COFFEE
    placed = paid_order(live_shop, [(slug, 2)])
    staff = live_shop.staff_browser()
    answer = staff.post(f"/staff/orders/{placed.number}/refund",
                        data=staff.refund_form(placed.number, quantities={sku: 1}))
    assert answer.status_code == 302
    assert order_record(live_shop, placed.number)["refunds"][0][1] == "created"
    # The sandbox completes it a second later and tells nobody.
    deadline = time.monotonic() + 20
    while live_shop.sandbox.get(f"api/refunds?parentId={placed.invoicebox_id}")[
            "data"][0]["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert order_record(live_shop, placed.number)["refunds"][0][1] == "created"

    output = reconcile(live_shop, STOREFRONT_RECONCILE_GRACE_SECONDS="0")
    assert "1 order(s) with open refunds read, 1 changed" in output
    record = order_record(live_shop, placed.number)
    assert record["refunds"][0][1] == "completed"
    assert "refund_completed" in record["events"]
    assert record["status"] == "partially_refunded"
