"""The orders list and the order page with its merged history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import GatewayCall, Notification, OrderEvent, Refund, RefundLine, now_utc

from .helpers import COFFEE, MUG, make_order, statements

NBSP = "\u00a0"


def _numbers(page: str) -> list[str]:
    return re.findall(r'href="/staff/orders/([^"]+)"', page)


@pytest.fixture
def orders(app):
    """Three orders of different statuses, newest last."""
    with app.app_context():
        start = now_utc() - timedelta(hours=3)
        made = [
            make_order(number="261127-PAID1", status="paid", email="maria@mail.ru",
                       created_at=start),
            make_order(number="261127-WAIT1", status="awaiting_payment",
                       email="ivan@yandex.ru", created_at=start + timedelta(hours=1)),
            make_order(number="261127-REF01", status="refunded", lines=(MUG,),
                       email="olga%x@mail.ru", created_at=start + timedelta(hours=2)),
        ]
        return [order.number for order in made]


def test_the_list_shows_newest_orders_first_with_their_details(staff_client, orders):
    page = staff_client.get("/staff/orders").get_data(as_text=True)
    assert _numbers(page) == ["261127-REF01", "261127-WAIT1", "261127-PAID1"]
    assert f"1,290.00{NBSP}₽" in page  # the mug order
    assert "olga%x@mail.ru" in page and "Мария Иванова" in page
    for label in ("paid", "awaiting payment", "refunded"):
        assert f">{label}</span>" in page


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "paid"}, ["261127-PAID1"]),
    ({"status": "awaiting_payment"}, ["261127-WAIT1"]),
    ({"status": "canceled"}, []),
    ({"q": "wait1"}, ["261127-WAIT1"]),
    ({"q": "yandex"}, ["261127-WAIT1"]),
    ({"q": "%"}, ["261127-REF01"]),  # literal, not a wildcard
    ({"q": "mail.ru", "status": "paid"}, ["261127-PAID1"]),
    ({"status": "no-such-status"}, ["261127-REF01", "261127-WAIT1", "261127-PAID1"]),
])
def test_the_list_filters_by_status_and_searches_number_or_email(
        staff_client, orders, query, expected):
    response = staff_client.get("/staff/orders", query_string=query)
    assert response.status_code == 200
    assert _numbers(response.get_data(as_text=True)) == expected


def test_the_list_is_paginated(app, staff_client):
    with app.app_context():
        for n in range(27):
            make_order(number=f"261127-N{n:04d}", lines=(MUG,),
                       created_at=now_utc() - timedelta(minutes=n))
    first = staff_client.get("/staff/orders").get_data(as_text=True)
    assert len(_numbers(first)) == 25 and "27 orders" in first
    assert 'href="/staff/orders?after=261127-N0024" rel="next"' in first
    second = staff_client.get("/staff/orders?after=261127-N0024").get_data(as_text=True)
    assert _numbers(second) == ["261127-N0025", "261127-N0026"]
    assert 'href="/staff/orders?before=261127-N0025" rel="prev"' in second
    assert 'rel="next"' not in second
    # A link to an order that does not exist shows the first page.
    unknown = staff_client.get("/staff/orders?after=261127-NOPE0")
    assert unknown.status_code == 200 and _numbers(unknown.get_data(as_text=True))[0] == (
        "261127-N0000")


def test_an_unknown_order_is_a_404(staff_client):
    assert staff_client.get("/staff/orders/261127-NOPE0").status_code == 404


def test_the_order_page_shows_lines_customer_and_the_invoicebox_order(app, staff_client):
    with app.app_context():
        order = make_order(number="261127-SHOW1",
                           invoicebox_order_id="0198a1b2-0000-7000-8000-00000000abcd")
        payment_url = order.payments[0].payment_url
    page = staff_client.get("/staff/orders/261127-SHOW1").get_data(as_text=True)
    assert COFFEE[1] in page and MUG[1] in page
    assert "CB-ETH-250" in page and f"890.00{NBSP}₽" in page
    assert "Мария Иванова" in page and "buyer@mail.ru" in page and "+7 900 111-22-33" in page
    assert "0198a1b2-0000-7000-8000-00000000abcd" in page
    assert f'href="{payment_url}"' in page
    assert f"3,070.00{NBSP}₽" in page  # 2 × 890 + 1 290


def test_actions_depend_on_the_status(app, staff_client):
    with app.app_context():
        make_order(number="261127-PAID2", status="paid")
        make_order(number="261127-WAIT2", status="awaiting_payment")
    paid = staff_client.get("/staff/orders/261127-PAID2").get_data(as_text=True)
    waiting = staff_client.get("/staff/orders/261127-WAIT2").get_data(as_text=True)
    assert 'href="/staff/orders/261127-PAID2/refund">Refund</a>' in paid
    assert "Cancel order" not in paid
    assert 'href="/staff/orders/261127-WAIT2/cancel">Cancel order</a>' in waiting
    assert "/staff/orders/261127-WAIT2/refund" not in waiting
    for page in (paid, waiting):
        assert "Sync with Invoicebox" in page


def test_the_history_merges_everything_in_time_order(app, staff_client):
    body = b'{"id":"0198a1b2","status":"completed","amount":3070}'
    with app.app_context():
        order = make_order(number="261127-HIST1")
        t0 = now_utc() - timedelta(minutes=10)
        db.session.add_all([
            OrderEvent(order_id=order.id, kind="placed", message="Order placed by the buyer.",
                       created_at=t0),
            GatewayCall(order_id=order.id, method="POST", path="/v3/billing/api/order/order",
                        http_status=200, request_id="req-create-1", outcome="ok",
                        created_at=t0 + timedelta(seconds=1)),
            Notification.of_body(body, order_id=order.id, signature_valid=True,
                                 gateway_status="completed", reply_status="success",
                                 received_at=t0 + timedelta(minutes=2)),
            Notification.of_body(b"<garbage>", order_id=order.id, signature_valid=False,
                                 reply_status="error", reply_code="signature_error",
                                 received_at=t0 + timedelta(minutes=3)),
            Refund(order_id=order.id, payment_id=order.payments[0].id,
                   merchant_order_id="R-261127-HIST1-1", amount=129000, vat_amount=23262,
                   status="completed", reason="Broken in delivery",
                   created_at=t0 + timedelta(minutes=4),
                   completed_at=t0 + timedelta(minutes=5)),
        ])
        db.session.commit()
    page = staff_client.get("/staff/orders/261127-HIST1").get_data(as_text=True)
    history = page[page.index("<h2>History</h2>"):]
    markers = ["Order placed by the buyer.", "req-create-1", "signature_error",
               "R-261127-HIST1-1</code> of", "R-261127-HIST1-1</code> completed"]
    positions = [history.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert "POST /v3/billing/api/order/order" in history
    assert "<details>" in history and "&#34;status&#34;:&#34;completed&#34;" in history
    assert "&lt;garbage&gt;" in history  # raw bodies are escaped, never rendered
    assert "bad signature" in history


def test_the_history_shows_what_is_left_of_a_body_that_was_not_kept(app, staff_client):
    with app.app_context():
        order = make_order(number="261127-HIST2")
        db.session.add(Notification(
            order_id=order.id, raw_body=None, body_size=60_000, body_sha256="ab" * 32,
            body_head=b"<script>\xff", signature_valid=False, reply_status="error",
            reply_code="signature_error"))
        db.session.commit()
    page = staff_client.get("/staff/orders/261127-HIST2")
    assert page.status_code == 200
    history = page.get_data(as_text=True)
    history = history[history.index("<h2>History</h2>"):]
    assert "60000 bytes" in history and f"<code>{'ab' * 32}</code>" in history
    assert "<pre>&lt;script&gt;\ufffd</pre>" in history  # escaped, undecodable bytes replaced
    assert "Not kept" in history


def test_the_order_page_reads_the_refunds_once_with_all_their_lines(app, staff_client):
    """As many statements for three refunds as for one: no query per refund."""
    seen = {}
    for refunds in (1, 3):
        with app.app_context():
            order = make_order(number=f"261127-RFND{refunds}", status="partially_refunded")
            for k in range(refunds):
                db.session.add(Refund(
                    order_id=order.id, payment_id=order.payments[0].id,
                    merchant_order_id=f"R-{order.number}-{k + 1}", amount=218000,
                    vat_amount=39311, status="completed", reason="Returned",
                    completed_at=now_utc(),
                    lines=[RefundLine(sku=sku, name=name, quantity=1, unit_price=price,
                                      total=price, vat=round(price * 22 / 122))
                           for sku, name, price, _, _ in (COFFEE, MUG)]))
            db.session.commit()
        with statements(app) as sent:
            page = staff_client.get(f"/staff/orders/261127-RFND{refunds}").get_data(as_text=True)
        assert page.count(f"{MUG[1]}: 1 ×") == refunds
        seen[refunds] = [statement for statement, _ in sent]
    assert len(seen[3]) == len(seen[1])
    assert sum("FROM refund_line" in statement for statement in seen[3]) == 1
    assert sum(statement.startswith("SELECT refund.id, refund.order_id")
               for statement in seen[3]) == 1

