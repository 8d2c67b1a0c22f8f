"""What a Russian shop keeps with an order: the buyer's language and their 152-FZ consent;
and the legal pages and details it shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storefront.extensions import db
from storefront.models import Order
from storefront.shop.forms import PRIVACY_POLICY_VERSION

from .conftest import add_to_cart, open_checkout, submit_checkout


def orders(app) -> list[Order]:
    with app.app_context():
        found = list(db.session.execute(db.select(Order)).scalars())
        db.session.expunge_all()
        return found


def test_no_order_without_consent_to_data_processing(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300")
    token = open_checkout(client)
    response = submit_checkout(client, token, consent="")
    assert response.status_code == 422
    assert "Without your consent to the processing of your personal data" in response.text
    assert orders(app) == [] and invoicebox.created == []
    russian = client.post("/checkout", headers={"Accept-Language": "ru"}, data={
        "customer_type": "private", "full_name": "Анна", "email": "anna@example.ru",
        "phone": "+79001112233", "checkout_token": token})
    assert "Без вашего согласия на обработку персональных данных" in russian.text


def test_the_consent_and_its_policy_version_are_kept_with_the_order(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300")
    before = datetime.now(UTC)
    assert submit_checkout(client, open_checkout(client)).status_code == 303
    [order] = orders(app)
    assert order.consent_version == PRIVACY_POLICY_VERSION
    assert before <= order.consent_at <= datetime.now(UTC)


@pytest.mark.parametrize(("accept", "language"), [("en-US,en;q=0.9", "en"),
                                                   ("ru-RU,ru;q=0.9", "ru"), (None, "ru")])
def test_the_order_keeps_the_buyers_language(app, invoicebox, accept, language):
    client = app.test_client()
    if accept is None:
        client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    else:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    add_to_cart(client, "ceramic-mug-300")
    assert submit_checkout(client, open_checkout(client)).status_code == 303
    [order] = orders(app)
    assert order.language == language


def test_invoicebox_is_asked_for_a_payment_page_in_the_buyers_language(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300")
    submit_checkout(client, open_checkout(client))  # the test client asks for English
    assert invoicebox.created[0]["languageId"] == "en"


def test_the_checkout_shows_the_total_before_the_pay_button(client):
    add_to_cart(client, "french-press-350", 2)
    page = client.get("/checkout").text
    total = page.index('<p class="checkout-total"><span>Total to pay</span>')
    assert "4,980.00\u00a0₽" in page[total:total + 200]
    assert total < page.index('class="button button-primary button-large">Pay with Invoicebox')


def test_the_footer_names_the_seller_and_links_the_legal_pages(make_app):
    app = make_app(STOREFRONT_SELLER_NAME="ООО «Север Кофе»", STOREFRONT_SELLER_INN="7707083893",
                   STOREFRONT_SELLER_OGRN="1027700132195",
                   STOREFRONT_SELLER_ADDRESS="125009, г. Москва, ул. Тверская, д. 1")
    client = app.test_client()
    for path in ("/", "/cart", "/terms", "/privacy", "/staff/login"):
        page = client.get(path, headers={"Accept-Language": "ru"}).text
        assert "ООО «Север Кофе» · ИНН 7707083893 · ОГРН 1027700132195" in page, path
        assert '<a href="/terms">Публичная оферта</a>' in page
        assert '<a href="/privacy">Политика конфиденциальности</a>' in page
    privacy = client.get("/privacy").text
    assert "Privacy policy" in privacy and PRIVACY_POLICY_VERSION in privacy
    assert "152-FZ" in privacy and "ООО «Север Кофе»" in privacy
    assert "Публичная оферта" in client.get("/terms", headers={"Accept-Language": "ru"}).text
