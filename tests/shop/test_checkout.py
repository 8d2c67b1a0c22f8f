"""Checkout against a faked Invoicebox: the request sent, the rows saved, every failure mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from storefront.extensions import db
from storefront.models import GatewayCall, Order, OrderEvent, Payment
from tests.support.shop import order_snapshot

from .conftest import PAY_BASE, add_to_cart, buy, open_checkout, submit_checkout

COMPANY = {
    "customer_type": "legal",
    "full_name": "ООО «Ромашка»",
    "email": "buh@romashka.example",
    "phone": "8 495 123-45-67",
    "inn": "7707 083 893",
    "kpp": "773601001",
    "address": "117997, г. Москва, ул. Вавилова, д. 19",
}


def only_order(app) -> Order:
    return order_snapshot(app)


def events(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(OrderEvent.kind).order_by(OrderEvent.id))
                    .scalars())


def test_checkout_creates_the_invoicebox_order_and_sends_the_buyer_there(app, client,
                                                                           invoicebox):
    add_to_cart(client, "french-press-350", 2)
    add_to_cart(client, "barista-guide-book")
    add_to_cart(client, "courier-delivery-moscow")
    before = datetime.now(UTC)
    response = submit_checkout(client, open_checkout(client))

    order = only_order(app)
    payment = order.payments[0]
    sent = invoicebox.created[0]
    assert response.status_code == 303
    assert response.headers["Location"] == payment.payment_url
    assert payment.payment_url.startswith(PAY_BASE)
    assert sent == {
        "merchantId": "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "merchantOrderId": f"{order.number}-1",
        "merchantOrderIdVisible": order.number,
        "description": f"Заказ № {order.number}, Sever Coffee Roasters",
        "amount": 6820.0,
        "vatAmount": 1100.18,
        "currencyId": "RUB",
        "languageId": "en",  # the language the buyer shopped in (the tests ask for English)
        "expirationDate": sent["expirationDate"],
        "basketItems": [
            {"sku": "FP-GLS-350", "name": "Френч-пресс из боросиликатного стекла, 350 мл",
             "measure": "шт", "measureCode": "796", "quantity": 2, "amount": 2490.0,
             "amountWoVat": 2040.98, "totalAmount": 4980.0, "totalVatAmount": 898.03,
             "vatCode": "RUS_VAT22", "type": "commodity", "paymentType": "full_prepayment"},
            {"sku": "BK-BARISTA", "name": "Книга «Кофе. Путеводитель бариста», твёрдый переплёт",
             "measure": "шт", "measureCode": "796", "quantity": 1, "amount": 1450.0,
             "amountWoVat": 1318.18, "totalAmount": 1450.0, "totalVatAmount": 131.82,
             "vatCode": "RUS_VAT10", "type": "commodity", "paymentType": "full_prepayment"},
            {"sku": "delivery", "name": "Доставка курьером по Москве в пределах МКАД",
             "measure": "шт", "measureCode": "796", "quantity": 1, "amount": 390.0,
             "amountWoVat": 319.67, "totalAmount": 390.0, "totalVatAmount": 70.33,
             "vatCode": "RUS_VAT22", "type": "service", "paymentType": "full_prepayment"},
        ],
        "customer": {"type": "private", "name": "Анна Смирнова", "email": "anna@example.ru",
                     "phone": "79001112233"},
        "notificationUrl": "http://shop.test/invoicebox/notification",
        "successUrl": f"http://shop.test/orders/{order.public_token}/success",
        "failUrl": f"http://shop.test/orders/{order.public_token}/failed",
        "returnUrl": f"http://shop.test/orders/{order.public_token}",
    }
    expires = datetime.fromisoformat(sent["expirationDate"])
    assert timedelta(hours=23, minutes=59) < expires - before < timedelta(hours=24, minutes=1)

    assert (order.status, order.amount, order.vat_amount) == ("awaiting_payment", 682000, 110018)
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.total, ln.vat) for ln in order.lines] == [
        ("FP-GLS-350", 2, 249000, 498000, 89803),
        ("BK-BARISTA", 1, 145000, 145000, 13182),
        ("delivery", 1, 39000, 39000, 7033),
    ]
    assert (payment.attempt, payment.status, payment.amount) == (1, "created", 682000)
    assert payment.merchant_order_id == f"{order.number}-1"
    assert payment.invoicebox_order_id == invoicebox.order_for(payment.merchant_order_id)["id"]
    assert len(order.public_token) >= 40 and order.checkout_token
    assert events(app) == ["placed", "payment_started", "payment_created"]
    with app.app_context():
        calls = db.session.execute(db.select(GatewayCall)).scalars().all()
        assert [(c.method, c.path, c.http_status, c.outcome, c.order_id) for c in calls] == [
            ("POST", "/v3/billing/api/order/order", 200, "ok", order.id)]
        assert calls[0].request_id
    assert client.get("/cart").text.count('name="quantity"') == 0  # the cart was emptied


@pytest.mark.parametrize(
    ("fields", "customer"),
    [
        (COMPANY, {"type": "legal", "name": "ООО «Ромашка»", "email": "buh@romashka.example",
                   "phone": "74951234567", "vatNumber": "7707083893",
                   "taxRegistrationReasonCode": "773601001",
                   "registrationAddress": "117997, г. Москва, ул. Вавилова, д. 19"}),
        ({**COMPANY, "full_name": "ИП Петров Пётр Петрович", "inn": "500100732259", "kpp": ""},
         {"type": "legal", "name": "ИП Петров Пётр Петрович", "email": "buh@romashka.example",
          "phone": "74951234567", "vatNumber": "500100732259",
          "registrationAddress": "117997, г. Москва, ул. Вавилова, д. 19"}),
        ({"inn": "7707083893", "kpp": "773601001", "address": "somewhere"},
         {"type": "private", "name": "Анна Смирнова", "email": "anna@example.ru",
          "phone": "79001112233"}),
    ],
    ids=["organisation", "sole-trader", "individual-ignores-company-fields"],
)
def test_the_customer_block(app, client, invoicebox, fields, customer):
    assert buy(client, **fields).status_code == 303
    assert invoicebox.created[0]["customer"] == customer


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "Enter your full name"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"email": ""}, "email", "Enter your email address"),
        ({"phone": "12345"}, "phone", "Enter a phone number with its area code"),
        ({"phone": "call me"}, "phone", "Enter a phone number with its area code"),
        ({"phone": "+7 ٩٠٠ ١١١-٢٢-٣٣"}, "phone", "Enter a phone number with its area code"),
        ({"phone": "+7 000 111-22-33"}, "phone", "Enter a phone number with its area code"),
        ({"customer_type": "martian"}, "customer_type", "Not a valid choice"),
        ({**COMPANY, "inn": ""}, "inn", "Enter the company&#39;s INN"),
        ({**COMPANY, "inn": "77070838"}, "inn", "An INN has 10 digits"),
        ({**COMPANY, "inn": "7707083894"}, "inn", "check digits do not match"),
        ({**COMPANY, "inn": "500100732258", "kpp": ""}, "inn", "check digits do not match"),
        ({**COMPANY, "kpp": ""}, "kpp", "Enter the organisation&#39;s KPP"),
        ({**COMPANY, "kpp": "77360100"}, "kpp", "A KPP has 9 characters"),
        ({**COMPANY, "kpp": "٧٧٣٦01٠٠١"}, "kpp", "A KPP has 9 characters"),
        ({**COMPANY, "inn": "７７０７０８３８９３"}, "inn", "An INN has 10 digits"),
        ({**COMPANY, "inn": "500100732259"}, "kpp", "A sole trader has no KPP"),
        ({**COMPANY, "address": ""}, "address", "Enter the company&#39;s legal address"),
    ],
)
def test_invalid_details_are_shown_next_to_the_field_and_nothing_is_saved(
    app, client, invoicebox, fields, field, message
):
    add_to_cart(client, "ceramic-mug-300")
    token = open_checkout(client)
    response = submit_checkout(client, token, **fields)
    assert response.status_code == 422
    errors = response.text.split(f'id="{field}-errors"', 1)
    if field == "customer_type":
        assert message in response.text
    else:
        assert len(errors) == 2 and unescape(message) in unescape(errors[1].split("</ul>")[0])
    assert 'value="Анна Смирнова"' in response.text or fields.get("full_name") is not None
    assert f'value="{token}"' in response.text  # the same form, so still one order at most
    assert invoicebox.created == []
    with app.app_context():
        assert db.session.execute(db.select(Order)).first() is None


def test_typed_input_is_kept_after_an_error(client, invoicebox):
    add_to_cart(client, "ceramic-mug-300")
    response = submit_checkout(client, open_checkout(client), **{**COMPANY, "kpp": "bad"})
    assert 'value="ООО «Ромашка»"' in response.text
    assert 'value="buh@romashka.example"' in response.text
    assert 'value="8 495 123-45-67"' in response.text
    assert 'value="7707083893"' in response.text
    assert "ул. Вавилова, д. 19</textarea>" in response.text
    assert re.search(r'<input checked [^>]*value="legal"', response.text)


def test_the_same_form_submitted_twice_makes_one_order(app, client, invoicebox):
    add_to_cart(client, "french-press-350")
    token = open_checkout(client)
    first = submit_checkout(client, token)
    second = submit_checkout(client, token)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(invoicebox.created) == 1
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Order.id))).scalar_one() == 1


def test_a_definite_rejection_fails_the_attempt_and_a_retry_makes_a_new_one(app, client,
                                                                              invoicebox):
    invoicebox.create_mode = "reject"
    response = buy(client)
    order = only_order(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.public_token}"
    assert order.status == "new"
    assert [(p.attempt, p.status) for p in order.payments] == [(1, "failed")]
    page = client.get(response.headers["Location"]).text
    assert "Invoicebox could not accept the payment" in page
    assert "nothing has been charged" in page
    assert ">Try again</button>" in page

    invoicebox.create_mode = "accept"
    retry = client.post(f"/orders/{order.public_token}/pay")
    order = only_order(app)
    assert retry.status_code == 303 and retry.headers["Location"] == order.payments[1].payment_url
    assert [(p.attempt, p.status) for p in order.payments] == [(1, "failed"), (2, "created")]
    assert [body["merchantOrderId"] for body in invoicebox.created] == [
        f"{order.number}-1", f"{order.number}-2"]
    assert order.status == "awaiting_payment"


def test_a_500_is_looked_up_at_once_and_believed_absent(app, client, invoicebox):
    invoicebox.create_mode = "error500"
    response = buy(client)
    order = only_order(app)
    assert response.headers["Location"] == f"/orders/{order.public_token}"
    assert "We could not reach Invoicebox" in client.get(response.headers["Location"]).text
    assert [(p.attempt, p.status) for p in order.payments] == [(1, "failed")]
    assert invoicebox.reads == 1  # the reconciliation
    assert events(app) == ["placed", "payment_started", "payment_unknown", "payment_failed"]

    invoicebox.create_mode = "accept"
    retry = client.post(f"/orders/{order.public_token}/pay")
    assert retry.status_code == 303 and retry.headers["Location"].startswith(PAY_BASE)
    assert len(invoicebox.created) == 2


def test_a_timeout_that_did_create_the_order_is_adopted_not_repeated(app, client, invoicebox):
    invoicebox.create_mode = "timeout_created"
    response = buy(client)
    order = only_order(app)
    assert response.headers["Location"] == f"/orders/{order.public_token}"
    assert [(p.attempt, p.status) for p in order.payments] == [(1, "pending")]
    page = client.get(response.headers["Location"]).text
    assert "We could not reach Invoicebox" in page and ">Try again</button>" in page

    invoicebox.create_mode = "accept"
    retry = client.post(f"/orders/{order.public_token}/pay")
    remote = invoicebox.order_for(f"{order.number}-1")
    assert retry.status_code == 303 and retry.headers["Location"] == remote["paymentUrl"]
    order = only_order(app)
    assert [(p.attempt, p.status, p.invoicebox_order_id) for p in order.payments] == [
        (1, "created", remote["id"])]
    assert order.status == "awaiting_payment"
    assert len(invoicebox.created) == 1
    assert "payment_adopted" in events(app)


def test_an_absent_order_after_a_timeout_is_only_retried_once_settled(app, client, invoicebox):
    invoicebox.create_mode = "timeout"
    buy(client)
    order = only_order(app)
    invoicebox.create_mode = "accept"

    too_soon = client.post(f"/orders/{order.public_token}/pay")
    assert "still confirming your payment" in client.get(too_soon.headers["Location"]).text
    assert len(invoicebox.created) == 1
    assert [p.status for p in only_order(app).payments] == ["pending"]

    with app.app_context():  # the gateway has had time to finish; the order never appeared
        db.session.execute(db.update(Payment).values(
            created_at=datetime.now(UTC) - timedelta(minutes=5)))
        db.session.commit()
    settled = client.post(f"/orders/{order.public_token}/pay")
    assert settled.status_code == 303 and settled.headers["Location"].startswith(PAY_BASE)
    assert [(p.attempt, p.status) for p in only_order(app).payments] == [
        (1, "failed"), (2, "created")]


def test_pay_reuses_a_payable_order_after_checking_it(app, client, invoicebox):
    first = buy(client)
    order = only_order(app)
    again = client.post(f"/orders/{order.public_token}/pay")
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(invoicebox.created) == 1 and invoicebox.reads == 1


@pytest.mark.parametrize(("remote_status", "order_status"),
                         [("expired", "expired"), ("canceled", "new")])
def test_pay_makes_a_new_attempt_when_the_last_can_no_longer_be_paid(
    app, client, invoicebox, remote_status, order_status
):
    buy(client)
    order = only_order(app)
    invoicebox.set_status(f"{order.number}-1", remote_status)
    again = client.post(f"/orders/{order.public_token}/pay")
    order = only_order(app)
    assert [(p.attempt, p.status) for p in order.payments] == [(1, remote_status), (2, "created")]
    assert again.headers["Location"] == order.payments[1].payment_url
    assert order.status == "awaiting_payment"
    assert f"payment_{remote_status}" in events(app)


def test_pay_on_an_order_paid_meanwhile_says_so(app, client, invoicebox):
    buy(client)
    order = only_order(app)
    invoicebox.set_status(f"{order.number}-1", "completed", paidAt="2026-01-01T10:05:00+00:00")
    again = client.post(f"/orders/{order.public_token}/pay")
    assert again.headers["Location"] == f"/orders/{order.public_token}"
    assert "already paid" in client.get(again.headers["Location"]).text
    assert only_order(app).status == "paid"
    assert len(invoicebox.created) == 1


def test_the_checkout_form_needs_its_csrf_token(make_app, invoicebox):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/products/french-press-350").text
    csrf = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    add_to_cart(client, "french-press-350", csrf_token=csrf)
    token = open_checkout(client)
    assert submit_checkout(client, token).status_code == 400
    assert invoicebox.created == []
    assert submit_checkout(client, token, csrf_token=csrf).status_code == 303
    assert len(invoicebox.created) == 1


def test_after_a_failure_the_cart_page_leads_back_to_the_saved_order(app, client, invoicebox):
    invoicebox.create_mode = "error500"
    buy(client, (("french-press-350", 2),))
    order = only_order(app)
    cart = client.get("/cart").text
    assert f'<a href="/orders/{order.public_token}">{order.number}</a>' in cart
    assert "is saved and waiting for payment" in cart
    with app.app_context():
        db.session.execute(db.update(Order).values(status="paid"))
        db.session.commit()
    assert order.number not in client.get("/cart").text
