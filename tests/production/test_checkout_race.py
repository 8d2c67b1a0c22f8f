"""One checkout form sent six times at once, through several gunicorn workers on PostgreSQL.

The form's one-time token is unique on the order, so the copies find the one order the
first saved; and attempt 1 of its payment is a unique (order, attempt) row committed before
Invoicebox is asked, so only one copy ever sends the create request. The test makes sure
the copies really meet at both writes (see ``flows.inserts_held``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from storefront.extensions import db
from storefront.models import Order

from .flows import inserts_held, order_record
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

COPIES = 6


def count_orders(shop) -> int:
    with shop.app.app_context():
        return db.session.execute(db.select(db.func.count(Order.id))).scalar_one()


def test_the_same_checkout_form_sent_six_times_at_once_makes_one_order(live_shop):
    orders_before = count_orders(live_shop)
    browser = live_shop.browser()
    form = browser.checkout_form([("colombia-drip-bags-10", 2), ("demerara-sugar-500", 1)])
    headers = {"Cookie": browser.cookie_header()}

    def send(_: int):
        return post_from_thread(f"{live_shop.url}/checkout", form, headers)

    # Every copy is held at its first write: the order's INSERT, then the first payment
    # attempt's. Each gate opens once all six stand at it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        with inserts_held(live_shop.database_url, "order") as orders, \
                inserts_held(live_shop.database_url, "payment") as attempts:
            racing = pool.submit(at_once, COPIES, send)
            assert orders.release_when(COPIES) == COPIES
            assert attempts.release_when(COPIES) == COPIES
        answers = racing.result(timeout=60)

    with live_shop.app.app_context():
        [order] = db.session.execute(
            db.select(Order).where(Order.checkout_token == form["checkout_token"])
        ).scalars().all()
        number, public_token = order.number, order.public_token
    assert count_orders(live_shop) == orders_before + 1  # none under another token either
    record = order_record(live_shop, number)
    [(attempt, invoicebox_id, status, _)] = record["payments"]
    assert (attempt, status) == (1, "created") and record["status"] == "awaiting_payment"
    remote = live_shop.sandbox.get(f"api/orders?merchantOrderId={number}-1")["data"]
    assert [o["id"] for o in remote] == [invoicebox_id]
    assert live_shop.sandbox.get(f"api/orders?merchantOrderId={number}-2")["data"] == []
    assert [o["merchantOrderId"] for o in live_shop.sandbox.get("api/orders")["data"]
            if o["merchantOrderId"].startswith(number)] == [f"{number}-1"]
    # Each copy is sent on: to that Invoicebox order's payment page, or (while the first
    # copy is still creating it) to the order's own page, which says payment is being set up.
    payment_url = remote[0]["paymentUrl"]
    assert {a.status_code for a in answers} == {303}
    assert {a.headers["Location"] for a in answers} <= {payment_url, f"/orders/{public_token}"}
    assert payment_url in {a.headers["Location"] for a in answers}
