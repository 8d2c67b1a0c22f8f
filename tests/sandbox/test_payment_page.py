"""The hosted payment page: what it shows, its three buttons, redirects and their fallbacks."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, line, order_body

SETTINGS_RETURN = "https://shop.example/from-settings"
OTHER = "0188d934-0000-7000-8000-0000000000aa"
OTHER_TOKEN = "d" * 32

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    return {"merchants": [
        {"id": DEMO_MERCHANT_ID, "notification_url": receiver.url, "name": "Чайная лавка"},
        {"id": OTHER, "token": OTHER_TOKEN, "notification_key": "k", "name": "Other shop",
         "return_url": SETTINGS_RETURN},
    ]}


URLS = {"successUrl": "https://shop.example/ok?o=1", "failUrl": "https://shop.example/fail",
        "returnUrl": "https://shop.example/back"}


def buttons(html: str) -> list[str]:
    return re.findall(r"<button[^>]*>([^<]*)</button>", html)


def press(order: dict, button: str) -> requests.Response:
    return requests.post(f"{order['paymentUrl']}/{button}", allow_redirects=False, timeout=30)


def status(api: Api, order: dict) -> str:
    return api.ok("GET", f"billing/api/order/order/{order['id']}")["status"]


def test_russian_page_shows_the_invoice(api: Api) -> None:
    order = api.create_order(order_body(
        lines=[line("tea", "1234.50", 2, name="Чай улун"), line("cup", "10.00", 1)],
        merchantOrderIdVisible="ЗК-77", description="Заказ чая", **URLS))
    response = requests.get(order["paymentUrl"], timeout=10)
    html = response.text

    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/html")
    assert '<html lang="ru">' in html
    for text in ("Чайная лавка", "ЗК-77", "Заказ чая", "Чай улун", "2\u00a0479,00\u00a0₽",
                 "Оплатить до", "МСК", "Ожидает оплаты"):
        assert text in html, text
    assert buttons(html) == ["Оплатить", "Оплатить гарантийно", "Отказаться",
                            "Вернуться в магазин"]
    assert "<script" not in html


def test_english_page_and_order_number_fallback(api: Api) -> None:
    order = api.create_order(languageId="en")
    html = requests.get(order["paymentUrl"], timeout=10).text

    assert '<html lang="en">' in html and "Amount due" in html
    assert order["merchantOrderId"] in html and "MSK" in html
    assert buttons(html) == ["Pay", "Pay as guarantee", "Decline", "Back to shop"]


def test_the_stylesheet_is_served(sandbox: SandboxProcess) -> None:
    response = requests.get(f"{sandbox.url}/static/sandbox.css", timeout=10)

    assert response.status_code == 200 and ".actions" in response.text


def test_pay_completes_the_order_and_redirects_to_success(api: Api,
                                                         receiver: NotificationReceiver) -> None:
    order = api.create_order(**URLS)
    response = press(order, "pay")

    assert response.status_code == 303
    assert response.headers["Location"] == URLS["successUrl"]
    paid = api.ok("GET", f"billing/api/order/order/{order['id']}")
    assert paid["status"] == "completed" and paid["paidAt"]
    assert receiver.wait_for(1)[0].json()["id"] == order["id"]


def test_paid_page_shows_paid_with_a_link_and_no_pay_button(api: Api) -> None:
    order = api.create_order(**URLS)
    press(order, "pay")
    html = requests.get(order["paymentUrl"], timeout=10).text
    again = press(order, "pay")

    assert "Оплачен" in html and "Оплатить" not in buttons(html)
    assert 'href="https://shop.example/ok?o=1"' in html
    assert again.status_code == 409


def test_decline_keeps_the_order_payable(api: Api) -> None:
    order = api.create_order(**URLS)
    declined = press(order, "decline")

    assert declined.status_code == 303
    assert declined.headers["Location"] == URLS["failUrl"]
    assert status(api, order) == "created"
    assert press(order, "pay").headers["Location"] == URLS["successUrl"]


def test_back_to_shop(api: Api) -> None:
    order = api.create_order(**URLS)
    response = press(order, "back")

    assert (response.status_code, response.headers["Location"]) == (303, URLS["returnUrl"])
    assert status(api, order) == "created"


def test_return_url_stands_in_for_success_and_fail(api: Api) -> None:
    order = api.create_order(returnUrl=URLS["returnUrl"])

    assert press(order, "decline").headers["Location"] == URLS["returnUrl"]
    assert press(order, "pay").headers["Location"] == URLS["returnUrl"]


def test_merchant_settings_url_is_the_next_fallback(sandbox: SandboxProcess) -> None:
    order = Api(sandbox.url, OTHER_TOKEN).create_order(order_body(merchantId=OTHER))

    assert press(order, "back").headers["Location"] == SETTINGS_RETURN
    assert press(order, "pay").headers["Location"] == SETTINGS_RETURN


def test_without_any_url_the_sandbox_shows_a_finished_page(api: Api, sandbox: SandboxProcess
                                                           ) -> None:
    order = api.create_order(languageId="en")
    location = press(order, "pay").headers["Location"]
    page = requests.get(f"{sandbox.url}{location}" if location.startswith("/") else location,
                        timeout=10)

    assert location.endswith(f"/order/{order['orderContainerId']}/finished?result=success")
    assert page.status_code == 200 and "Payment complete" in page.text


@pytest.mark.parametrize("control", ["expire", "cancel"])
def test_expired_and_canceled_orders_cannot_be_paid(api: Api, sandbox: SandboxProcess,
                                                    control: str) -> None:
    order = api.create_order(languageId="en", **URLS)
    if control == "cancel":
        api.ok("DELETE", f"billing/api/order/order/{order['id']}")
    else:
        sandbox.control(f"orders/{order['id']}/expire")
    html = requests.get(order["paymentUrl"], timeout=10).text
    refused = press(order, "pay")

    assert buttons(html) == ["Back to shop"]
    assert ("expired" if control == "expire" else "canceled") in html
    assert refused.status_code == 409 and "Pay" not in buttons(refused.text)
    assert status(api, order) == ("expired" if control == "expire" else "canceled")


def test_an_order_past_its_date_is_expired_on_page_view(api: Api) -> None:
    order = api.create_order(order_body(expirationDate=time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 2))))
    time.sleep(2.2)
    html = requests.get(order["paymentUrl"], timeout=10).text

    assert "Просрочен" in html and "Оплатить" not in buttons(html)
    assert press(order, "pay").status_code == 409


def test_concurrent_pay_clicks_pay_once(api: Api, sandbox: SandboxProcess,
                                       receiver: NotificationReceiver) -> None:
    order = api.create_order(**URLS)
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(pool.map(lambda _: press(order, "pay").status_code, range(10)))
    time.sleep(0.5)

    assert codes == [303] + [409] * 9
    assert len(receiver.received) == 1
    assert len(sandbox.get(f"api/orders/{order['id']}")["notifications"]) == 1


def test_one_invoice_with_two_orders_is_paid_together(api: Api) -> None:
    first = api.create_order(lines=[line("a", "10.00")], **URLS)
    second = api.create_order(lines=[line("b", "5.00")], orderContainerId=first[
        "orderContainerId"])
    html = requests.get(first["paymentUrl"], timeout=10).text

    assert "15,00" in html
    press(first, "pay")
    assert status(api, first) == status(api, second) == "completed"


def test_unknown_invoice_is_404(sandbox: SandboxProcess) -> None:
    response = requests.get(f"{sandbox.url}/order/nope", timeout=10)

    assert response.status_code == 404 and "text/html" in response.headers["Content-Type"]


def test_pay_control_matches_the_button(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order(**URLS)
    view = sandbox.control(f"orders/{order['id']}/pay")

    assert view["status"] == "completed" and view["id"] == order["id"]
    assert Decimal(str(view["amount"])) == Decimal(str(order["amount"]))
    refused = requests.post(f"{sandbox.url}/_sandbox/orders/{order['id']}/pay", timeout=10)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wrong_order_status"
