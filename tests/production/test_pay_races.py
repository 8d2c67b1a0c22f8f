"""Pay pressed several times at once, through several gunicorn workers on PostgreSQL.

The invariant: a shop order has at most one payable Invoicebox order, ever. A partial unique
index on the payment table (one ``pending`` or ``created`` attempt per order) backs the
code, which takes the order's row lock before it writes anything, so racing presses neither
deadlock nor open a second attempt; the presses that lose wait for the winner's answer and
are sent to the same payment page.
"""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import Payment
from tests.support.shop import csrf_token

from .flows import order_record, place_order
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

ROUNDS = 6
PRESSES = 3


def sandbox_orders(shop, number: str) -> list[dict]:
    return [o for o in shop.sandbox.get("api/orders")["data"]
            if o["merchantOrderId"].startswith(f"{number}-")]


def test_pay_pressed_at_once_after_expiry_opens_one_payable_order(live_shop):
    placed = place_order(live_shop, [("colombia-drip-bags-10", 1)])
    number, token = placed.number, placed.public_token
    browser = live_shop.browser()  # the buyer, back on the order page a day later
    data = {"csrf_token": csrf_token(browser.page(f"/orders/{token}"))}
    pay_url = f"{live_shop.url}/orders/{token}/pay"
    headers = {"Cookie": browser.cookie_header()}

    for round_ in range(1, ROUNDS + 1):
        [current] = [o for o in sandbox_orders(live_shop, number) if o["status"] == "created"]
        live_shop.sandbox.control(f"orders/{current['id']}/expire")
        answers = at_once(PRESSES, lambda _: post_from_thread(pay_url, data, headers))

        assert [a.status_code for a in answers] == [303] * PRESSES, (
            round_, [(a.status_code, a.text[:200]) for a in answers], live_shop.log_tail(30))
        payable = [o for o in sandbox_orders(live_shop, number) if o["status"] == "created"]
        assert len(payable) == 1, (round_, payable)
        assert {a.headers["Location"] for a in answers} == {payable[0]["paymentUrl"]}, round_
        record = order_record(live_shop, number)
        open_attempts = [p for p in record["payments"] if p[2] in ("pending", "created")]
        assert [p[1] for p in open_attempts] == [payable[0]["id"]], (round_, record["payments"])
        assert record["status"] == "awaiting_payment"
    # One attempt per round after the first, and every earlier one closed.
    record = order_record(live_shop, number)
    assert [p[0] for p in record["payments"]] == list(range(1, ROUNDS + 2))
    assert [p[2] for p in record["payments"]] == ["expired"] * ROUNDS + ["created"]


def test_the_database_refuses_a_second_payable_attempt(live_shop):
    """The last line of defence, below the code: the partial unique index itself."""
    placed = place_order(live_shop, [("demerara-sugar-500", 1)])
    with live_shop.app.app_context():
        first = db.session.execute(
            db.select(Payment).where(Payment.invoicebox_order_id == placed.invoicebox_id)
        ).scalar_one()
        db.session.add(Payment(order_id=first.order_id, attempt=2, amount=first.amount,
                               merchant_order_id=f"{placed.number}-2", status="pending",
                               expires_at=first.expires_at))
        with pytest.raises(Exception, match="one_payable_attempt"):
            db.session.commit()
        db.session.rollback()
