"""Reversals against a real sandbox: with shipment control on, reconciliation and the staff's
Sync apply the same stock check as the notification, and the runner returns the money of an
undeliverable order as a full refund, after the transaction that decided it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import OrderEvent, Payment, Refund, Reversal, now_utc
from storefront.payments import sync_payment
from storefront.payments.reconcile import run_pass
from tests.staff.live import ShopOnSandbox, shop_on
from tests.support.sandbox import SandboxProcess

from .conftest import set_stock_directly, stock_of


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"),
                        env={"SANDBOX_REFUND_DELAY": "60"}) as process:
        yield process


@pytest.fixture
def shop(make_app, sandbox) -> ShopOnSandbox:
    return shop_on(make_app, sandbox, STOREFRONT_SHIPMENT_CONTROL=True)


def _overdue(shop, number: str) -> None:
    with shop.app.app_context():
        db.session.execute(db.update(Payment).where(
            Payment.merchant_order_id == f"{number}-1").values(
            created_at=now_utc() - timedelta(hours=1), checked_at=None))
        db.session.commit()


def _history(shop, number: str) -> list[str]:
    with shop.app.app_context():
        order = shop.order(number)
        return list(db.session.execute(db.select(OrderEvent.kind).where(
            OrderEvent.order_id == order.id).order_by(OrderEvent.id)).scalars())


def _undeliverable_payment(shop: ShopOnSandbox) -> str:
    """A mug paid for when none is left, found by Sync: the order is not deliverable and
    its reversal (a full refund) is due to the runner."""
    set_stock_directly(shop.app, "ceramic-mug-300", 0)
    number = shop.unpaid_order({"MUG-CER-300": 1})
    shop.pay_at_sandbox(number)
    with shop.app.app_context():
        sync_payment(shop.order(number))
    return number


def test_reconciliation_refuses_the_goods_and_the_same_pass_refunds_them(shop):
    set_stock_directly(shop.app, "ceramic-mug-300", 0)
    number = shop.unpaid_order({"MUG-CER-300": 2, "SRV-LESSON-1H": 1})
    shop.pay_at_sandbox(number)  # the notification is lost (NOWHERE)
    _overdue(shop, number)

    with shop.app.app_context():
        report = run_pass("runner-a")
        assert (report.payments_changed, report.reversals_issued) == (1, 1)
        order = shop.order(number)
        assert order.status == "refunded"  # the refund was accepted: the money is on its way
        [reversal] = db.session.execute(db.select(Reversal)).scalars().all()
        refund = db.session.get(Refund, reversal.refund_id)
        assert refund.amount == order.amount and refund.status == "created"
        assert refund.staff_id is None
    # Invoicebox has the refund of the whole payment.
    [remote] = shop.sandbox_refunds(number)
    assert remote["merchantOrderId"] == refund.merchant_order_id
    assert round(remote["amount"] * 100) == order.amount
    assert stock_of(shop.app, "ceramic-mug-300") == 0
    history = _history(shop, number)
    assert history.index("paid") < history.index("undeliverable") \
        < history.index("refund_created") < history.index("reversal_issued")

    with shop.app.app_context():  # a second pass sends nothing more
        assert run_pass("runner-b").reversals_issued == 0
    assert len(shop.sandbox_refunds(number)) == 1


def test_the_staff_sync_applies_the_same_check(shop):
    set_stock_directly(shop.app, "french-press-350", 1)
    number = shop.unpaid_order({"FP-GLS-350": 3})
    shop.pay_at_sandbox(number)
    with shop.app.app_context():
        assert sync_payment(shop.order(number)) is True
        assert shop.order(number).status == "undeliverable"
        assert db.session.execute(db.select(Reversal.refund_id)).scalar_one() is None
    assert shop.sandbox_refunds(number) == []  # the sync itself refunded nothing
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
    assert len(shop.sandbox_refunds(number)) == 1
    assert stock_of(shop.app, "french-press-350") == 1


def test_a_reversal_whose_refund_never_reached_invoicebox_is_sent_again(shop):
    number = _undeliverable_payment(shop)
    shop.sandbox.scenario("api_500", count=1, method="POST")  # the refund request itself
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 0
        reversal = db.session.execute(db.select(Reversal)).scalar_one()
        assert db.session.get(Refund, reversal.refund_id).status == "pending"
    assert shop.sandbox_refunds(number) == []
    with shop.app.app_context():  # long enough ago that it can no longer be on its way
        db.session.execute(db.update(Refund).values(created_at=now_utc() - timedelta(hours=1)))
        db.session.commit()
    # The next pass finds that refund absent at Invoicebox (so refused), and sends another.
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
        statuses = db.session.execute(db.select(Refund.status).order_by(Refund.id)).scalars()
        assert list(statuses) == ["rejected", "created"]
    assert len(shop.sandbox_refunds(number)) == 1
    assert "reversal_issued" in _history(shop, number)


def test_a_reversal_refused_before_sending_is_recorded_and_tried_again(shop):
    number = _undeliverable_payment(shop)
    shop.sandbox.scenario("api_500", count=5, method="GET")  # what is refundable: unreadable
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert report.reversals_issued == 0 and report.errors
        reversal = db.session.execute(db.select(Reversal)).scalar_one()
        assert (reversal.refund_id, reversal.attempts) == (None, 1)
    assert "reversal_failed" in _history(shop, number)
    shop.sandbox.clear_scenarios()
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
    assert len(shop.sandbox_refunds(number)) == 1
