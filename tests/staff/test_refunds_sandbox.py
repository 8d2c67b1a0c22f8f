"""Refunds against the real sandbox: full, partial, down to zero, refused, repeated, lost.

Each test makes a paid order the way a buyer does and refunds it through the staff
screen, then checks both the shop's database and the sandbox's own refundable amounts.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from storefront.extensions import db
from storefront.invoicebox import (
    Basket,
    CreateRefundRequest,
    InvoiceboxClient,
)
from storefront.models import Refund
from tests.sandbox.helpers import eventually
from tests.support.shop import csrf_token

from .helpers import STAFF_EMAIL, STAFF_PASSWORD
from .live import NOWHERE, ShopOnSandbox, refund_data, refund_form

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"
ZERO = (Decimal(0), Decimal(0))


def _refunds(shop: ShopOnSandbox, number: str) -> list[Refund]:
    with shop.app.app_context():
        order_id = shop.order(number).id
        return list(db.session.execute(
            db.select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).scalars())


def test_the_refund_screen_lists_what_invoicebox_says_is_refundable(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    page = shop.staff_client().get(f"/staff/orders/{number}/refund").get_data(as_text=True)
    assert 'aria-label="Quantity to refund: Кружка керамическая' in page
    assert 'max="2"' in page and 'max="1"' in page
    assert "1,780.00\u00a0₽" in page  # coffee still refundable
    assert "320.98\u00a0₽" in page  # its VAT: 1 780 × 22/122
    assert "VAT 22\u00a0%" in page and "Issue refund" in page


def test_full_refund_then_completion(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    response = client.post(f"/staff/orders/{number}/refund",
                           data=refund_data(token, skus, everything=True))
    assert response.headers["Location"] == f"/staff/orders/{number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refund created" in page and "2,970.00\u00a0₽" in page

    [refund] = _refunds(shop, number)
    assert refund.status == "created" and refund.amount == 297000
    assert refund.merchant_order_id == f"R-{number}-1" and refund.request_id
    [remote] = shop.sandbox_refunds(number)
    assert [(line["sku"], line["quantity"]) for line in remote["basketItems"]] == \
        [(COFFEE, 2), (MUG, 1)]  # the units bought, as the receipt should show them
    assert remote["id"] == refund.invoicebox_refund_id
    assert remote["merchantOrderId"] == f"R-{number}-1"
    assert Decimal(str(remote["amount"])) == Decimal("2970.00")
    assert shop.refundable(number) == {COFFEE: ZERO, MUG: ZERO}
    with shop.app.app_context():
        assert shop.order(number).status == "refunded"

    shop.sandbox.control(f"refunds/{remote['id']}/complete")
    client.post(f"/staff/orders/{number}/sync")
    [refund] = _refunds(shop, number)
    assert refund.status == "completed" and refund.completed_at is not None


def test_partial_refund_by_quantity(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    response = client.post(f"/staff/orders/{number}/refund",
                           data=refund_data(token, skus, {COFFEE: 1}))
    assert response.status_code == 302
    [remote] = shop.sandbox_refunds(number)
    [line] = remote["basketItems"]
    assert (line["sku"], line["quantity"], line["amount"], line["totalAmount"]) == \
        (COFFEE, 1, 890, 890)
    assert Decimal(str(line["totalVatAmount"])) == Decimal("160.49")
    assert shop.refundable(number)[COFFEE] == (Decimal("890"), Decimal("160.49"))
    assert shop.refundable(number)[MUG][0] == Decimal("1190")
    with shop.app.app_context():
        assert shop.order(number).status == "partially_refunded"


def test_several_partial_refunds_down_to_zero(shop):
    number = shop.paid_order({COFFEE: 3, MUG: 1})
    client = shop.staff_client()
    for quantities in ({COFFEE: 1}, {COFFEE: 1}, {COFFEE: 1, MUG: 1}):
        token, skus = refund_form(client, number)
        response = client.post(f"/staff/orders/{number}/refund",
                               data=refund_data(token, skus, quantities))
        assert response.headers["Location"] == f"/staff/orders/{number}"
    refunds = _refunds(shop, number)
    assert [r.merchant_order_id for r in refunds] == [f"R-{number}-{n}" for n in (1, 2, 3)]
    assert [r.status for r in refunds] == ["created"] * 3
    # VAT of 3 coffees is 481.48; two single refunds took 160.49 each. The last coffee
    # goes back with the 160.50 that is left, not 160.49, so VAT adds up exactly.
    last = shop.sandbox_refunds(number)[0]  # newest first
    lines = {line["sku"]: line for line in last["basketItems"]}
    assert Decimal(str(lines[COFFEE]["totalVatAmount"])) == Decimal("160.50")
    assert (lines[MUG]["quantity"], lines[MUG]["amount"]) == (1, 1190)
    assert shop.refundable(number) == {COFFEE: ZERO, MUG: ZERO}
    with shop.app.app_context():
        assert shop.order(number).status == "refunded"
    page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert f'href="/staff/orders/{number}/refund"' not in page  # nothing left to refund


@pytest.mark.parametrize(("quantities", "message"), [
    ({COFFEE: 3}, "only 2 unit(s) can still be refunded, not 3"),
    ({}, "Choose at least one position"),
])
def test_our_precheck_refuses_and_sends_nothing(shop, quantities, message):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    response = client.post(f"/staff/orders/{number}/refund",
                           data=refund_data(token, skus, quantities))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert shop.sandbox_refunds(number) == []
    assert _refunds(shop, number) == []


def test_a_refund_over_what_is_left_is_refused_after_an_earlier_one(shop):
    number = shop.paid_order({COFFEE: 2})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    client.post(f"/staff/orders/{number}/refund", data=refund_data(token, skus, {COFFEE: 1}))
    stale = refund_data(token.replace(token[-4:], "ZZZZ"), skus, {COFFEE: 2})  # an old screen
    response = client.post(f"/staff/orders/{number}/refund", data=stale)
    assert response.status_code == 422
    assert "only 1 unit(s) can still be refunded, not 2" in response.get_data(as_text=True)
    assert len(shop.sandbox_refunds(number)) == 1


def test_the_sandbox_refuses_an_over_refund_that_slipped_past_the_precheck(shop):
    """Someone else refunds the mug between our check and our request reaching Invoicebox."""
    number = shop.paid_order({COFFEE: 1, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    # Our request is held 3 s at the gateway, then checked against the amounts of that moment.
    sent = "POST /v3/billing/api/order/refund-order"
    shop.sandbox.scenario("api_timeout", seconds=3, method="POST", path=sent.split()[1])
    before = shop.sandbox.get("api/counters").get(sent, 0)
    result = {}
    ours = threading.Thread(target=lambda: result.update(response=client.post(
        f"/staff/orders/{number}/refund", data=refund_data(token, skus, everything=True))))
    ours.start()
    # Only once our request is at the gateway (past the shop's own checks) is the mug
    # refunded elsewhere.
    eventually(lambda: shop.sandbox.get("api/counters").get(sent, 0) > before)
    other = InvoiceboxClient(shop.sandbox.url, shop.sandbox.token, api_version="l3")
    basket = Basket()
    basket.add_remainder_of(next(i for i in other.get_refundable_items(
        shop.invoicebox_id(number)) if i.sku == MUG))
    other.create_refund(CreateRefundRequest(parent_id=shop.invoicebox_id(number),
                                            merchant_order_id=f"CABINET-{number}",
                                            description="Refunded in the cabinet",
                                            basket_items=basket.items))
    ours.join(timeout=30)

    assert result["response"].headers["Location"] == f"/staff/orders/{number}/refund"
    page = client.get(result["response"].headers["Location"]).get_data(as_text=True)
    assert "Invoicebox refused the refund: Refund exceeds the refundable amount" in page
    assert "Invoicebox request id:" in page
    [refund] = _refunds(shop, number)
    assert refund.status == "rejected" and refund.invoicebox_refund_id is None
    assert [r["merchantOrderId"] for r in shop.sandbox_refunds(number)] == [f"CABINET-{number}"]
    assert shop.refundable(number)[COFFEE][0] == Decimal("890")


def test_the_same_form_sent_twice_makes_one_refund(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    data = refund_data(token, skus, {MUG: 1})
    first = client.post(f"/staff/orders/{number}/refund", data=data)
    again = client.post(f"/staff/orders/{number}/refund", data=data)
    assert first.headers["Location"] == again.headers["Location"] == f"/staff/orders/{number}"
    assert "Refund created" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(shop.sandbox_refunds(number)) == 1
    assert len(_refunds(shop, number)) == 1


def test_the_same_form_sent_twice_at_once_makes_one_refund(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    data = refund_data(token, skus, {MUG: 1})
    statuses = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        twin = shop.staff_client()
        barrier.wait()
        statuses.append(twin.post(f"/staff/orders/{number}/refund", data=data).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302, 302]
    assert len(shop.sandbox_refunds(number)) == 1
    assert len(_refunds(shop, number)) == 1


def test_a_lost_answer_is_reconciled_by_merchant_order_id_and_never_resent(make_app, sandbox):
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=0.5,
                             STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    # The gateway holds our request past our 0.5 s timeout, then makes the refund anyway.
    # It holds it long enough for the second form below to be sent while it is still
    # unknown, even on a slow machine (with 1.5 s, CI once found it made already).
    sandbox.scenario("api_timeout", seconds=5, method="POST",
                     path="/v3/billing/api/order/refund-order")
    token, skus = refund_form(client, number)
    response = client.post(f"/staff/orders/{number}/refund",
                           data=refund_data(token, skus, {MUG: 1}))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "answer was lost" in page
    [refund] = _refunds(shop, number)
    assert refund.status == "pending" and refund.invoicebox_refund_id is None

    # Another refund now must wait: the first one's fate is not known yet.
    token2, _ = refund_form(client, number)
    refused = client.post(f"/staff/orders/{number}/refund",
                          data=refund_data(token2, skus, {COFFEE: 1}))
    assert refused.status_code == 422
    assert "is still waiting for Invoicebox" in refused.get_data(as_text=True)

    [remote] = eventually(lambda: shop.sandbox_refunds(number))
    client.post(f"/staff/orders/{number}/sync")
    [refund] = _refunds(shop, number)
    assert refund.status == "created" and refund.invoicebox_refund_id == remote["id"]
    assert [r["merchantOrderId"] for r in shop.sandbox_refunds(number)] == [f"R-{number}-1"]
    with shop.app.app_context():
        assert shop.order(number).status == "partially_refunded"


def test_a_forged_refund_post_without_the_csrf_token_changes_nothing(make_app, sandbox):
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, WTF_CSRF_ENABLED=True,
                             STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.app.test_client()
    csrf = csrf_token(client.get("/staff/login").get_data(as_text=True))
    client.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD,
                                      "csrf_token": csrf})
    token, skus = refund_form(client, number)
    before = shop.refundable(number)
    forged = client.post(f"/staff/orders/{number}/refund",
                         data=refund_data(token, skus, everything=True))
    assert forged.status_code == 400
    assert shop.refundable(number) == before
    assert shop.sandbox_refunds(number) == [] and _refunds(shop, number) == []
