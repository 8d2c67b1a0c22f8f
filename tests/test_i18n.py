"""The shop's two languages: which one a visitor gets, the switch, and complete catalogs."""

from __future__ import annotations

import pytest

from storefront.translations_check import extracted, problems


@pytest.mark.parametrize(("cookie", "accept", "language"), [
    (None, None, "ru"),  # nothing said: Russian, an Invoicebox shop's buyers' language
    (None, "en-US,en;q=0.9", "en"),
    (None, "ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
    (None, "de-DE,de;q=0.9", "ru"),  # neither language: the default
    (None, "de-DE,en;q=0.5", "en"),
    ("en", "ru-RU,ru;q=0.9", "en"),  # the switch wins over the browser
    ("ru", "en-US,en;q=0.9", "ru"),
    ("xx", "en-US", "en"),  # a forged cookie is ignored
])
def test_the_language_is_the_switch_else_the_browser_else_russian(app, cookie, accept, language):
    client = app.test_client()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # this test says it itself
    if cookie:
        client.set_cookie("lang", cookie)
    page = client.get("/products/french-press-350",
                      headers={"Accept-Language": accept} if accept else {})
    assert f'<html lang="{language}">' in page.text
    assert ("В корзину" in page.text) is (language == "ru")
    assert ("Add to cart" in page.text) is (language == "en")
    assert {"Accept-Language", "Cookie"} <= set(page.headers["Vary"].split(", "))


def test_the_switch_keeps_the_choice_and_goes_back_to_the_page(app):
    client = app.test_client()
    answer = client.get("/language/ru?next=/cart%3Fx%3D1")
    assert answer.status_code == 303 and answer.headers["Location"] == "/cart?x=1"
    cookie = client.get_cookie("lang")
    assert cookie.value == "ru" and cookie.http_only
    assert "Корзина" in client.get("/cart").text  # the client's browser still asks for English


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil",
                                    "cart", None])
def test_the_switch_never_sends_anyone_to_another_site(app, target):
    url = "/language/en" + (f"?next={target}" if target is not None else "")
    answer = app.test_client().get(url)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_an_unknown_language_is_not_found(app):
    assert app.test_client().get("/language/de").status_code == 404


def test_the_header_offers_the_other_language(app):
    page = app.test_client().get("/cart").text
    assert '<strong lang="en" aria-current="true">English</strong>' in page
    assert '<a href="/language/ru?next=/cart" lang="ru" hreflang="ru">Русский</a>' in page


def test_the_first_visit_catalog_is_cached_per_language(make_app):
    app = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=3600)
    client = app.test_client()
    english = client.get("/").text
    russian = client.get("/", headers={"Accept-Language": "ru"}).text
    assert "Freshly roasted coffee" in english and "Свежеобжаренный кофе" in russian
    assert client.get("/", headers={"Accept-Language": "ru"}).text == russian
    assert client.get("/").text == english
    chose = app.test_client()
    chose.set_cookie("lang", "ru")
    assert chose.get("/").text == russian  # the cookie is no session: still the cached page


def test_the_catalogs_are_complete_in_both_languages():
    """Every marked string has a Russian and an English translation, the template and
    the compiled catalogs are current (`make translations` reports the same)."""
    assert problems() == []


def test_a_new_untranslated_string_is_reported():
    wanted = extracted()
    assert "Add to cart" in wanted and "Оформить заказ" not in wanted
    found = problems(wanted | {"A sentence nobody translated yet"})
    assert "ru: missing 'A sentence nobody translated yet'" in found
    assert "en: missing 'A sentence nobody translated yet'" in found
    assert "messages.pot is out of date: run `make translations`" in found


@pytest.mark.parametrize(("english", "russian"), [
    ("Add to cart", "В корзину"),
    ("Cart", "Корзина"),
    ("Checkout", "Оформить заказ"),
    ("Pay with Invoicebox", "Оплатить через Инвойсбокс"),
    ("Payment received", "Оплата получена"),
    ("Sign in", "Войти"),
    ("Orders", "Заказы"),
    ("Refund", "Возврат"),
    ("Issue refund", "Оформить возврат"),
])
def test_the_key_labels_in_russian(app, english, russian):
    from flask_babel import gettext

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert gettext(english) == russian
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert gettext(english) == english
