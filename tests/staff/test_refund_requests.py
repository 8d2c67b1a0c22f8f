"""The buyer's refund request, from their order page to staff's answer.

The buyer's side runs on orders made straight in the database (nothing is sent to
Invoicebox for a request); staff issuing one runs against the real sandbox, and what
reaches it is read back from the sandbox itself.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.models import (
    Order,
    OutboxMessage,
    Refund,
    RefundLine,
    RefundRequest,
    RefundRequestLine,
)

from .helpers import COFFEE, MUG, make_order

COFFEE_SKU, MUG_SKU = COFFEE[0], MUG[0]


def _order(app, **kwargs) -> tuple[int, str, str]:
    """A paid order (2 coffees, 1 mug): its id, number and public token."""
    with app.app_context():
        order = make_order(**kwargs)
        return order.id, order.number, order.public_token


def _requests(app, order_id: int) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(status, reason, [(sku, quantity)]) of the order's requests, oldest first."""
    with app.app_context():
        found = db.session.execute(
            db.select(RefundRequest).where(RefundRequest.order_id == order_id)
            .order_by(RefundRequest.id)).scalars()
        return [(r.status, r.reason, [(ln.order_line.sku, ln.quantity) for ln in r.lines])
                for r in found]


def _mail(app, order_id: int) -> list[tuple[str, str, dict]]:
    """(kind, recipient, context) of the order's queued mail, oldest first."""
    with app.app_context():
        found = db.session.execute(
            db.select(OutboxMessage).where(OutboxMessage.order_id == order_id)
            .order_by(OutboxMessage.id)).scalars()
        return [(m.kind, m.recipient, m.context) for m in found]


def _form(quantities: dict[str, int], reason: str = "The mug arrived chipped",
          skus=(COFFEE_SKU, MUG_SKU)) -> dict[str, str]:
    data = {"reason": reason}
    for index, sku in enumerate(skus):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = str(quantities.get(sku, 0))
    return data


def test_a_paid_order_offers_a_refund_request_and_stores_it(app, client):
    app.config["STOREFRONT_STAFF_EMAIL"] = "shop-staff@example.com"
    order_id, number, token = _order(app)
    page = client.get(f"/orders/{token}").get_data(as_text=True)
    assert f'href="/orders/{token}/refund"' in page and "Request a refund" in page

    form = client.get(f"/orders/{token}/refund").get_data(as_text=True)
    assert 'max="2"' in form and 'max="1"' in form  # what was bought, nothing refunded yet
    assert "How many to refund: Кружка керамическая" in form

    answer = client.post(f"/orders/{token}/refund", data=_form({MUG_SKU: 1}))
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/orders/{token}"
    assert _requests(app, order_id) == [("open", "The mug arrived chipped", [(MUG_SKU, 1)])]
    # Staff hear of it by mail, queued with the request, with a link to its refund screen.
    [(kind, to, context)] = [m for m in _mail(app, order_id)
                             if m[0] == "refund_request_received"]
    assert to == "shop-staff@example.com" and context["reason"] == "The mug arrived chipped"
    assert context["lines"] == [{"name": "Кружка керамическая, 300 мл", "quantity": 1}]
    assert context["link"].endswith(f"/staff/orders/{number}/refund?request="
                                    f"{_one_request_id(app)}")

    page = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "Your refund request is sent" in page
    assert "waiting for the shop&#39;s answer" in page and "The mug arrived chipped" in page
    assert f'href="/orders/{token}/refund"' not in page  # one open request at a time
    # Nothing went back: the request is only a note to staff.
    with app.app_context():
        assert db.session.get(Order, order_id).status == "paid"
        assert db.session.execute(db.select(db.func.count(Refund.id))).scalar_one() == 0


def _one_request_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(RefundRequest.id)).scalar_one()


def test_an_unpaid_order_offers_no_refund_request(app, client):
    order_id, _, token = _order(app, status="awaiting_payment")
    assert "Request a refund" not in client.get(f"/orders/{token}").get_data(as_text=True)
    answer = client.post(f"/orders/{token}/refund", data=_form({MUG_SKU: 1}))
    assert answer.status_code == 303 and _requests(app, order_id) == []


def _refund(app, order_id: int, status: str, sku: str, quantity: int, unit_price: int) -> None:
    with app.app_context():
        order = db.session.get(Order, order_id)
        total = quantity * unit_price
        db.session.add(Refund(
            order_id=order_id, payment_id=order.paid_payment.id, status=status,
            merchant_order_id=f"R-{order.number}-{status}", amount=total, vat_amount=0,
            reason="earlier", lines=[RefundLine(sku=sku, name=sku, quantity=quantity,
                                                unit_price=unit_price, total=total, vat=0)]))
        db.session.commit()


@pytest.mark.parametrize(("status", "left"), [
    ("created", 1), ("completed", 1),  # taken by a refund: one coffee left
    ("rejected", 2), ("canceled", 2),  # refunds that took nothing
])
def test_what_refunds_took_cannot_be_asked_for_again(app, client, status, left):
    order_id, _, token = _order(app)
    _refund(app, order_id, status, COFFEE_SKU, 1, COFFEE[2])
    form = client.get(f"/orders/{token}/refund").get_data(as_text=True)
    assert f'max="{left}"' in form
    answer = client.post(f"/orders/{token}/refund", data=_form({COFFEE_SKU: 2}))
    if left == 2:
        assert answer.status_code == 303
    else:
        assert answer.status_code == 400
        assert "you can ask for up to 1" in answer.get_data(as_text=True)
        assert _requests(app, order_id) == []


def test_a_refund_on_its_way_holds_requests_back(app, client):
    order_id, _, token = _order(app)
    _refund(app, order_id, "pending", MUG_SKU, 1, MUG[2])
    assert "Request a refund" not in client.get(f"/orders/{token}").get_data(as_text=True)
    assert client.post(f"/orders/{token}/refund", data=_form({COFFEE_SKU: 1})).status_code == 303
    assert _requests(app, order_id) == []


@pytest.mark.parametrize("data", [
    _form({COFFEE_SKU: 3}),  # more than bought
    _form({}),  # nothing chosen
    _form({MUG_SKU: 1}, reason=""),
    _form({MUG_SKU: 1}, reason="   "),
    _form({MUG_SKU: 1}, reason="x" * 1001),
    {**_form({}), "lines-0-quantity": "abc"},
    {**_form({}), "lines-0-quantity": "-1"},
    {**_form({}), "lines-0-quantity": "１"},  # a full-width digit
    {**_form({}), "lines-0-quantity": "9" * 400},
    {**_form({}), "lines-0-quantity": "1.5"},
    {**_form({}), "lines-0-sku": "NO-SUCH-SKU", "lines-0-quantity": "1"},
    {**_form({}), "lines-0-sku": "", "lines-0-quantity": "1"},
    {**_form({}), "lines-0-sku": "x" * 5000, "lines-0-quantity": "1"},
    {**_form({}), "lines-1-sku": COFFEE_SKU, "lines-0-quantity": "1", "lines-1-quantity": "1"},
    {"reason": "why", "lines-99999999999999999999-sku": MUG_SKU,
     "lines-99999999999999999999-quantity": "7"},
    {"reason": "why", "lines-0-quantity": "1"},  # no sku at all
], ids=lambda d: ",".join(f"{k}={str(v)[:12]}" for k, v in d.items())[:80])
def test_hostile_or_wrong_requests_are_refused_with_a_400(app, client, data):
    order_id, _, token = _order(app)
    answer = client.post(f"/orders/{token}/refund", data=data)
    assert answer.status_code == 400
    assert 'class="flash flash-error"' in answer.get_data(as_text=True) \
        or 'class="field-error"' in answer.get_data(as_text=True)
    assert _requests(app, order_id) == []


def test_a_foreign_sku_of_another_order_is_not_requestable(app, client):
    order_id, _, token = _order(app, lines=(MUG,))
    answer = client.post(f"/orders/{token}/refund", data=_form({COFFEE_SKU: 1}))
    assert answer.status_code == 400 and _requests(app, order_id) == []


def test_an_unknown_token_is_a_404(client):
    assert client.get("/orders/" + "x" * 30 + "/refund").status_code == 404
    assert client.post("/orders/" + "x" * 30 + "/refund", data=_form({})).status_code == 404


def test_the_database_keeps_one_open_request_per_order(app):
    order_id, _, _ = _order(app)
    with app.app_context():
        line_id = db.session.get(Order, order_id).lines[0].id
        db.session.add(RefundRequest(order_id=order_id, reason="one", status="open",
                                     lines=[RefundRequestLine(order_line_id=line_id, quantity=1)]))
        db.session.commit()
        db.session.add(RefundRequest(order_id=order_id, reason="two", status="open"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # A declined one does not count: the buyer may ask again.
        db.session.add(RefundRequest(order_id=order_id, reason="old", status="declined"))
        db.session.commit()
        db.session.add(RefundRequestLine(request_id=1, order_line_id=line_id, quantity=0))
        with pytest.raises(IntegrityError):
            db.session.commit()  # a line asks for at least one unit
        db.session.rollback()


def test_a_second_request_is_refused_while_one_is_open(app, client):
    order_id, _, token = _order(app)
    assert client.post(f"/orders/{token}/refund", data=_form({MUG_SKU: 1})).status_code == 303
    answer = client.post(f"/orders/{token}/refund", data=_form({COFFEE_SKU: 1}))
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "cannot be refunded on request now" in page
    assert [r[2] for r in _requests(app, order_id)] == [[(MUG_SKU, 1)]]


# -- staff -----------------------------------------------------------------------------------


def test_staff_list_open_requests_first_with_a_count_in_the_navigation(app, client,
                                                                       staff_client):
    first_id, first, first_token = _order(app)
    _, second, second_token = _order(app)
    client.post(f"/orders/{first_token}/refund", data=_form({MUG_SKU: 1}))
    client.post(f"/orders/{second_token}/refund", data=_form({COFFEE_SKU: 2},
                                                             reason="Too bitter"))
    page = staff_client.get("/staff/orders").get_data(as_text=True)
    assert 'href="/staff/refund-requests">Refund requests <span class="nav-count">2' in page

    listing = staff_client.get("/staff/refund-requests").get_data(as_text=True)
    assert "2 open requests" in listing
    assert listing.index(first) < listing.index(second)  # oldest open first
    with app.app_context():
        request_id = db.session.execute(db.select(RefundRequest.id).where(
            RefundRequest.order_id == first_id)).scalar_one()
    assert f'href="/staff/orders/{first}/refund?request={request_id}"' in listing
    assert "Too bitter" in listing

    # The order's page says so too, and leads to the same pre-filled refund screen.
    order_page = staff_client.get(f"/staff/orders/{first}").get_data(as_text=True)
    assert "The buyer asked for a refund on" in order_page
    assert f'href="/staff/orders/{first}/refund?request={request_id}">Answer the request' \
        in order_page


def test_decline_with_a_message_the_buyer_reads(app, client, staff_client):
    order_id, number, token = _order(app)
    client.post(f"/orders/{token}/refund", data=_form({MUG_SKU: 1}))
    with app.app_context():
        request_id = db.session.execute(db.select(RefundRequest.id)).scalar_one()
    url = f"/staff/refund-requests/{request_id}/decline"
    page = staff_client.get(url).get_data(as_text=True)
    assert "The mug arrived chipped" in page and "Decline the request" in page
    assert staff_client.post(url, data={"message": "  "}).status_code == 422
    assert staff_client.post(url, data={"message": "x" * 1001}).status_code == 422

    answer = staff_client.post(url, data={"message": "Mugs are not returnable once used."})
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/refund-requests"
    assert _requests(app, order_id)[0][0] == "declined"
    buyer = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "declined" in buyer and "Mugs are not returnable once used." in buyer
    [answered] = [m for m in _mail(app, order_id) if m[0] == "refund_request_answered"]
    assert answered[2]["issued"] is False
    assert answered[2]["message"] == "Mugs are not returnable once used."
    # Answered: no second answer, and the buyer may ask again.
    assert staff_client.post(url, data={"message": "again"}).status_code == 302
    assert _requests(app, order_id)[0][0] == "declined"
    assert f'href="/orders/{token}/refund"' in buyer
    nav = staff_client.get("/staff/refund-requests").get_data(as_text=True)
    assert 'class="nav-count"' not in nav and "No open refund requests." in nav
    assert staff_client.get("/staff/refund-requests/999/decline").status_code == 404


def test_the_refund_screen_of_a_request_belongs_to_its_order(app, client, staff_client):
    _, _, token = _order(app)
    _, other, _ = _order(app)
    client.post(f"/orders/{token}/refund", data=_form({MUG_SKU: 1}))
    with app.app_context():
        request_id = db.session.execute(db.select(RefundRequest.id)).scalar_one()
    # Another order's screen ignores it (and hostile values) instead of failing.
    for value in (str(request_id), "abc", "9" * 50, "-1"):
        answer = staff_client.post(f"/staff/orders/{other}/refund", data={
            "form_token": "t" * 24, "reason": "r", "refund_request": value,
            "lines-0-sku": MUG_SKU, "lines-0-quantity": "1", "confirm": "1"})
        assert answer.status_code in (422, 503), (value, answer.status_code)


# -- issuing it, against the sandbox ---------------------------------------------------------


def _buyer_requests(shop, number: str, quantities: dict[str, int]) -> str:
    """The buyer asks for ``quantities`` on their order page; the order's public token."""
    with shop.app.app_context():
        order = shop.order(number)
        token, skus = order.public_token, [line.sku for line in order.lines]
    buyer = shop.app.test_client()
    answer = buyer.post(f"/orders/{token}/refund",
                        data=_form(quantities, reason="The beans were stale", skus=skus))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return token


def _request_id(shop, number: str) -> int:
    with shop.app.app_context():
        return db.session.execute(db.select(RefundRequest.id).join(Order).where(
            Order.number == number).order_by(RefundRequest.id.desc())).scalars().first()


def _issue_from_request(client, number: str, request_id: int):
    """Open the refund screen from the request and send it on as the confirmation does."""
    import re

    page = client.get(f"/staff/orders/{number}/refund?request={request_id}").get_data(
        as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"form_token": token, "confirm": "1", "refund_request": str(request_id),
            "reason": re.search(r'<textarea[^>]*name="reason"[^>]*>\s*([^<]*)</textarea>',
                                page).group(1).strip()}
    skus = re.findall(r'name="lines-\d+-sku" value="([^"]+)"', page)
    values = re.findall(r'name="lines-\d+-quantity"[^>]*?value="(\d+)"', page, re.S)
    for index, (sku, value) in enumerate(zip(skus, values, strict=True)):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = value
    return page, data, client.post(f"/staff/orders/{number}/refund", data=data)


def test_staff_issue_a_request_and_the_buyer_sees_it_refunded(shop):
    number = shop.paid_order({COFFEE_SKU: 2, MUG_SKU: 1})
    token = _buyer_requests(shop, number, {COFFEE_SKU: 1})
    request_id = _request_id(shop, number)
    client = shop.staff_client()

    page, data, answer = _issue_from_request(client, number, request_id)
    assert "The buyer's reason:</strong> The beans were stale" in page
    assert data["reason"] == "The beans were stale"  # pre-filled, staff may edit it
    assert {data[k] for k in data if k.endswith("quantity")} == {"1", "0"}
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    assert answer.headers["Location"] == f"/staff/orders/{number}"

    [remote] = shop.sandbox_refunds(number)
    assert [(line["sku"], line["quantity"]) for line in remote["basketItems"]] == \
        [(COFFEE_SKU, 1)]
    assert Decimal(str(remote["amount"])) == Decimal("890.00")
    with shop.app.app_context():
        request = db.session.get(RefundRequest, request_id)
        assert request.status == "issued" and request.refund is not None
        assert request.refund.invoicebox_refund_id == remote["id"]
        assert request.answered_at is not None

    buyer = shop.app.test_client()
    page = buyer.get(f"/orders/{token}").get_data(as_text=True)
    assert "refund in progress" in page and "data-status-url" in page  # follows it
    with shop.app.app_context():
        order_id = db.session.get(RefundRequest, request_id).order_id
    # The buyer's mail says the request was answered with this refund, once.
    [answered] = [m for m in _mail(shop.app, order_id) if m[0] == "refund_request_answered"]
    assert answered[2]["issued"] is True and answered[2]["amount"] == "890.00"
    shop.sandbox.control(f"refunds/{remote['id']}/complete")
    status = buyer.get(f"/orders/{token}/status").get_json()  # what the page polls
    assert status["state"].endswith(f"{request_id}:issued:completed")
    page = buyer.get(f"/orders/{token}").get_data(as_text=True)
    assert ">refund completed<" in page and "890.00\u00a0₽</span> was refunded" in page
    # The same request cannot be issued twice.
    again = client.get(f"/staff/orders/{number}/refund?request={request_id}").get_data(
        as_text=True)
    assert "This request was already answered." in again
    assert 'name="refund_request" type="hidden" value=""' in again
    # Nor does a copy of its form, sent again with a fresh one-time token.
    resent = client.post(f"/staff/orders/{number}/refund",
                         data={**data, "form_token": "a-fresh-one-time-token-1234"})
    assert resent.status_code == 422
    assert "This refund request was already answered." in resent.get_data(as_text=True)
    assert len(shop.sandbox_refunds(number)) == 1


def test_a_refund_invoicebox_refuses_leaves_the_request_open(shop):
    number = shop.paid_order({COFFEE_SKU: 2})
    _buyer_requests(shop, number, {COFFEE_SKU: 1})
    request_id = _request_id(shop, number)
    # A 429 on the create: refused, provably not made.
    shop.sandbox.scenario("api_429", method="POST", path="/billing/api/order/refund-order")
    _, _, answer = _issue_from_request(shop.staff_client(), number, request_id)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/staff/orders/{number}/refund?request={request_id}"
    with shop.app.app_context():
        request = db.session.get(RefundRequest, request_id)
        assert request.status == "open" and request.refund_id is None
        [refund] = db.session.execute(db.select(Refund)).scalars().all()
        assert refund.status == "rejected"
    assert shop.sandbox_refunds(number) == []
    # Staff may issue it again, and this time it goes through.
    _, _, answer = _issue_from_request(shop.staff_client(), number, request_id)
    assert answer.headers["Location"] == f"/staff/orders/{number}"
    with shop.app.app_context():
        assert db.session.get(RefundRequest, request_id).status == "issued"
