"""Reconciliation on SQLite (the demo's database), against a real sandbox process.

The shop's notification URL is a closed port here (``live.NOWHERE``): every notification
is lost, and only a pass of the runner tells the shop about a payment.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from storefront.budget import ACCOUNT_BUCKET, WINDOW_SECONDS
from storefront.extensions import db
from storefront.models import LookupCounter, Payment, now_utc
from storefront.payments import pay, place_order
from storefront.payments.reconcile import run_pass
from tests.sandbox.helpers import eventually

from .live import BUYER, NOWHERE, ShopOnSandbox

COFFEE = "CB-ETH-250"
ORDER_READS = "GET /v3/filter/api/order/order"


def overdue(shop, number: str, attempt: int = 1) -> None:
    with shop.app.app_context():
        db.session.execute(db.update(Payment).where(
            Payment.merchant_order_id == f"{number}-{attempt}").values(
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


def test_an_unknown_create_is_found_by_merchant_order_id_and_applied(make_app, sandbox):
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=0.5,
                                  STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    # Invoicebox answers after the shop gave up: the attempt stays pending, with no id.
    sandbox.scenario("api_timeout", seconds=1.5, method="POST", path="/billing/api/order/order")
    with shop.app.app_context():
        drafts = [shop._draft(COFFEE, 1)]
        order, _ = place_order(drafts, BUYER, secrets.token_urlsafe(16))
        pay(order)
        number = order.number
        assert [(p.status, p.invoicebox_order_id) for p in shop.order(number).payments] == [
            ("pending", None)]
    created = eventually(lambda: sandbox.get(f"api/orders?merchantOrderId={number}-1")["data"])
    sandbox.control(f"orders/{created[0]['id']}/pay")
    overdue(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert (report.payments_read, report.payments_changed) == (1, 1)
        order = shop.order(number)
        assert order.status == "paid"
        assert [(p.status, p.invoicebox_order_id) for p in order.payments] == [
            ("completed", created[0]["id"])]


def test_a_create_that_never_reached_invoicebox_is_marked_failed(shop):
    number = shop.unpaid_order({COFFEE: 1})
    with shop.app.app_context():
        order = shop.order(number)
        first = order.payments[0]
        # Attempt 2 was saved, then the process died before sending it (attempt 1 closed).
        first.status = "expired"
        db.session.add(Payment(order=order, attempt=2, merchant_order_id=f"{number}-2",
                               status="pending", amount=first.amount,
                               expires_at=first.expires_at))
        db.session.commit()
    overdue(shop, number, attempt=2)
    with shop.app.app_context():
        assert run_pass("runner-a").payments_changed == 1
        [_, second] = shop.order(number).payments
        assert second.status == "failed"
        assert "never created" in second.error
