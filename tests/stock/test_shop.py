"""The buyer's side of stock: the catalog says "Out of stock", the cart refuses what is not
there, checkout re-checks and holds nothing; checkout asks how goods reach the buyer."""

from __future__ import annotations

import re

from storefront.extensions import db
from storefront.models import Order, Product
from tests.shop.conftest import add_to_cart, open_checkout, submit_checkout
from tests.shop.test_cart import cart_lines

from .conftest import set_stock_directly, stock_of


def _card(page: str, slug: str) -> str:
    start = page.index(f'/products/{slug}"')
    return page[start:page.index("</article>", start)]


def test_the_catalog_and_the_product_page_say_out_of_stock(app, client):
    set_stock_directly(app, "french-press-350", 0)
    catalog = client.get("/").text
    assert "Out of stock" in _card(catalog, "french-press-350")
    assert 'value="french-press-350"' not in catalog  # no add-to-cart form for it
    assert "Out of stock" not in _card(catalog, "ceramic-mug-300")
    product = client.get("/products/french-press-350").text
    assert "Out of stock" in product and 'action="/cart/add"' not in product


def test_the_russian_catalog_says_it_in_russian(app, client):
    set_stock_directly(app, "french-press-350", 0)
    assert "Нет в наличии" in client.get("/", headers={"Accept-Language": "ru"}).text


def test_the_cart_refuses_what_is_not_there(app, client):
    set_stock_directly(app, "french-press-350", 0)
    set_stock_directly(app, "ceramic-mug-300", 3)
    page = add_to_cart(client, "french-press-350", 1, next="/cart")
    assert page.status_code == 303
    assert "Sorry, this is out of stock." in client.get("/cart").text
    add_to_cart(client, "ceramic-mug-300", 2)
    refused = add_to_cart(client, "ceramic-mug-300", 2)
    assert refused.status_code == 303
    assert "Sorry, only 3 left in stock." in client.get("/cart").text
    assert cart_lines(client) == [("ceramic-mug-300", 2)]
    client.post("/cart/update", data={"product": "ceramic-mug-300", "quantity": "4"})
    assert cart_lines(client) == [("ceramic-mug-300", 2)]
    client.post("/cart/update", data={"product": "ceramic-mug-300", "quantity": "3"})
    assert cart_lines(client) == [("ceramic-mug-300", 3)]


def test_checkout_rechecks_and_holds_nothing(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300", 2)
    token = open_checkout(client)
    set_stock_directly(app, "ceramic-mug-300", 1)  # someone else's payment took the rest
    cart = client.get("/cart").text
    assert "Only 1 left in stock: lower the quantity to check out." in cart
    refused = submit_checkout(client, token)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/cart")
    assert invoicebox.created == []
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Order.id))).scalar_one() == 0
    # A buyer who can have what there is checks out; placing the order takes nothing.
    client.post("/cart/update", data={"product": "ceramic-mug-300", "quantity": "1"})
    answer = submit_checkout(client, open_checkout(client))
    assert answer.status_code == 303 and len(invoicebox.created) == 1
    assert stock_of(app, "ceramic-mug-300") == 1


def test_goods_ask_courier_or_pickup_and_services_do_not(app, client, invoicebox):
    add_to_cart(client, "brewing-lesson-1h", 1)
    assert 'name="delivery"' not in client.get("/checkout").text
    add_to_cart(client, "ceramic-mug-300", 1)
    page = client.get("/checkout").text
    radios = re.findall(r'<input[^>]*name="delivery"[^>]*>', page)
    assert [re.search(r'value="(\w+)"', r).group(1) for r in radios] == ["pickup", "courier"]
    assert "checked" in radios[0] and "checked" not in radios[1]


def test_courier_needs_an_address_and_adds_the_delivery_line(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300", 1)
    token = open_checkout(client)
    refused = submit_checkout(client, token, delivery="courier")
    assert refused.status_code == 422
    assert "Enter the address the courier brings the order to." in refused.text
    answer = submit_checkout(client, token, delivery="courier",
                             delivery_address="Москва, ул. Мясницкая, д. 1, кв. 2")
    assert answer.status_code == 303
    [sent] = invoicebox.created
    assert [item["sku"] for item in sent["basketItems"]] == ["MUG-CER-300", "delivery"]
    with app.app_context():
        order = db.session.execute(db.select(Order)).scalar_one()
        assert order.delivery_method == "courier"
        assert order.delivery_address == "Москва, ул. Мясницкая, д. 1, кв. 2"
        assert [line.sku for line in order.lines] == ["MUG-CER-300", "delivery"]


def test_pickup_is_kept_with_the_order_and_adds_nothing(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300", 1)
    answer = submit_checkout(client, open_checkout(client), delivery="pickup",
                             delivery_address="ignored")
    assert answer.status_code == 303
    assert [item["sku"] for item in invoicebox.created[0]["basketItems"]] == ["MUG-CER-300"]
    with app.app_context():
        order = db.session.execute(db.select(Order)).scalar_one()
        assert (order.delivery_method, order.delivery_address) == ("pickup", None)


def test_a_hostile_delivery_choice_is_refused_not_a_500(app, client, invoicebox):
    add_to_cart(client, "ceramic-mug-300", 1)
    token = open_checkout(client)
    for hostile in ("drone", "", "Courier", "p" * 5000):
        answer = submit_checkout(client, token, delivery=hostile)
        assert answer.status_code == 422, hostile
        assert "Choose how the goods reach you: courier or pickup." in answer.text
    assert invoicebox.created == []


def test_a_services_only_order_has_no_delivery(app, client, invoicebox):
    add_to_cart(client, "gift-certificate-3000", 1)
    answer = submit_checkout(client, open_checkout(client), delivery="courier")
    assert answer.status_code == 303
    with app.app_context():
        order = db.session.execute(db.select(Order)).scalar_one()
        assert order.delivery_method is None
        assert [line.sku for line in order.lines] == ["GC-3000"]
        assert db.session.execute(db.select(Product.stock).where(
            Product.sku == "GC-3000")).scalar_one() is None
