"""Refunds that keep a fee, against the real sandbox: a draft refund plus a correction order
holding the fee (CONTRACT §2.9, §7.9), issued from the staff screen, and finished or
canceled by the reconcile runner when the correction order fails.

What the buyer gets is checked where it is decided: the sandbox's own record of the refund
(``netAmount``) and of the correction order, read over HTTP.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from storefront.extensions import db
from storefront.models import OrderEvent, Refund, now_utc
from storefront.payments.reconcile import run_pass
from storefront.payments.refund_fee import send_correction
from tests.sandbox.helpers import eventually

from .live import NOWHERE, ShopOnSandbox, refund_data, refund_form

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"
CORRECTIONS = "POST /v3/billing/api/order/correction-order"


def _refund(shop: ShopOnSandbox, number: str) -> Refund:
    with shop.app.app_context():
        order_id = shop.order(number).id
        [refund] = db.session.execute(
            db.select(Refund).where(Refund.order_id == order_id)).scalars().all()
        db.session.expunge(refund)
        return refund


def _events(shop: ShopOnSandbox, number: str) -> list[str]:
    with shop.app.app_context():
        order_id = shop.order(number).id
        return list(db.session.execute(db.select(OrderEvent.kind).where(
            OrderEvent.order_id == order_id).order_by(OrderEvent.id)).scalars())


def _fee_refund(client, number: str, fee: str = "150.50", reason: str = "Restocking fee",
                **quantities: int):
    token, skus = refund_form(client, number)
    data = refund_data(token, skus, quantities or None, everything=not quantities)
    data.update(fee_amount=fee, fee_reason=reason)
    return client.post(f"/staff/orders/{number}/refund", data=data)


def _text(response) -> str:
    """The page's words, tags left out (amounts are marked up)."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _corrections(shop: ShopOnSandbox) -> int:
    return shop.sandbox.get("api/counters").get(CORRECTIONS, 0)


def _settled(shop: ShopOnSandbox, number: str) -> None:
    """Let the correction order's last send be long past its in-flight window."""
    with shop.app.app_context():
        order_id = shop.order(number).id
        db.session.execute(db.update(Refund).where(Refund.order_id == order_id).values(
            correction_sent_at=now_utc() - timedelta(hours=1)))
        db.session.commit()


@pytest.fixture
def counted(shop: ShopOnSandbox) -> ShopOnSandbox:
    shop.sandbox.control("api/counters/clear")
    return shop


def test_a_fee_refund_pays_the_buyer_the_refund_less_the_fee(counted):
    shop = counted
    number = shop.paid_order({COFFEE: 2, MUG: 1})  # 2 970.00
    client = shop.staff_client()

    token, skus = refund_form(client, number)
    preview = refund_data(token, skus, everything=True)
    del preview["confirm"]
    preview.update(fee_amount="150,50", fee_reason="Restocking fee")
    response = client.post(f"/staff/orders/{number}/refund", data=preview)
    page = _text(response)
    assert "2,819.50\u00a0₽ goes back to the buyer, Мария Иванова, after a fee of 150.50\u00a0₽" \
        in page
    assert "Confirm refund of 2,819.50\u00a0₽" in page
    # carried to the confirmation
    assert 'name="fee_amount" value="150.50"' in response.get_data(as_text=True)
    assert shop.sandbox_refunds(number) == []  # the preview sends nothing

    response = _fee_refund(client, number)
    assert response.headers["Location"] == f"/staff/orders/{number}"
    refund = _refund(shop, number)
    assert (refund.status, refund.amount, refund.fee_amount) == ("created", 297000, 15050)
    assert refund.fee_vat_amount == 2714  # 150.50 × 22/122
    assert refund.correction_merchant_order_id == f"R-{number}-1-F"

    [remote] = shop.sandbox_refunds(number)
    assert remote["id"] == refund.invoicebox_refund_id
    assert remote["status"] == "created"
    assert Decimal(str(remote["amount"])) == Decimal("2970")
    assert Decimal(str(remote["netAmount"])) == Decimal("2819.50")
    assert remote["correctionOrderId"] == refund.correction_order_id
    [correction] = shop.sandbox.get(
        f"api/orders?merchantOrderId=R-{number}-1-F")["data"]
    assert correction["id"] == refund.correction_order_id
    assert (correction["parentId"], correction["status"]) == (remote["id"], "completed")
    [line] = correction["basketItems"]
    assert (line["sku"], line["name"], line["type"]) == ("fee", "Restocking fee", "service")
    assert Decimal(str(line["totalAmount"])) == Decimal("150.50")
    assert Decimal(str(line["totalVatAmount"])) == Decimal("27.14")
    assert _corrections(shop) == 1

    page = _text(client.get(f"/staff/orders/{number}"))
    assert "A fee of 150.50\u00a0₽ is kept; Invoicebox returns 2,819.50\u00a0₽" in page
    assert "Fees kept from refunds" in page and "to the buyer 2,819.50\u00a0₽" in page
    assert f"Correction order R-{number}-1-F" in page
    assert "keeping a fee of 150.50\u00a0₽: 2,819.50\u00a0₽ to the buyer" in page
    assert _events(shop, number)[-3:] == ["refund_drafted", "status", "refund_created"]
    with shop.app.app_context():
        assert shop.order(number).status == "refunded"


HOSTILE_FEES = [  # (fee, its reason, what staff are told)
    ("abc", "Fee", "Enter the fee in roubles, such as 150 or 150.50."),
    ("-5", "Fee", "Enter the fee in roubles"),
    ("1e3", "Fee", "Enter the fee in roubles"),
    ("NaN", "Fee", "Enter the fee in roubles"),
    ("Infinity", "Fee", "Enter the fee in roubles"),
    ("\u0661\u0660\u0660", "Fee", "Enter the fee in roubles"),  # Arabic-Indic digits
    ("\uff11\uff10\uff10", "Fee", "Enter the fee in roubles"),  # full-width digits
    ("10.001", "Fee", "Enter the fee in roubles"),
    ("9" * 40, "Fee", "Enter the fee in roubles"),
    ("0", "Fee", "A fee must be more than zero."),
    ("0.00", "Fee", "A fee must be more than zero."),
    ("100", "", "Say why the fee is kept."),
    ("100", "   ", "Say why the fee is kept."),
    ("", "A reason without a fee", "Enter the fee, or leave its reason empty."),
    ("100", "x" * 201, "Field cannot be longer than 200 characters."),
    ("890", "Fee", "The fee must be less than the refund (890.00 RUB)."),
    ("5000", "Fee", "The fee must be less than the refund (890.00 RUB)."),
]


def test_a_fee_that_cannot_be_kept_is_refused_and_nothing_is_sent(shop):
    # One order for every case: each would be refused before anything is sent.
    number = shop.paid_order({COFFEE: 2})
    client = shop.staff_client()
    for fee, reason, message in HOSTILE_FEES:
        response = _fee_refund(client, number, fee=fee, reason=reason, **{COFFEE: 1})
        assert response.status_code == 422, (fee, reason)
        assert message in _text(response), (fee, reason)
    assert shop.sandbox_refunds(number) == []
    with shop.app.app_context():
        assert db.session.execute(db.select(db.func.count(Refund.id))).scalar_one() == 0


def test_a_failed_correction_order_leaves_a_draft_that_the_runner_finishes(counted):
    shop = counted
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    shop.sandbox.scenario("api_500", method="POST", path="/correction-order")

    response = _fee_refund(client, number, fee="300")
    assert response.headers["Location"] == f"/staff/orders/{number}"
    page = _text(client.get(f"/staff/orders/{number}"))
    assert "is a draft at Invoicebox" in page
    refund = _refund(shop, number)
    assert (refund.status, refund.correction_order_id, refund.lease_owner) == (
        "draft", None, None)
    assert refund.correction_sent_at is not None
    [remote] = shop.sandbox_refunds(number)
    assert remote["status"] == "draft" and "netAmount" not in remote
    assert "correction_unconfirmed" in _events(shop, number)
    assert "Fees kept from refunds" not in page  # nothing is paid out yet

    with shop.app.app_context():
        # The failed send may still be in flight at Invoicebox: not touched yet.
        assert run_pass("runner-a").drafts_read == 0
    _settled(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-a")
    assert (report.drafts_read, report.drafts_changed) == (1, 1)

    refund = _refund(shop, number)
    assert (refund.status, refund.lease_owner, refund.error) == ("created", None, None)
    [remote] = shop.sandbox_refunds(number)
    assert remote["status"] == "created"
    assert Decimal(str(remote["netAmount"])) == Decimal("2670")
    assert remote["correctionOrderId"] == refund.correction_order_id
    assert _corrections(shop) == 2  # the 500, then the one that made it
    with shop.app.app_context():
        assert run_pass("runner-a").drafts_read == 0  # nothing is left to finish


def test_a_correction_order_whose_answer_was_lost_is_adopted_not_sent_again(make_app, sandbox):
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=0.5,
                                  STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    sandbox.clear_scenarios()
    sandbox.control("api/counters/clear")
    number = shop.paid_order({COFFEE: 2})
    # The sandbox holds the correction order past the shop's timeout, then makes it.
    sandbox.scenario("api_timeout", seconds=1.5, method="POST", path="/correction-order")

    _fee_refund(shop.staff_client(), number, fee="80", **{COFFEE: 1})
    assert _refund(shop, number).status == "draft"
    eventually(lambda: shop.sandbox_refunds(number)[0]["status"] == "created")

    _settled(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-b")
    assert (report.drafts_read, report.drafts_changed) == (1, 1)
    refund = _refund(shop, number)
    [remote] = shop.sandbox_refunds(number)
    assert refund.status == "created"
    assert refund.correction_order_id == remote["correctionOrderId"]
    assert Decimal(str(remote["netAmount"])) == Decimal("810")
    assert _corrections(shop) == 1  # read back, never sent a second time


def test_a_draft_invoicebox_canceled_is_canceled_by_the_runner(counted):
    shop = counted
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    shop.sandbox.scenario("api_500", method="POST", path="/correction-order")
    _fee_refund(client, number, fee="100")
    [remote] = shop.sandbox_refunds(number)
    shop.sandbox.control(f"refunds/{remote['id']}/cancel")

    _settled(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-c")
    assert (report.drafts_read, report.drafts_changed) == (1, 1)
    refund = _refund(shop, number)
    assert (refund.status, refund.lease_owner, refund.correction_order_id, refund.error) == (
        "canceled", None, None, None)
    assert _corrections(shop) == 1  # not sent again to a canceled refund
    assert _events(shop, number)[-1] == "refund_canceled"
    page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "Fees kept from refunds" not in page
    with shop.app.app_context():
        assert run_pass("runner-c").drafts_read == 0


def test_a_correction_order_invoicebox_refuses_cancels_the_draft(counted):
    shop = counted
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    shop.sandbox.scenario("api_500", method="POST", path="/correction-order")
    _fee_refund(client, number, fee="100")
    with shop.app.app_context():
        # A correction order Invoicebox can only refuse: in another currency than its refund.
        order = shop.order(number)
        order.currency = "EUR"
        db.session.commit()
    _settled(shop, number)
    with shop.app.app_context():
        report = run_pass("runner-d")
    assert (report.drafts_read, report.drafts_changed) == (1, 1)

    refund = _refund(shop, number)
    assert refund.status == "canceled"
    assert refund.error.startswith("Invoicebox refused the correction order keeping the fee")
    assert _corrections(shop) == 2  # the 500, then the refusal; never again
    [remote] = shop.sandbox_refunds(number)
    assert remote["status"] == "draft"  # no API cancels a draft: it pays nothing out
    with shop.app.app_context():
        assert run_pass("runner-d").drafts_read == 0


def test_a_refusal_that_only_means_an_earlier_send_made_it_is_adopted(make_app, sandbox):
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=0.5,
                                  STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    sandbox.clear_scenarios()
    number = shop.paid_order({COFFEE: 2})
    sandbox.scenario("api_timeout", seconds=1.5, method="POST", path="/correction-order")
    _fee_refund(shop.staff_client(), number, fee="80", **{COFFEE: 1})
    eventually(lambda: shop.sandbox_refunds(number)[0]["status"] == "created")
    refund = _refund(shop, number)
    assert refund.status == "draft"

    with shop.app.test_request_context(headers={"Accept-Language": "en"}):
        # Sent again without reading first: Invoicebox refuses (the refund is no draft).
        db.session.execute(db.update(Refund).where(Refund.id == refund.id).values(
            lease_owner="test", lease_until=now_utc() + timedelta(minutes=5)))
        db.session.commit()
        assert send_correction(refund.order_id, refund.id, "test") is True

    refund = _refund(shop, number)
    [remote] = shop.sandbox_refunds(number)
    assert refund.status == "created"
    assert refund.correction_order_id == remote["correctionOrderId"]
