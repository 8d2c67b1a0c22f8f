"""Guarantee (hold) payments and stock, over real HTTP against the sandbox (CONTRACT §4.1,
§5.4): a hold takes the goods from stock as a payment does; short with shipment control
off, it is flagged; with it on, the ``hold`` notification is answered
``shipping_unavailable``, the order becomes "not deliverable, guarantee being released",
and the reconcile runner, afterwards, cancels the Invoicebox order with ``DELETE``: the
sandbox turns the hold into ``canceled`` and nothing is refunded.

The sandbox's merchant has shipment control on, so it delivers the ``hold`` notification to
the served shop before it answers, and records the shop's reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from storefront.extensions import db
from storefront.models import Notification, OrderEvent, Payment, Reversal, now_utc
from storefront.payments import sync_payment
from storefront.payments.reconcile import run_pass
from tests.conftest import DEMO_MERCHANT_ID
from tests.staff.live import NOWHERE, ShopOnSandbox
from tests.support.sandbox import SandboxProcess
from tests.support.shop import LiveShop, signed_headers

from .conftest import set_stock_directly, stock_of

MUG, PRESS = "MUG-CER-300", "FP-GLS-350"
UNAVAILABLE = {"status": "error", "code": "shipping_unavailable",
               "message": "The goods cannot be delivered; the guarantee will be reversed in full."}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[SandboxProcess]:
    config = {"merchants": [{"id": DEMO_MERCHANT_ID, "shipment_control": True}]}
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"), config=config) as process:
        yield process


class HeldShop(ShopOnSandbox):
    def hold_at_sandbox(self, number: str) -> dict:
        return self.sandbox.control(f"orders/{self.invoicebox_id(number)}/pay",
                                    {"guarantee": True})

    def remote(self, number: str) -> dict:
        return self.sandbox.get(f"api/orders/{self.invoicebox_id(number)}")

    def history(self, number: str) -> list[str]:
        with self.app.app_context():
            order = self.order(number)
            return list(db.session.execute(db.select(OrderEvent.kind).where(
                OrderEvent.order_id == order.id).order_by(OrderEvent.id)).scalars())

    def state(self, number: str) -> tuple[str, str, bool]:
        """(order status, payment status, short of stock)."""
        with self.app.app_context():
            order = self.order(number)
            return order.status, order.current_payment.status, order.short_of_stock

    def reversals(self) -> list[tuple[int, int | None, bool]]:
        """(order id, refund id, issued) of every reversal."""
        with self.app.app_context():
            return [(r.order_id, r.refund_id, r.issued_at is not None) for r in
                    db.session.execute(db.select(Reversal).order_by(Reversal.id)).scalars()]

    def repost_hold(self, live: LiveShop, number: str) -> dict:
        """Send the shop, again, the exact signed ``hold`` notification the sandbox sent."""
        with self.app.app_context():
            raw = db.session.execute(
                db.select(Notification.raw_body).where(
                    Notification.invoicebox_order_id == self.invoicebox_id(number),
                    Notification.gateway_status == "hold")
                .order_by(Notification.id).limit(1)).scalar_one()
        answer = requests.post(f"{live.url}/invoicebox/notification", data=raw,
                               headers=signed_headers(raw), timeout=10)
        assert answer.status_code == 200
        return answer.json()


def _served(make_app, sandbox: SandboxProcess, control: bool) -> Iterator[tuple[LiveShop,
                                                                                HeldShop]]:
    sandbox.clear_scenarios()
    app = make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_SHIPMENT_CONTROL=control)
    with LiveShop(app) as live:  # the sandbox notifies this one
        yield live, HeldShop(app, sandbox)


@pytest.fixture
def controlled(make_app, sandbox):
    yield from _served(make_app, sandbox, True)


@pytest.fixture
def uncontrolled(make_app, sandbox):
    yield from _served(make_app, sandbox, False)


@pytest.fixture
def unserved(make_app, sandbox) -> HeldShop:
    """Shipment control on, but the notifications are lost: reconciliation and Sync."""
    sandbox.clear_scenarios()
    return HeldShop(make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_PUBLIC_URL=NOWHERE,
                             STOREFRONT_SHIPMENT_CONTROL=True), sandbox)


def test_a_guarantee_takes_its_goods_from_stock(uncontrolled):
    live, shop = uncontrolled
    set_stock_directly(shop.app, "ceramic-mug-300", 5)
    number = shop.unpaid_order({MUG: 2, "SRV-LESSON-1H": 1})
    assert shop.hold_at_sandbox(number)["status"] == "hold"
    assert shop.state(number) == ("awaiting_shipment", "hold", False)
    assert stock_of(shop.app, "ceramic-mug-300") == 3
    history = shop.history(number)
    assert history.index("held") < history.index("stock_taken")
    # A copy of the notification takes nothing more.
    assert shop.repost_hold(live, number) == {"status": "success"}
    assert stock_of(shop.app, "ceramic-mug-300") == 3


def test_without_shipment_control_a_short_guarantee_is_held_and_flagged(uncontrolled):
    live, shop = uncontrolled
    set_stock_directly(shop.app, "french-press-350", 1)
    number = shop.unpaid_order({PRESS: 2})
    shop.hold_at_sandbox(number)
    assert shop.state(number) == ("awaiting_shipment", "hold", True)
    assert stock_of(shop.app, "french-press-350") == 1  # nothing taken
    assert "stock_short" in shop.history(number)
    staff_page = shop.staff_client().get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "paid as a guarantee, but nothing was taken from stock" in staff_page
    assert shop.reversals() == []
    assert shop.remote(number)["status"] == "hold"


def test_with_shipment_control_a_short_hold_is_refused_then_deleted_by_the_runner(controlled):
    live, shop = controlled
    set_stock_directly(shop.app, "ceramic-mug-300", 0)
    number = shop.unpaid_order({MUG: 1, "SRV-LESSON-1H": 1})
    assert shop.hold_at_sandbox(number)["status"] == "hold"

    # The answer: shipping_unavailable; the order is not deliverable, nothing taken, and
    # the reversal recorded but not carried out: the sandbox still holds the money.
    with shop.app.app_context():
        [row] = db.session.execute(db.select(Notification).where(
            Notification.gateway_status == "hold")).scalars().all()
        assert (row.reply_status, row.reply_code, row.applied) == (
            "error", "shipping_unavailable", True)
        order_id = shop.order(number).id
    assert shop.state(number) == ("hold_undeliverable", "hold", False)
    assert shop.reversals() == [(order_id, None, False)]
    assert shop.remote(number)["status"] == "hold"
    assert stock_of(shop.app, "ceramic-mug-300") == 0
    assert shop.repost_hold(live, number) == UNAVAILABLE  # every copy: the same answer
    page = shop.app.test_client().get(f"/orders/{_token(shop, number)}/failed")
    assert "reserved on your card is released" in page.get_data(as_text=True)
    staff_page = shop.staff_client().get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "Not deliverable, guarantee being released." in staff_page
    assert "cancels the Invoicebox order (DELETE)" in staff_page

    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1

    assert shop.remote(number)["status"] == "canceled"  # reversed at Invoicebox: DELETE
    assert shop.sandbox_refunds(number) == []  # nothing refunded
    assert shop.state(number) == ("canceled", "canceled", False)
    assert shop.reversals() == [(order_id, None, True)]
    history = shop.history(number)
    assert history.index("held") < history.index("undeliverable") \
        < history.index("hold_reversed") < history.index("reversal_issued")
    assert history.count("reversal_issued") == 1
    assert shop.repost_hold(live, number) == UNAVAILABLE  # still, after the reversal
    page = shop.app.test_client().get(f"/orders/{_token(shop, number)}")  # the buyer is told why
    assert "reserved on your card is released" in page.get_data(as_text=True)
    with shop.app.app_context():  # a second pass sends nothing more
        assert run_pass("runner-b").reversals_issued == 0


def test_reconciliation_refuses_a_lost_hold_and_the_same_pass_deletes_it(unserved):
    shop = unserved
    set_stock_directly(shop.app, "ceramic-mug-300", 0)
    number = shop.unpaid_order({MUG: 2})
    shop.hold_at_sandbox(number)  # the notification is lost (NOWHERE)
    with shop.app.app_context():
        db.session.execute(db.update(Payment).where(
            Payment.merchant_order_id == f"{number}-1").values(
            created_at=now_utc() - timedelta(hours=1), checked_at=None))
        db.session.commit()
        report = run_pass("runner-a")
        assert (report.payments_changed, report.reversals_issued) == (1, 1)
    assert shop.state(number) == ("canceled", "canceled", False)
    assert shop.remote(number)["status"] == "canceled"
    assert shop.sandbox_refunds(number) == []
    assert "undeliverable" in shop.history(number)


def test_the_staff_sync_applies_the_same_check_to_a_hold(unserved):
    shop = unserved
    set_stock_directly(shop.app, "french-press-350", 1)
    number = shop.unpaid_order({PRESS: 3})
    shop.hold_at_sandbox(number)
    with shop.app.app_context():
        assert sync_payment(shop.order(number)) is True
    assert shop.state(number) == ("hold_undeliverable", "hold", False)
    assert shop.remote(number)["status"] == "hold"  # the sync itself reversed nothing
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
    assert shop.remote(number)["status"] == "canceled"
    assert stock_of(shop.app, "french-press-350") == 1


def _undeliverable_hold(shop: HeldShop) -> str:
    """A mug held as a guarantee when none is left, found by Sync: the order is not
    deliverable and its reversal (the DELETE) is due to the runner."""
    set_stock_directly(shop.app, "ceramic-mug-300", 0)
    number = shop.unpaid_order({MUG: 1})
    shop.hold_at_sandbox(number)
    with shop.app.app_context():
        sync_payment(shop.order(number))
    return number


def test_a_delete_that_fails_is_recorded_and_tried_again(unserved):
    shop = unserved
    number = _undeliverable_hold(shop)
    shop.sandbox.scenario("api_500", count=5, method="DELETE")
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert report.reversals_issued == 0
        reversal = db.session.execute(db.select(Reversal)).scalar_one()
        assert (reversal.issued_at, reversal.attempts) == (None, 1)
    assert "reversal_failed" in shop.history(number)
    assert shop.remote(number)["status"] == "hold"
    assert shop.state(number)[0] == "hold_undeliverable"
    shop.sandbox.clear_scenarios()
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
    assert shop.remote(number)["status"] == "canceled"
    assert shop.state(number) == ("canceled", "canceled", False)


def _token(shop: HeldShop, number: str) -> str:
    with shop.app.app_context():
        return shop.order(number).public_token


def test_a_rate_limited_delete_is_no_failure_and_waits_for_the_next_pass(unserved):
    shop = unserved
    number = _undeliverable_hold(shop)
    shop.sandbox.scenario("api_429", count=1, seconds=1, method="DELETE")
    with shop.app.app_context():
        report = run_pass("runner-a")
        assert report.reversals_issued == 0 and report.backoffs == 1
        reversal = db.session.execute(db.select(Reversal)).scalar_one()
        assert (reversal.attempts, reversal.lease_until) == (0, None)  # released, not failed
    assert "reversal_failed" not in shop.history(number)
    assert shop.remote(number)["status"] == "hold"
    with shop.app.app_context():
        assert run_pass("runner-a").reversals_issued == 1
    assert shop.remote(number)["status"] == "canceled"
