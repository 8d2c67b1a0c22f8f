"""The refund service with Invoicebox faked at the HTTP boundary: the exact request sent,
and what each kind of answer (created, refused, lost) leaves in the database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
import responses

from storefront.extensions import db
from storefront.models import GatewayCall, Order, OrderEvent, Refund, StaffUser, now_utc
from storefront.payments.refunds import (
    LineChoice,
    RefundError,
    RefundSelection,
    create_refund,
    refresh_refunds,
)

from .fake_gateway import (
    DELIVERY,
    FILTER_URL,
    PARENT_ID,
    REFUND_ID,
    REFUND_URL,
    TEA,
    created_refund,
    fixture,
    posts,
    serve_refund_list,
    serve_refundable,
)
from .helpers import make_order

ONE_TEA = RefundSelection((LineChoice("tea-1", 1),))


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def ctx(app, staff):
    """A request in English with a paid tea order and the staff member."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        order = make_order(number="261127-TEA01", lines=(TEA, DELIVERY),
                           invoicebox_order_id=PARENT_ID)
        yield order, db.session.get(StaffUser, staff)


def _refund(order, staff, selection=ONE_TEA, token="form-token-0000000001", reason="Damaged"):
    return create_refund(order, selection, reason, token, staff)


def test_a_created_refund_sends_the_exact_basket_and_keeps_the_request_id(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, json={"data": created_refund("R-261127-TEA01-1"),
                                  "extendedData": []}, headers={"X-Request-Id": "req-refund-1"})
    refund = _refund(order, staff, reason="  Leaking package  ")

    assert posts(mocked) == [{
        "parentId": PARENT_ID,
        "merchantOrderId": "R-261127-TEA01-1",
        "description": "Leaking package",
        "amount": 1000.0,
        "vatAmount": 180.33,
        "basketItems": [{
            "sku": "tea-1", "name": "Чай улун, 100 г", "measure": "шт", "measureCode": "796",
            "quantity": 1, "amount": 1000.0, "amountWoVat": 819.67, "totalAmount": 1000.0,
            "totalVatAmount": 180.33, "vatCode": "RUS_VAT22", "type": "commodity",
            "paymentType": "full_prepayment",
        }],
    }]
    assert (refund.status, refund.invoicebox_refund_id, refund.request_id) == \
        ("created", REFUND_ID, "req-refund-1")
    assert (refund.amount, refund.vat_amount) == (100000, 18033)
    assert refund.reason == "Leaking package"
    assert refund.staff_id == staff.id and refund.form_token == "form-token-0000000001"
    assert order.status == "partially_refunded"
    calls = db.session.execute(db.select(GatewayCall).order_by(GatewayCall.id)).scalars().all()
    # What is refundable is read to plan the refund, and again once the refund holds the
    # order's one pending slot, just before it is sent.
    assert [(c.method, c.refund_id) for c in calls] == [
        ("GET", None), ("GET", refund.id), ("POST", refund.id)]
    kinds = db.session.execute(db.select(OrderEvent.kind).order_by(OrderEvent.id)).scalars()
    assert list(kinds) == ["refund_created", "status"]


def test_the_refund_is_committed_as_pending_before_the_request(ctx, mocked, app):
    """If the process died mid-request, the refund would be there to reconcile."""
    order, staff = ctx
    serve_refundable(mocked)
    seen = {}

    def answer(request):
        with app.app_context():  # a separate session: only committed rows are visible
            row = db.session.execute(db.select(Refund)).scalar_one()
            seen.update(status=row.status, number=row.merchant_order_id)
        return 200, {"X-Request-Id": "r"}, json.dumps({"data": created_refund("R-261127-TEA01-1")})

    mocked.add_callback(responses.POST, REFUND_URL, callback=answer)
    _refund(order, staff)
    assert seen == {"status": "pending", "number": "R-261127-TEA01-1"}


def test_a_refusal_is_kept_with_the_gateways_words_and_request_id(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, status=422, json=fixture("contract-validation-response.json"),
                headers={"X-Request-Id": "req-422"})
    refund = _refund(order, staff)
    assert refund.status == "rejected" and refund.request_id == "req-422"
    assert refund.error == ("Invoicebox refused the refund: Validation error "
                            "(Unknown sku; This value should not be blank.).")
    assert order.status == "paid"


def test_a_lost_answer_leaves_the_refund_pending(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    refund = _refund(order, staff)
    assert refund.status == "pending" and refund.invoicebox_refund_id is None
    assert "not known yet whether the refund was made" in refund.error
    assert order.status == "paid"


def test_a_pending_refund_is_looked_up_before_anything_else(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    pending = _refund(order, staff)
    # Found at Invoicebox: it is adopted, and the next refund goes ahead as number 2.
    serve_refund_list(mocked, created_refund("R-261127-TEA01-1"))
    mocked.replace(responses.POST, REFUND_URL, json={"data": created_refund(
        "R-261127-TEA01-2", id="017f038f-0000-736d-dc00-8bce30bd0f9f")})
    second = _refund(order, staff, RefundSelection((LineChoice("delivery", 1),)),
                     token="form-token-0000000002")
    assert pending.status == "created" and pending.invoicebox_refund_id == REFUND_ID
    assert second.status == "created" and second.merchant_order_id == "R-261127-TEA01-2"
    lookups = [c.request.url for c in mocked.calls if "filter" in c.request.url]
    assert "merchantOrderId=R-261127-TEA01-1" in lookups[0]
    assert [p["merchantOrderId"] for p in posts(mocked)] == \
        ["R-261127-TEA01-1", "R-261127-TEA01-2"]


def test_a_pending_refund_not_found_blocks_while_it_may_still_arrive(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    pending = _refund(order, staff)
    serve_refund_list(mocked)  # Invoicebox does not know it (yet)
    with pytest.raises(RefundError, match="still waiting for Invoicebox's answer"):
        _refund(order, staff, token="form-token-0000000002")
    assert len(posts(mocked)) == 1

    # Long after the write timeout it is taken as never made, and a new refund may go.
    pending.created_at = now_utc() - timedelta(minutes=5)
    db.session.commit()
    mocked.replace(responses.POST, REFUND_URL, json={"data": created_refund("R-261127-TEA01-2")})
    second = _refund(order, staff, token="form-token-0000000002")
    assert pending.status == "rejected"
    assert pending.error == "Invoicebox has no record of this refund: it was not made."
    assert second.status == "created"


def test_the_same_form_token_makes_one_request(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, json={"data": created_refund("R-261127-TEA01-1")})
    first = _refund(order, staff)
    again = _refund(order, staff, RefundSelection(everything=True))
    assert again.id == first.id
    assert len(posts(mocked)) == 1


def test_refresh_completes_refunds_at_most_every_few_seconds(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, json={"data": created_refund("R-261127-TEA01-1")})
    refund = _refund(order, staff)
    serve_refund_list(mocked, created_refund("R-261127-TEA01-1", status="completed"))

    assert refresh_refunds(order) is True
    assert refund.status == "completed" and refund.completed_at is not None
    lists = [c for c in mocked.calls if "filter" in c.request.url]
    assert "parentId=" + PARENT_ID in lists[0].request.url
    # Nothing is unfinished now: a page view asks nothing; a sync still asks.
    assert refresh_refunds(order) is False
    assert len([c for c in mocked.calls if "filter" in c.request.url]) == 1
    refresh_refunds(order, force=True)
    assert len([c for c in mocked.calls if "filter" in c.request.url]) == 2


def test_refresh_of_an_unfinished_refund_is_rate_limited(ctx, mocked):
    order, staff = ctx
    serve_refundable(mocked)
    mocked.post(REFUND_URL, json={"data": created_refund("R-261127-TEA01-1")})
    _refund(order, staff)
    serve_refund_list(mocked, created_refund("R-261127-TEA01-1"))
    assert refresh_refunds(order) is False  # asked, nothing changed
    assert refresh_refunds(order) is False  # within 5 s: not asked again
    assert len([c for c in mocked.calls if "filter" in c.request.url]) == 1
    db.session.execute(db.update(Order).values(refunds_checked_at=now_utc() - timedelta(seconds=6)))
    db.session.commit()
    refresh_refunds(order)
    assert len([c for c in mocked.calls if "filter" in c.request.url]) == 2


def test_the_order_page_refreshes_and_shows_an_unreachable_gateway_calmly(
        app, staff_client, mocked):
    with app.app_context():
        order = make_order(number="261127-TEA02", lines=(TEA, DELIVERY),
                           invoicebox_order_id=PARENT_ID)
        db.session.add(Refund(order_id=order.id, payment_id=order.payments[0].id,
                              merchant_order_id="R-261127-TEA02-1", status="created",
                              invoicebox_refund_id=REFUND_ID, amount=100000, vat_amount=18033))
        db.session.commit()
    mocked.get(FILTER_URL, body=requests.ConnectionError("down"))
    page = staff_client.get("/staff/orders/261127-TEA02")
    assert page.status_code == 200
    assert "Invoicebox could not be reached to refresh the refunds" in page.get_data(as_text=True)
