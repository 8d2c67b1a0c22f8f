"""Company details by INN at checkout, against the real sandbox's demo registry.

"Find company" without JavaScript (the checkout form comes back filled in), the JSON the
page's script reads, the day's cache, the limits that keep lookups out of the payments'
request budget, and a liquidated company refused at checkout.
"""

from __future__ import annotations

import html
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import CompanyCache, GatewayCall, LookupCounter, Order, now_utc

from .conftest import BUYER, add_to_cart, open_checkout

DETAIL_PATH = "/v3/filter/api/counterparty-detail"
GUILD = "7701456203"  # ООО «Кофейная гильдия»
NORTH = "7810347123"  # АО «Северная обжарка»
SOLE_TRADER = "770412345664"  # ИП Соколова Мария Андреевна
SAMOVAR = "5003126586"  # ООО «Старый самовар», liquidated
UNKNOWN = "7707083893"  # valid, not in the sandbox's registry


@pytest.fixture
def shop_app(make_app, sandbox):
    return make_app(INVOICEBOX_API_URL=sandbox.url)


@pytest.fixture
def buyer(shop_app):
    client = shop_app.test_client()
    add_to_cart(client, "french-press-350")
    return client


def lookup_calls(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        calls = db.session.execute(db.select(GatewayCall).order_by(GatewayCall.id)).scalars()
        return [(c.method, c.http_status, c.outcome) for c in calls if c.path == DETAIL_PATH]


def find(client, inn: str, **headers):
    return client.post("/checkout/company", data={"inn": inn}, headers=headers)


def value_of(page: str, name: str) -> str:
    """The value of the text input called ``name``."""
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
    assert tag, name
    found = re.search(r'value="([^"]*)"', tag.group(0))
    assert found, tag.group(0)
    return html.unescape(found.group(1))


def test_find_company_without_javascript_fills_in_the_checkout_form(shop_app, buyer):
    token = open_checkout(buyer)
    answer = buyer.post("/checkout", data={
        **BUYER, "customer_type": "private", "inn": "7701 456 203", "kpp": "",
        "address": "", "checkout_token": token, "find_company": "1"})

    page = answer.text
    assert answer.status_code == 200
    assert value_of(page, "full_name") == "ООО «Кофейная гильдия»"
    assert value_of(page, "inn") == GUILD and value_of(page, "kpp") == "770101001"
    assert ("101000, г. Москва, ул. Мясницкая, д. 24, стр. 1, офис 3</textarea>"
            in html.unescape(page))
    assert re.search(r'<input checked [^>]*value="legal"', page)
    assert f'name="checkout_token" type="hidden" value="{token}"' in page
    assert ("Found: ООО «Кофейная гильдия», KPP 770101001, registered Jun 18, 2015 "
            "(OGRN 1157746123457). You can still edit the details below.") in html.unescape(page)
    assert value_of(page, "email") == BUYER["email"]  # what the buyer typed stays
    assert "Please correct the highlighted fields" not in page
    assert lookup_calls(shop_app) == [("GET", 200, "ok")]
    with shop_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_the_details_found_can_be_edited_and_paid_with(shop_app, buyer, sandbox):
    token = open_checkout(buyer)
    buyer.post("/checkout", data={**BUYER, "inn": GUILD, "checkout_token": token,
                                  "find_company": "1"})
    answer = buyer.post("/checkout", data={
        **BUYER, "customer_type": "legal", "full_name": "ООО «Кофейная гильдия» (бухгалтерия)",
        "inn": GUILD, "kpp": "770101001", "address": "101000, Москва, Мясницкая, 24",
        "checkout_token": token})

    assert answer.status_code == 303 and answer.location.startswith(sandbox.url)
    remote = sandbox.get("api/orders")["data"][0]
    assert remote["customer"] == {
        "type": "legal", "name": "ООО «Кофейная гильдия» (бухгалтерия)",
        "email": BUYER["email"], "phone": "79001112233", "vatNumber": GUILD,
        "taxRegistrationReasonCode": "770101001",
        "registrationAddress": "101000, Москва, Мясницкая, 24"}
    assert lookup_calls(shop_app) == [("GET", 200, "ok")]  # the checkout used the cache


def test_the_json_for_the_page_script(shop_app, buyer):
    answer = find(buyer, SOLE_TRADER)

    assert answer.status_code == 200
    assert answer.get_json() == {
        "outcome": "found",
        "tone": "success",
        "message": "Found: ИП Соколова Мария Андреевна, sole trader, registered Apr 5, 2018 "
                   "(OGRN 318774600123460). You can still edit the details below.",
        "company": {"inn": SOLE_TRADER, "name": "ИП Соколова Мария Андреевна",
                    "nameFull": "Индивидуальный предприниматель Соколова Мария Андреевна",
                    "kpp": None, "address": None, "registrationNumber": "318774600123460",
                    "registrationDate": "2018-04-05", "liquidated": False},
    }


def test_a_sole_trader_without_an_address_keeps_the_address_typed(buyer):
    token = open_checkout(buyer)
    page = buyer.post("/checkout", data={
        **BUYER, "inn": SOLE_TRADER, "kpp": "770101001", "address": "Москва, до востребования",
        "checkout_token": token, "find_company": "1"}).text

    assert value_of(page, "kpp") == ""
    assert "Москва, до востребования</textarea>" in html.unescape(page)


def test_an_inn_the_registry_does_not_know(shop_app, buyer):
    answer = find(buyer, UNKNOWN)

    assert answer.status_code == 200
    assert answer.get_json() == {
        "outcome": "not_found", "tone": "warning", "company": None,
        "message": f"No company with INN {UNKNOWN} is in the registry. "
                   "Please type the company's details yourself."}
    with shop_app.app_context():
        assert db.session.get(CompanyCache, UNKNOWN).record is None


@pytest.mark.parametrize(("inn", "message"), [
    ("7701456204", "This INN's check digits do not match; please check it."),
    ("770145620", "An INN has 10 digits (organisation) or 12 (sole trader)."),
    ("77014562O3", "An INN has 10 digits (organisation) or 12 (sole trader)."),
    ("", "An INN has 10 digits (organisation) or 12 (sole trader)."),
    ("7" * 5000, "An INN has 10 digits (organisation) or 12 (sole trader)."),
])
def test_a_malformed_inn_never_reaches_invoicebox_nor_counts(shop_app, buyer, inn, message):
    answer = find(buyer, inn)

    assert answer.status_code == 422
    assert answer.get_json()["outcome"] == "invalid"
    assert answer.get_json()["message"] == message
    assert lookup_calls(shop_app) == []
    with shop_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LookupCounter)) == 0


def test_answers_are_cached_for_a_day_for_every_buyer(shop_app, buyer):
    assert find(buyer, GUILD).get_json()["outcome"] == "found"
    other = shop_app.test_client()
    assert find(other, GUILD).get_json()["outcome"] == "found"
    assert lookup_calls(shop_app) == [("GET", 200, "ok")]

    with shop_app.app_context():
        entry = db.session.get(CompanyCache, GUILD)
        entry.fetched_at = now_utc() - timedelta(days=1, seconds=1)
        db.session.commit()
    assert find(other, GUILD).get_json()["company"]["kpp"] == "770101001"
    assert lookup_calls(shop_app) == [("GET", 200, "ok")] * 2


def test_a_liquidated_company_is_shown_and_not_filled_in(buyer):
    answer = find(buyer, SAMOVAR)

    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["outcome"], body["tone"], body["company"]["liquidated"]) == (
        "liquidated", "error", True)
    assert body["message"] == (f"ООО «Старый самовар» (INN {SAMOVAR}) was liquidated on "
                               "Sep 30, 2022 and cannot be the buyer. Please check the INN.")

    token = open_checkout(buyer)
    page = buyer.post("/checkout", data={**BUYER, "full_name": "", "inn": SAMOVAR,
                                         "checkout_token": token, "find_company": "1"}).text
    assert value_of(page, "full_name") == "" and "was liquidated on Sep 30, 2022" in page


@pytest.mark.parametrize("looked_up_first", [True, False], ids=["looked-up", "typed"])
def test_checkout_refuses_a_liquidated_company(shop_app, buyer, sandbox, looked_up_first):
    if looked_up_first:
        find(buyer, SAMOVAR)
    answer = buyer.post("/checkout", data={
        **BUYER, "customer_type": "legal", "full_name": "ООО «Старый самовар»", "inn": SAMOVAR,
        "kpp": "500301001", "address": "Видное", "checkout_token": open_checkout(buyer)})

    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert "The registry says this company was liquidated." in page
    assert "was liquidated on Sep 30, 2022 and cannot be the buyer" in page
    with shop_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert sandbox.get("api/orders")["data"] == []
    assert lookup_calls(shop_app) == [("GET", 200, "ok")]  # once, whoever asked first


def test_a_registry_that_cannot_answer_never_stops_a_company_paying(shop_app, buyer, sandbox):
    sandbox.scenario("api_500", count=1, method="GET", path="/counterparty-detail")
    looked_up = find(buyer, GUILD)
    assert looked_up.status_code == 503
    assert looked_up.get_json()["message"] == ("Company search is not available right now. "
                                               "Please type the company's details yourself.")
    assert lookup_calls(shop_app) == [("GET", 500, "error")]  # one attempt, no retry

    sandbox.scenario("api_500", count=1, method="GET", path="/counterparty-detail")
    answer = buyer.post("/checkout", data={
        **BUYER, "customer_type": "legal", "full_name": "ООО «Кофейная гильдия»", "inn": GUILD,
        "kpp": "770101001", "address": "Москва", "checkout_token": open_checkout(buyer)})
    assert answer.status_code == 303 and answer.location.startswith(sandbox.url)
    with shop_app.app_context():
        assert db.session.get(CompanyCache, GUILD) is None  # a failure is not an answer


def test_enter_in_a_field_pays_rather_than_looks_up(buyer):
    # Implicit submission presses the form's first submit button.
    page = buyer.get("/checkout").text
    form = page[page.index('<form method="post" action="/checkout"'):]
    buttons = re.findall(r"<button type=\"submit\"[^>]*>([^<]*)</button>", form)
    assert buttons[0] == "Pay with Invoicebox" and "Find company" in buttons[1:]


def test_no_transaction_is_open_while_invoicebox_answers(shop_app, buyer, sandbox):
    sandbox.scenario("api_timeout", seconds=2, method="GET", path="/counterparty-detail")
    database = shop_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with ThreadPoolExecutor(max_workers=1) as pool:
        asking = pool.submit(find, buyer, GUILD)
        time.sleep(1)  # the lookup is now waiting for the sandbox's answer
        # Any transaction the lookup held open would lock this write out at once.
        with sqlite3.connect(database, timeout=0) as probe:
            probe.execute("INSERT INTO lookup_counter (bucket, window_start, hits)"
                          " VALUES ('probe', 0, 1)")
        assert not asking.done()
        assert asking.result(timeout=30).get_json()["outcome"] == "found"
