"""The payment page under shipment control (CONTRACT §5.4, §6.3), over plain HTTP: what a
browser without JavaScript gets.

Pay answers with the wait page (a spinner, refreshing itself) while the shop is notified;
the shop's ``success`` sends the buyer to ``successUrl``; its ``shipping_unavailable`` shows
why the order cannot be fulfilled and how the money comes back (a refund, or a released
guarantee), in the order's language, then sends the buyer to ``failUrl``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from tests.support.receiver import NotificationReceiver, Reply
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, eventually, line, order_body

CONTROLLED = "0188d934-0000-7000-8000-00000000c0c1"
TOKEN = "e" * 32
URLS = {"successUrl": "https://shop.example/ok", "failUrl": "https://shop.example/fail?o=1&x=2"}
UNAVAILABLE = {"status": "error", "code": "shipping_unavailable"}

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    return {"merchants": [
        {"id": DEMO_MERCHANT_ID, "notification_url": receiver.url},
        {"id": CONTROLLED, "token": TOKEN, "notification_key": "key-c", "name": "Лавка",
         "shipment_control": True, "notification_url": receiver.url + "/ctl"},
    ]}


@pytest.fixture
def controlled(sandbox: SandboxProcess) -> Api:
    return Api(sandbox.url, TOKEN)


def create(api: Api, language: str = "ru") -> dict:
    return api.create_order(order_body(
        lines=[line("mug", "1250.00", 2, name="Кружка")], merchantId=CONTROLLED,
        merchantOrderIdVisible="ЗК-5", languageId=language, **URLS))


def pay(order: dict, guarantee: bool = False) -> requests.Response:
    """Press Pay (or Pay as guarantee); a relative ``Location`` is made absolute."""
    data = {"mode": "guarantee"} if guarantee else {}
    response = requests.post(f"{order['paymentUrl']}/pay", data=data, allow_redirects=False,
                             timeout=30)
    if "Location" in response.headers:
        response.headers["Location"] = urljoin(response.url, response.headers["Location"])
    return response


def get(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=10)


def waits(response: requests.Response) -> bool:
    return response.status_code == 200 and "data-poll" in response.text


def answered(url: str) -> requests.Response:
    """The wait page, refreshed as ``<meta http-equiv=refresh>`` would, until it moves on."""
    return eventually(lambda: None if waits(r := get(url)) else r, timeout=15)


def status(api: Api, order: dict) -> str:
    return api.ok("GET", f"billing/api/order/order/{order['id']}")["status"]


def test_the_invoice_page_loads_the_enhancement_only_under_shipment_control(
        controlled: Api, api: Api) -> None:
    html = requests.get(create(controlled)["paymentUrl"], timeout=10).text
    plain = requests.get(api.create_order()["paymentUrl"], timeout=10).text

    assert "/static/payment.js" in html and 'id="paying" hidden' in html
    assert "Подтверждаем оплату" in html  # the spinner's words, shown by the script
    assert "<script" not in plain and 'id="paying"' not in plain


def test_the_script_is_served(sandbox: SandboxProcess) -> None:
    response = requests.get(f"{sandbox.url}/static/payment.js", timeout=10)

    assert response.status_code == 200 and "fetch(" in response.text
    assert "javascript" in response.headers["Content-Type"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_pay_shows_the_wait_page_while_the_shop_is_asked(
        controlled: Api, receiver: NotificationReceiver, language: str) -> None:
    receiver.script(Reply(delay=2.0))  # a shop that takes its time to take the stock
    order = create(controlled, language)
    response = pay(order)

    assert response.status_code == 303
    wait_url = response.headers["Location"]
    assert wait_url == f"{order['paymentUrl']}/confirm"
    page = get(wait_url)
    assert waits(page)
    assert f'<html lang="{language}">' in page.text
    assert re.search(r'<noscript><meta http-equiv="refresh" content="1"></noscript>', page.text)
    assert 'class="spinner"' in page.text and "/static/payment.js" in page.text
    title = {"ru": "Подтверждаем оплату", "en": "Confirming your payment"}[language]
    assert title in page.text and "ЗК-5" in page.text
    assert get(f"{wait_url}.json").json() == {"state": "waiting"}
    assert page.headers["Cache-Control"] == "no-store"

    done = answered(wait_url)
    assert done.status_code == 303 and done.headers["Location"] == URLS["successUrl"]
    assert get(f"{wait_url}.json").json() == {"state": "success"}
    assert len(receiver.received) == 1 and status(controlled, order) == "completed"


MONEY_BACK = {
    ("ru", False): ["Магазин не может выполнить заказ", "ЗК-5",
                    "Оплата 2\u00a0500,00\u00a0₽ вернётся полностью",
                    "на ту же карту или счёт", "1–5 рабочих дней",
                    "Через несколько секунд вы вернётесь в магазин"],
    ("en", False): ["The shop cannot fulfil this order", "ЗК-5",
                    "Your payment of 2,500.00\u00a0₽ will be returned in full",
                    "the same card or account you paid from", "1 to 5 working days",
                    "In a few seconds you will be taken back to the shop"],
    ("ru", True): ["Магазин не может выполнить заказ", "Деньги не будут списаны",
                   "отменит гарантийный платёж", "2\u00a0500,00\u00a0₽ освободятся"],
    ("en", True): ["The shop cannot fulfil this order", "Nothing will be charged",
                   "cancels the guarantee payment", "the 2,500.00\u00a0₽ reserved on your card"
                   " is released"],
}


@pytest.mark.parametrize(("language", "guarantee"), list(MONEY_BACK))
def test_shipping_unavailable_says_how_the_money_comes_back_then_goes_to_fail_url(
        controlled: Api, receiver: NotificationReceiver, language: str,
        guarantee: bool) -> None:
    receiver.script(UNAVAILABLE)
    order = create(controlled, language)
    wait_url = pay(order, guarantee).headers["Location"]

    page = answered(wait_url)

    assert page.status_code == 200 and f'<html lang="{language}">' in page.text
    text = page.text.replace("&amp;", "&")
    for words in MONEY_BACK[(language, guarantee)]:
        assert words in text, words
    assert re.search(r'<meta http-equiv="refresh" content="8;url=https://shop\.example/fail'
                     r'\?o=1&amp;x=2">', page.text)
    assert re.search(r'<a class="button-link primary" href="https://shop\.example/fail\?o=1'
                     r'&amp;x=2">', page.text)
    assert "data-poll" not in page.text and "<script" not in page.text
    assert get(f"{wait_url}.json").json() == {"state": "shipping_unavailable"}
    # The code refunds nothing by itself (CONTRACT §5.4): the order stays paid.
    assert status(controlled, order) == ("hold" if guarantee else "completed")


def test_the_failure_stays_when_the_buyer_comes_back_to_it(
        controlled: Api, receiver: NotificationReceiver) -> None:
    receiver.script(UNAVAILABLE)
    order = create(controlled, "en")
    wait_url = pay(order).headers["Location"]
    answered(wait_url)

    again = get(wait_url)
    assert again.status_code == 200 and "The shop cannot fulfil this order" in again.text
    assert len(receiver.received) == 1  # looking again asks the shop nothing


def test_a_slow_shop_scenario_keeps_the_buyer_waiting(
        controlled: Api, sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_delay", seconds=1.5)
    order = create(controlled, "en")
    wait_url = pay(order).headers["Location"]

    assert waits(get(wait_url)) and receiver.received == []
    receiver.wait_for(1, timeout=10)
    assert answered(wait_url).headers["Location"] == URLS["successUrl"]


def test_the_wait_page_of_an_unpaid_invoice_goes_back_to_the_invoice(controlled: Api) -> None:
    order = create(controlled)
    response = get(f"{order['paymentUrl']}/confirm")

    assert response.status_code == 303
    assert urljoin(response.url, response.headers["Location"]) == order["paymentUrl"]


def test_a_second_pay_is_refused_and_the_shop_is_asked_once(
        controlled: Api, receiver: NotificationReceiver) -> None:
    order = create(controlled)
    first, second = pay(order), pay(order)

    assert first.status_code == 303 and second.status_code == 409
    answered(first.headers["Location"])
    assert len(receiver.received) == 1


def test_without_shipment_control_pay_goes_straight_to_success_url(api: Api) -> None:
    order = api.create_order(order_body(**URLS))
    response = pay(order)

    assert response.status_code == 303 and response.headers["Location"] == URLS["successUrl"]
