"""Staff safeguards: cancel and refund act only from a page that restates what will happen;
the Amounts card; the order page following an unfinished refund by itself."""

from __future__ import annotations

from storefront.extensions import db
from storefront.models import OrderEvent, Refund

from .live import ShopOnSandbox, refund_data, refund_form

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"


def _refunds(shop: ShopOnSandbox, number: str) -> list[Refund]:
    with shop.app.app_context():
        order_id = shop.order(number).id
        return list(db.session.execute(
            db.select(Refund).where(Refund.order_id == order_id)).scalars())


def test_a_refund_is_first_restated_and_nothing_is_sent(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    data = refund_data(token, skus, {COFFEE: 1})
    del data["confirm"]  # "Issue refund" on the refund screen
    page = client.post(f"/staff/orders/{number}/refund", data=data)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Confirm the refund of order {number}" in text
    assert "890.00\u00a0₽</span> goes back to the buyer, Мария Иванова." in text
    assert "Кофе в зёрнах «Эфиопия Иргачеффе», свежая обжарка, 250 г" in text
    assert "Кружка" not in text  # only what is refunded
    assert ">Confirm refund of 890.00\u00a0₽</button>" in text
    assert 'name="confirm" value="1"' in text and f'value="{token}"' in text
    assert _refunds(shop, number) == [] and shop.sandbox_refunds(number) == []

    russian = client.post(f"/staff/orders/{number}/refund", data=data,
                          headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Подтвердить возврат 890,00\u00a0₽" in russian

    done = client.post(f"/staff/orders/{number}/refund", data={**data, "confirm": "1"})
    assert done.status_code == 302
    assert [r.amount for r in _refunds(shop, number)] == [89000]


def test_a_refund_without_a_reason_is_not_restated(shop):
    number = shop.paid_order({COFFEE: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    data = refund_data(token, skus, {COFFEE: 1}, reason="")
    del data["confirm"]
    page = client.post(f"/staff/orders/{number}/refund", data=data)
    assert page.status_code == 422 and "Say why the money goes back." in page.get_data(
        as_text=True)


def test_cancel_asks_for_a_reason_and_keeps_it_in_the_history(shop):
    number = shop.unpaid_order({COFFEE: 1})
    client = shop.staff_client()
    ask = client.get(f"/staff/orders/{number}/cancel").get_data(as_text=True)
    assert f"Cancel order {number}" in ask and "890.00\u00a0₽" in ask
    assert "Invoicebox will no longer take a payment for it" in ask

    refused = client.post(f"/staff/orders/{number}/cancel", data={"reason": "  "})
    assert refused.status_code == 422
    assert "Say why the order is canceled." in refused.get_data(as_text=True)
    with shop.app.app_context():
        assert shop.order(number).status == "awaiting_payment"

    done = client.post(f"/staff/orders/{number}/cancel",
                       data={"reason": "The buyer asked by phone"})
    assert done.status_code == 302
    with shop.app.app_context():
        order = shop.order(number)
        assert order.status == "canceled"
        kinds = list(db.session.execute(db.select(OrderEvent.kind, OrderEvent.data).where(
            OrderEvent.order_id == order.id).order_by(OrderEvent.id)))
    assert kinds[-1] == ("order_canceled", {"reason": "The buyer asked by phone"})
    page = client.get(f"/staff/orders/{number}", headers={"Accept-Language": "ru"})
    text = page.get_data(as_text=True)
    assert "Заказ отменён" in text and "Reason: The buyer asked by phone" in text
    assert f"Order {number} canceled. Invoicebox will not take a payment for it." in text


def test_amounts_show_refunded_and_net_and_the_page_follows_the_refund(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    token, skus = refund_form(client, number)
    client.post(f"/staff/orders/{number}/refund", data=refund_data(token, skus, {MUG: 1}))
    page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "<dt>Refunded</dt><dd><span class=\"money\">1,190.00\u00a0₽</span>" in page
    assert "<dt>Net</dt><dd><strong><span class=\"money\">1,780.00\u00a0₽</span>" in page
    assert f'data-status-url="/staff/orders/{number}/refunds/status"' in page
    assert "<th scope=\"col\">Expires</th>" not in page  # paid: the link's expiry is moot
    # The history writes the refund's amount as the rest of the page does.
    assert f"Refund R-{number}-1 (1,190.00\u00a0₽) created at Invoicebox" in page
    assert "1190.00 RUB" not in page

    status = client.get(f"/staff/orders/{number}/refunds/status").get_json()
    [refund] = _refunds(shop, number)
    assert status == {"state": f"partially_refunded;{refund.id}:created",
                      "status": "partially_refunded"}
    shop.sandbox.control(f"refunds/{refund.invoicebox_refund_id}/complete")
    client.post(f"/staff/orders/{number}/sync")
    after = client.get(f"/staff/orders/{number}/refunds/status").get_json()
    assert after["state"] == f"partially_refunded;{refund.id}:completed"
    assert "data-status-url" not in client.get(f"/staff/orders/{number}").get_data(as_text=True)


def test_history_lines_write_amounts_in_the_pages_language(app):
    from storefront.staff.formatting import journal_text

    line = "Refund R-261130-AB12C-1 (12490.50 RUB) completed: the money is back"
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert journal_text(line) == ("Refund R-261130-AB12C-1 (12\u00a0490,50\u00a0₽) "
                                      "completed: the money is back")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "(12,490.50\u00a0₽)" in journal_text(line)
        assert journal_text("Order 261130-AB12C placed by the buyer.") == (
            "Order 261130-AB12C placed by the buyer.")
