"""The catalog: receipt-ready products, seeded idempotently, each with a page and a picture."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import escape

from storefront.catalog import CATALOG, seed_catalog
from storefront.extensions import db
from storefront.invoicebox import VAT_RATES
from storefront.models import Product

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_seeding_twice_adds_nothing_the_second_time(app):
    with app.app_context():
        assert seed_catalog() == 0  # the app fixture has seeded already
        count = db.session.execute(db.select(db.func.count(Product.id))).scalar_one()
    assert count == len(CATALOG)


def test_seeding_fills_only_what_is_missing_and_keeps_edited_prices(app):
    with app.app_context():
        press = db.session.execute(
            db.select(Product).where(Product.slug == "french-press-350")
        ).scalar_one()
        press.price = 199900
        mug = db.session.execute(
            db.select(Product).where(Product.slug == "ceramic-mug-300")
        ).scalar_one()
        db.session.delete(mug)
        db.session.commit()
        assert seed_catalog() == 1
        db.session.commit()
        assert db.session.get(Product, press.id).price == 199900


def test_the_catalog_is_fit_for_a_fiscal_receipt():
    assert 8 <= len(CATALOG) <= 12
    assert len({e.slug for e in CATALOG}) == len({e.sku for e in CATALOG}) == len(CATALOG)
    assert {"RUS_VAT22", "RUS_VAT10", "VATNONE"} <= {e.vat_code for e in CATALOG}
    assert {"commodity", "service"} == {e.item_type for e in CATALOG}
    okei = {("шт", "796"), ("упак", "778"), ("ч", "356"), ("мес", "362")}
    for entry in CATALOG:
        assert entry.vat_code in VAT_RATES
        assert (entry.measure, entry.measure_code) in okei
        assert isinstance(entry.price, int) and entry.price > 0
        assert len(entry.name) > 20, "a receipt line must say what was sold"
    assert any(e.sku == "delivery" and e.item_type == "service" for e in CATALOG)


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.slug)
def test_every_product_has_a_page_and_a_local_picture(client, entry):
    page = client.get(f"/products/{entry.slug}")
    assert page.status_code == 200
    assert entry.name in page.text
    assert f'src="/static/{entry.image}"' in page.text
    picture = STATIC / entry.image
    assert picture.read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_the_catalog_page_lists_every_product_with_its_price(client):
    page = client.get("/")
    assert page.status_code == 200
    for entry in CATALOG:
        assert escape(entry.name_en) in page.text
    assert "1,290.00\u00a0₽" in page.text  # the oolong
    assert page.text.count(">Add to cart</button>") == len(CATALOG)


def test_the_russian_catalog_shows_russian_names_and_prices(client):
    page = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}).text
    assert '<html lang="ru">' in page
    for entry in CATALOG:
        assert entry.name in page and entry.name_en not in page
    assert "1\u00a0290,00\u00a0₽" in page  # the oolong, written the Russian way
    assert page.count(">В корзину</button>") == len(CATALOG)


def test_an_unknown_or_withdrawn_product_is_a_404(make_app):
    # Without the catalog snapshot; with it, see test_catalog_page.py.
    app = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=0)
    client = app.test_client()
    assert client.get("/products/no-such-thing").status_code == 404
    with app.app_context():
        db.session.execute(
            db.update(Product).where(Product.slug == "ceramic-mug-300").values(active=False)
        )
        db.session.commit()
    assert client.get("/products/ceramic-mug-300").status_code == 404
    assert "ceramic-mug-300" not in client.get("/").text
