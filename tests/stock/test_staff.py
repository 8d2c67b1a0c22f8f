"""The staff's side of stock: the products page (stock, on sale), the flag on an order that
could not be filled, and the packing list."""

from __future__ import annotations

import pytest

from storefront import catalog_version
from storefront.extensions import db
from storefront.models import Product
from storefront.staff.accounts import create_staff
from tests.staff.helpers import sign_in

from .conftest import awaiting_order, notify_paid, set_stock_directly, stock_of


@pytest.fixture
def staff_client(app):
    with app.app_context():
        create_staff("anna@sever-coffee.ru", "correct horse battery")
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "anna@sever-coffee.ru", "correct horse battery").status_code == 302
    return client


def _id(app, slug: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Product.id).where(Product.slug == slug)).scalar_one()


def test_the_products_page_needs_a_signed_in_staff_member(app, client):
    assert client.get("/staff/products").status_code == 302
    answer = client.post(f"/staff/products/{_id(app, 'french-press-350')}/stock",
                         data={"stock": "0"})
    assert answer.status_code == 302
    assert stock_of(app, "french-press-350") == 100


def test_the_products_page_lists_stock_and_sale(app, staff_client):
    set_stock_directly(app, "ceramic-mug-300", 0)
    page = staff_client.get("/staff/products").text
    assert page.count("<tr id=\"product-") == 11
    mug = page[page.index(f'id="product-{_id(app, "ceramic-mug-300")}"'):]
    mug = mug[:mug.index("</tr>")]
    assert 'name="stock"' in mug and 'value="0"' in mug and "Out of stock" in mug
    lesson = page[page.index(f'id="product-{_id(app, "brewing-lesson-1h")}"'):]
    lesson = lesson[:lesson.index("</tr>")]
    assert 'name="stock"' not in lesson and "not counted" in lesson


def test_staff_set_stock_and_the_catalog_follows(app, staff_client):
    client = app.test_client()
    assert "Out of stock" not in client.get("/").text
    mug = _id(app, "ceramic-mug-300")
    answer = staff_client.post(f"/staff/products/{mug}/stock", data={"stock": "0"})
    assert answer.status_code == 303
    assert stock_of(app, "ceramic-mug-300") == 0
    assert "Out of stock" in client.get("/").text
    staff_client.post(f"/staff/products/{mug}/stock", data={"stock": "12"})
    assert stock_of(app, "ceramic-mug-300") == 12
    assert "Out of stock" not in client.get("/").text
    staff_client.post(f"/staff/products/{mug}/stock", data={"stock": ""})
    assert stock_of(app, "ceramic-mug-300") is None  # not counted


def test_staff_take_a_product_off_sale_and_put_it_back(app, staff_client):
    client = app.test_client()
    press = _id(app, "french-press-350")
    assert "/products/french-press-350" in client.get("/").text
    assert staff_client.post(f"/staff/products/{press}/active",
                             data={"active": "0"}).status_code == 303
    assert "/products/french-press-350" not in client.get("/").text
    assert client.get("/products/french-press-350").status_code == 404
    staff_client.post(f"/staff/products/{press}/active", data={"active": "1"})
    assert "/products/french-press-350" in client.get("/").text


@pytest.mark.parametrize("hostile", [
    "-1", "1.5", "1e3", "abc", "１２", "١٢", "12 000", "1_000", "9" * 400, "1000001", "1\x00",
])
def test_hostile_stock_is_refused_with_a_400(app, staff_client, hostile):
    with app.app_context():
        version = catalog_version.current()
    answer = staff_client.post(f"/staff/products/{_id(app, 'ceramic-mug-300')}/stock",
                               data={"stock": hostile})
    assert answer.status_code == 400
    # A NUL is refused before any view sees it (storefront/hygiene.py); the rest are the
    # form's refusals, named next to the field.
    assert "\x00" in hostile or "Enter a whole number of units from 0 to 1000000" in answer.text
    assert stock_of(app, "ceramic-mug-300") == 100
    with app.app_context():
        assert catalog_version.current() == version


@pytest.mark.parametrize("hostile", ["", "2", "yes", "1; DROP TABLE product"])
def test_a_hostile_sale_switch_is_refused_with_a_400(app, staff_client, hostile):
    answer = staff_client.post(f"/staff/products/{_id(app, 'ceramic-mug-300')}/active",
                               data={"active": hostile})
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(Product.active).where(
            Product.slug == "ceramic-mug-300")).scalar_one() is True


def test_a_service_has_no_stock_to_set(app, staff_client):
    answer = staff_client.post(f"/staff/products/{_id(app, 'brewing-lesson-1h')}/stock",
                               data={"stock": "5"})
    assert answer.status_code == 400
    assert "Services and gift certificates have no stock." in answer.text
    assert stock_of(app, "brewing-lesson-1h") is None


def test_an_unknown_product_is_a_404(app, staff_client):
    assert staff_client.post("/staff/products/99999/stock", data={"stock": "1"}).status_code \
        == 404
    assert staff_client.post("/staff/products/99999/active", data={"active": "1"}).status_code \
        == 404


def test_a_post_without_its_csrf_token_changes_nothing(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff("anna@sever-coffee.ru", "correct horse battery")
        db.session.commit()
    client = app.test_client()
    import re
    page = client.get("/staff/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/staff/login", data={"email": "anna@sever-coffee.ru",
                                             "password": "correct horse battery",
                                             "csrf_token": token}).status_code == 302
    answer = client.post(f"/staff/products/{_id(app, 'ceramic-mug-300')}/stock",
                         data={"stock": "0"})
    assert answer.status_code == 400
    assert stock_of(app, "ceramic-mug-300") == 100


def test_an_order_short_of_stock_is_flagged_on_its_page_and_in_the_list(app, client,
                                                                       staff_client):
    set_stock_directly(app, "ceramic-mug-300", 1)
    short = awaiting_order(app, {"ceramic-mug-300": 2})
    filled = awaiting_order(app, {"french-press-350": 1})
    notify_paid(client, short)
    notify_paid(client, filled)
    page = staff_client.get(f"/staff/orders/{short.number}").text
    assert "Not enough stock to fill this order." in page
    assert "MUG-CER-300 (wanted 2, 1 left)" in page
    assert "Not enough stock to fill this order." not in staff_client.get(
        f"/staff/orders/{filled.number}").text
    listing = staff_client.get("/staff/orders").text
    rows = {number: listing[listing.index(number):][:listing[listing.index(number):]
                                                   .index("</tr>")]
            for number in (short.number, filled.number)}
    assert "short of stock" in rows[short.number]
    assert "short of stock" not in rows[filled.number]


def test_the_packing_list_names_the_goods_and_the_delivery(app, client, staff_client,
                                                           invoicebox):
    from tests.shop.conftest import add_to_cart, open_checkout, submit_checkout

    add_to_cart(client, "ceramic-mug-300", 2)
    add_to_cart(client, "brewing-lesson-1h", 1)
    submit_checkout(client, open_checkout(client), delivery="courier",
                    delivery_address="Москва, Мясницкая ул., 1")
    with app.app_context():
        from storefront.models import Order
        number = db.session.execute(db.select(Order.number)).scalar_one()
    order_page = staff_client.get(f"/staff/orders/{number}").text
    assert "courier: Москва, Мясницкая ул., 1" in order_page
    assert f"/staff/orders/{number}/packing-list" in order_page
    sheet = staff_client.get(f"/staff/orders/{number}/packing-list").text
    assert "Москва, Мясницкая ул., 1" in sheet and "MUG-CER-300" in sheet
    assert "SRV-LESSON-1H" not in sheet  # a lesson is not packed
    assert "delivery</td>" not in sheet  # nor is the courier line
