"""Reconciliation on SQLite (the demo's database), against a real sandbox process.

The shop's notification URL is a closed port here (``live.NOWHERE``): every notification
is lost, and only a pass of the runner tells the shop about a payment.
"""

from __future__ import annotations

import time
from datetime import timedelta

from storefront.budget import ACCOUNT_BUCKET, WINDOW_SECONDS
from storefront.extensions import db
from storefront.models import LookupCounter, Payment, now_utc
from storefront.payments.reconcile import run_pass

COFFEE = "CB-ETH-250"
ORDER_READS = "GET /v3/filter/api/order/order"


def overdue(shop, number: str) -> None:
    with shop.app.app_context():
        db.session.execute(db.update(Payment).where(
            Payment.merchant_order_id == f"{number}-1").values(
            created_at=now_utc() - timedelta(hours=1), checked_at=None))
        db.session.commit()


def spent(shop, hits: int) -> None:
    """Record ``hits`` requests in the account's current window (not about to end)."""
    if WINDOW_SECONDS - time.time() % WINDOW_SECONDS < 5:
        time.sleep(5)
    window = int(time.time()) // WINDOW_SECONDS * WINDOW_SECONDS
    with shop.app.app_context():
        db.session.merge(LookupCounter(bucket=ACCOUNT_BUCKET, window_start=window, hits=hits))
        db.session.commit()


def test_a_pass_pays_an_order_whose_notification_was_lost(shop):
    number = shop.unpaid_order({COFFEE: 1})
    shop.pay_at_sandbox(number)
    overdue(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert (report.payments_read, report.payments_changed, report.stopped) == (1, 1, None)
        order = shop.order(number)
        assert order.status == "paid"
        assert (order.payments[0].checked_by, order.payments[0].lease_owner) == (
            "reconcile", None)
        assert run_pass("runner-a").payments_read == 0  # checked just now: not due


def test_the_runner_leaves_the_reserve_to_payments(shop):
    number = shop.unpaid_order({COFFEE: 1})
    shop.pay_at_sandbox(number)
    overdue(shop, number)
    shop.sandbox.control("api/counters/clear")
    spent(shop, 60)  # 40 of the 100 left: the reserve
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert (report.payments_read, report.stopped) == (0, "budget")
        assert shop.order(number).status == "awaiting_payment"
        payment = shop.order(number).payments[0]
        assert payment.lease_owner is None  # given back: the next pass takes it
    assert ORDER_READS not in shop.sandbox.get("api/counters")

    # A staff sync is a payment's own call: it spends from the reserve.
    client = shop.staff_client()
    client.post(f"/staff/orders/{number}/sync")
    with shop.app.app_context():
        assert shop.order(number).status == "paid"
        assert shop.order(number).payments[0].checked_by == "staff"
        hits = db.session.get(LookupCounter, ACCOUNT_BUCKET).hits
        assert hits > 60
