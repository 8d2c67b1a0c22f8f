"""The cart: prices always from the catalog, quantities within 1..99, kept in the session."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from storefront.invoicebox import Basket

from .conftest import add_to_cart

NBSP = "\u00a0"


def cart_lines(client) -> list[tuple[str, int]]:
    """(slug, quantity) as the cart page shows them, in order."""
    page = client.get("/cart").text
    return [(slug, int(qty)) for slug, qty in re.findall(
        r'id="qty-([a-z0-9-]+)" name="quantity" type="number" min="1" max="99" value="(\d+)"',
        page)]


def test_add_change_and_remove(client):
    response = add_to_cart(client, "french-press-350", 2, next="/")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    add_to_cart(client, "ethiopia-yirgacheffe-250")
    add_to_cart(client, "french-press-350")
    assert cart_lines(client) == [("french-press-350", 3), ("ethiopia-yirgacheffe-250", 1)]

    response = client.post("/cart/update", data={"product": "french-press-350", "quantity": "5"})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert cart_lines(client) == [("french-press-350", 5), ("ethiopia-yirgacheffe-250", 1)]

    client.post("/cart/remove", data={"product": "french-press-350"})
    assert cart_lines(client) == [("ethiopia-yirgacheffe-250", 1)]


def test_the_cart_survives_between_requests_in_the_session(client):
    add_to_cart(client, "ceramic-mug-300", 2)
    with client.session_transaction() as session:
        assert session["cart"] == [["ceramic-mug-300", 2]]
    assert "Cart" in client.get("/").text
    assert cart_lines(client) == [("ceramic-mug-300", 2)]


def test_totals_and_vat_are_the_basket_arithmetic(client):
    add_to_cart(client, "french-press-350", 2)  # 2 x 2490.00 at 22 %
    add_to_cart(client, "barista-guide-book", 1)  # 1450.00 at 10 %
    add_to_cart(client, "brewing-lesson-1h", 3)  # 3 x 2500.00, no VAT
    expected = Basket()
    expected.add(sku="a", name="a", unit_price=Decimal("2490.00"), quantity=2,
                 vat_code="RUS_VAT22")
    expected.add(sku="b", name="b", unit_price=Decimal("1450.00"), quantity=1,
                 vat_code="RUS_VAT10")
    expected.add(sku="c", name="c", unit_price=Decimal("2500.00"), quantity=3,
                 vat_code="VATNONE")
    assert expected.amount == Decimal("13930.00")
    assert expected.vat_amount == Decimal("1029.85")  # 898.03 + 131.82

    page = client.get("/cart").text
    assert f"13,930.00{NBSP}₽" in page
    cell = '</th><td class="num"><span class="money">'
    assert f"including VAT 22{NBSP}%{cell}898.03{NBSP}₽" in page
    assert f"including VAT 10{NBSP}%{cell}131.82{NBSP}₽" in page
    assert "Not subject to VAT" in page

    russian = client.get("/cart", headers={"Accept-Language": "ru"}).text
    assert f"13{NBSP}930,00{NBSP}₽" in russian
    assert f"в т. ч. НДС 22{NBSP}%{cell}898,03{NBSP}₽" in russian
    assert "НДС не облагается" in russian


def test_a_posted_price_is_ignored(client):
    add_to_cart(client, "french-press-350", 1, price="1.00", amount="1", unit_price="100")
    page = client.get("/cart").text
    assert f"2,490.00{NBSP}₽" in page
    assert "1.00" not in page


@pytest.mark.parametrize("quantity", [
    "0", "-1", "100", "1000", "", "two", "1.5",
    "٣", "３", "1_0", "9" * 5000,  # other scripts' digits, an underscore, no end of digits
])
def test_quantities_outside_1_to_99_are_refused(client, quantity):
    response = add_to_cart(client, "french-press-350", quantity)  # type: ignore[arg-type]
    assert response.status_code == 303
    assert cart_lines(client) == []
    add_to_cart(client, "french-press-350", 1)
    response = client.post("/cart/update", data={"product": "french-press-350",
                                                 "quantity": quantity})
    assert response.status_code == 303
    assert cart_lines(client) == [("french-press-350", 1)]


def test_adding_beyond_99_in_total_is_refused_with_a_message(client):
    add_to_cart(client, "ceramic-mug-300", 60)
    response = add_to_cart(client, "ceramic-mug-300", 40)
    assert response.status_code == 303
    page = client.get("/cart").text
    assert "between 1 and 99" in page
    assert cart_lines(client) == [("ceramic-mug-300", 60)]


def test_an_unknown_product_cannot_be_added(client):
    assert add_to_cart(client, "no-such-thing").status_code == 404
    assert add_to_cart(client, "../../etc").status_code == 303  # not even looked up
    assert cart_lines(client) == []


def test_next_never_leads_to_another_site(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = add_to_cart(client, "ceramic-mug-300", next=target)
        assert response.headers["Location"] == "/cart"


def test_a_tampered_session_entry_is_ignored(client):
    with client.session_transaction() as session:
        session["cart"] = [["french-press-350", 500], ["ceramic-mug-300", 2], "junk",
                           ["no-such-thing", 1], ["barista-guide-book", True]]
    assert cart_lines(client) == [("ceramic-mug-300", 2)]


def test_an_empty_cart_cannot_be_checked_out(client):
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    response = client.post("/checkout", data={
        "checkout_token": "x" * 43, "customer_type": "private", "full_name": "Анна",
        "email": "anna@example.ru", "phone": "+79001112233", "consent": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert "Your cart is empty" in client.get("/cart").text


def test_cart_forms_need_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/products/french-press-350").text  # starts this visitor's session
    assert add_to_cart(client, "french-press-350").status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = add_to_cart(client, "french-press-350", csrf_token=token)
    assert response.status_code == 303
    assert cart_lines(client) == [("french-press-350", 1)]
    assert client.post("/cart/remove", data={"product": "french-press-350"}).status_code == 400
    assert client.post("/checkout", data={}).status_code == 400
