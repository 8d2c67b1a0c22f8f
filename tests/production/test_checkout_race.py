"""One checkout form sent six times at once, through several gunicorn workers on PostgreSQL.

The form's one-time token is unique on the order, so the copies find the one order the
first saved; the test makes sure they really meet at that write (see
``flows.inserts_held``). Then they queue at the order's row lock: the first saves attempt 1
and commits before Invoicebox is asked, the others find it and wait for its answer (or, if
it takes long, are sent to the order's page), so only one copy ever sends the create
request. ``test_pay_races`` proves that part on its own.
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

    # Every copy is held at its first write, the order's INSERT; the gate opens once all
    # six stand at it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        with inserts_held(live_shop.database_url, "order") as orders:
            racing = pool.submit(at_once, COPIES, send)
            assert orders.release_when(COPIES) == COPIES
        answers = racing.result(timeout=60)

    with live_shop.app.app_context():
        [order] = db.session.execute(
            db.select(Order).where(Order.checkout_token == form["checkout_token"])
        ).scalars().all()
        number = order.number
    assert count_orders(live_shop) == orders_before + 1  # none under another token either
    record = order_record(live_shop, number)
    [(attempt, invoicebox_id, status, _)] = record["payments"]
    assert (attempt, status) == (1, "created") and record["status"] == "awaiting_payment"
    remote = live_shop.sandbox.get(f"api/orders?merchantOrderId={number}-1")["data"]
    assert [o["id"] for o in remote] == [invoicebox_id]
    assert live_shop.sandbox.get(f"api/orders?merchantOrderId={number}-2")["data"] == []
    assert [o["merchantOrderId"] for o in live_shop.sandbox.get("api/orders")["data"]
            if o["merchantOrderId"].startswith(number)] == [f"{number}-1"]
    # Each copy is sent to that Invoicebox order's payment page: the copies that did not
    # create it waited for the one that did.
    payment_url = remote[0]["paymentUrl"]
    assert {a.status_code for a in answers} == {303}
    assert {a.headers["Location"] for a in answers} == {payment_url}
