"""A buyer's refund requests sent at once, through several gunicorn workers on PostgreSQL.

An order has at most one open refund request. Each request's check ("is one open
already?") is made before its write, so requests sent together all pass it; the test makes
them all stand at the write together (``flows.inserts_held``), where only the partial
unique index ``one_open_refund_request`` can keep them apart. One request is stored, the
others are refused with a 400 that says so, none is a 500, and nothing is refunded.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from storefront.extensions import db
from storefront.models import Order, RefundRequest
from tests.support.shop import csrf_token

from .flows import inserts_held, order_record, paid_order
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

COPIES = 5
COFFEE = ("ethiopia-yirgacheffe-250", "CB-ETH-250")
MUG = ("ceramic-mug-300", "MUG-CER-300")


def test_refund_requests_sent_at_once_store_one_open_request(live_shop):
    placed = paid_order(live_shop, [(COFFEE[0], 3), (MUG[0], 1)])
    buyer = live_shop.browser()
    page = buyer.page(f"/orders/{placed.public_token}")
    assert "Request a refund" in page
    form_page = buyer.page(f"/orders/{placed.public_token}/refund")
    skus = [COFFEE[1], MUG[1]]
    assert all(f'value="{sku}"' in form_page for sku in skus)
    # Five different requests (one per coffee count, or the mug), as if sent from five tabs.
    forms = []
    for index in range(COPIES):
        quantities = {COFFEE[1]: index % 3 + 1} if index < 3 else {MUG[1]: 1}
        data = {"csrf_token": csrf_token(form_page), "reason": f"Request number {index}"}
        for line, sku in enumerate(skus):
            data[f"lines-{line}-sku"] = sku
            data[f"lines-{line}-quantity"] = str(quantities.get(sku, 0))
        forms.append(data)
    url = f"{live_shop.url}/orders/{placed.public_token}/refund"
    headers = {"Cookie": buyer.cookie_header()}

    with ThreadPoolExecutor(max_workers=1) as pool:
        with inserts_held(live_shop.database_url, "refund_request") as requests_table:
            racing = pool.submit(at_once, COPIES,
                                 lambda i: post_from_thread(url, forms[i], headers))
            # Every request made its check and stands at its INSERT: the gate opens then.
            assert requests_table.release_when(COPIES, timeout=60) == COPIES
        answers = racing.result(timeout=120)

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [303] + [400] * (COPIES - 1), codes
    refused = [answer.text for answer in answers if answer.status_code == 400]
    assert all("You have already asked for a refund of this order" in text for text in refused)
    with live_shop.app.app_context():
        order_id = db.session.execute(
            db.select(Order.id).where(Order.number == placed.number)).scalar_one()
        stored = db.session.execute(
            db.select(RefundRequest).where(RefundRequest.order_id == order_id)).scalars().all()
        assert [r.status for r in stored] == ["open"]
        [winner] = [i for i, a in enumerate(answers) if a.status_code == 303]
        assert stored[0].reason == f"Request number {winner}"
    # A request refunds nothing by itself.
    record = order_record(live_shop, placed.number)
    assert record["refunds"] == [] and record["status"] == "paid"
    assert live_shop.sandbox.get(f"api/refunds?parentId={placed.invoicebox_id}")["data"] == []
    # The buyer's page shows the one request, and offers no second one.
    page = buyer.page(f"/orders/{placed.public_token}")
    assert f"Request number {winner}" in page and "Request a refund" not in page
