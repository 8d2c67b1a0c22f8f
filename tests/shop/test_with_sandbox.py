"""Checkout against the real sandbox, with the shop served on a real port so that the
sandbox's signed notifications reach it. Nothing is faked: these are the failure modes
of CONTRACT §1.8 and §5 as they happen over HTTP.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests

from storefront.extensions import db
from storefront.models import Notification, Order
from tests.support.shop import (
    LiveShop,
    checkout,
    checkout_paid_order,
    checkout_token,
    csrf_token,
    fill_cart,
    order_snapshot,
    sandbox_order_id,
    wait_for_status,
)


@pytest.fixture
def shop(make_app, sandbox):
    app = make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=1)
    with LiveShop(app) as live:
        yield live


def sandbox_orders(sandbox, number: str) -> list[dict]:
    return [o for o in sandbox.get("api/orders")["data"]
            if o["merchantOrderId"].startswith(f"{number}-")]


def wait_until(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return result


def test_a_paid_order_is_confirmed_by_the_sandbox_notification(shop, sandbox):
    answer = checkout(shop.url, [("french-press-350", 2), ("courier-delivery-moscow", 1)])
    assert answer.status_code == 303 and answer.location.startswith(sandbox.url + "/order/")
    page = requests.get(answer.location, timeout=10)
    language = re.search(r'<html lang="(\w+)">', page.text)[1]  # the order's language
    assert page.status_code == 200 and {"ru": ">Оплатить<", "en": ">Pay<"}[language] in page.text
    invoicebox_id = sandbox_order_id(sandbox, answer.location)
    remote = sandbox.get(f"api/orders/{invoicebox_id}")
    assert (remote["amount"], remote["vatAmount"], remote["status"]) == (5370, 968.36, "created")

    sandbox.control(f"orders/{invoicebox_id}/pay")
    token = _token(shop, invoicebox_id)
    order = wait_for_status(shop, token, "paid")
    assert order.payments[0].status == "completed" and order.paid_at is not None
    attempts = sandbox.get(f"api/notifications?orderId={invoicebox_id}")["data"]
    assert [(a["httpStatus"], a["verdict"]) for a in attempts] == [(200, "success")]
    success = requests.get(f"{shop.url}/orders/{token}/success", timeout=10).text
    assert "Оплата получена" in success  # a browser that names no language reads Russian


def test_an_unknown_outcome_is_reconciled_into_exactly_one_invoicebox_order(shop, sandbox):
    # The sandbox answers only after 2 s; the shop gives up after 1 s, then the order appears.
    sandbox.scenario("api_timeout", seconds=2, method="POST", path="/billing/api/order/order")
    answer = checkout(shop.url, [("ceramic-mug-300", 1)])
    assert answer.status_code == 303 and answer.public_token
    assert answer.location == f"/orders/{answer.public_token}"
    order = shop.order(answer.public_token)
    assert [(p.attempt, p.status) for p in order.payments] == [(1, "pending")]
    message = answer.session.get(shop.url + answer.location, timeout=10).text
    assert "We could not reach Invoicebox" in message and ">Try again</button>" in message

    created = wait_until(lambda: sandbox_orders(sandbox, order.number))
    retry = answer.session.post(f"{shop.url}/orders/{answer.public_token}/pay",
                                data={"csrf_token": csrf_token(message)},
                                allow_redirects=False, timeout=30)
    assert retry.status_code == 303 and retry.headers["Location"] == created[0]["paymentUrl"]
    assert len(sandbox_orders(sandbox, order.number)) == 1
    order = shop.order(answer.public_token)
    assert [(p.attempt, p.status, p.invoicebox_order_id) for p in order.payments] == [
        (1, "created", created[0]["id"])]

    sandbox.control(f"orders/{created[0]['id']}/pay")
    wait_for_status(shop, answer.public_token, "paid")


def test_invoicebox_down_keeps_the_order_and_a_retry_succeeds(shop, sandbox):
    sandbox.scenario("api_500", method="POST", path="/billing/api/order/order")
    answer = checkout(shop.url, [("tieguanyin-oolong-100", 3)])
    assert answer.location == f"/orders/{answer.public_token}"
    order = shop.order(answer.public_token)
    assert order.status == "new" and [p.status for p in order.payments] == ["failed"]
    assert sandbox_orders(sandbox, order.number) == []

    page = answer.session.get(shop.url + answer.location, timeout=10).text
    retry = answer.session.post(f"{shop.url}/orders/{answer.public_token}/pay",
                                data={"csrf_token": csrf_token(page)}, allow_redirects=False,
                                timeout=30)
    remote = sandbox_orders(sandbox, order.number)
    assert [o["merchantOrderId"] for o in remote] == [f"{order.number}-2"]
    assert retry.status_code == 303 and retry.headers["Location"] == remote[0]["paymentUrl"]


def test_the_checkout_form_submitted_twice_at_once_makes_one_order(shop, sandbox):
    session = fill_cart(shop.url, [("french-press-350", 1)])
    page = session.get(f"{shop.url}/checkout", timeout=10).text
    form = {"customer_type": "private", "full_name": "Анна Смирнова",
            "email": "anna@example.ru", "phone": "+79001112233", "consent": "y",
            "checkout_token": checkout_token(page), "csrf_token": csrf_token(page)}
    start = threading.Barrier(2)
    answers: list[requests.Response] = []

    def submit() -> None:
        browser = requests.Session()
        browser.cookies.update(session.cookies)
        start.wait()
        answers.append(browser.post(f"{shop.url}/checkout", data=form, allow_redirects=False,
                                    timeout=30))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [303, 303]
    with shop.app.app_context():
        orders = db.session.execute(db.select(Order)).scalars().all()
        assert len(orders) == 1
        number = orders[0].number
    assert len(sandbox_orders(sandbox, number)) == 1


def test_a_declined_payment_can_be_paid_again_with_the_same_invoicebox_order(shop, sandbox):
    answer = checkout(shop.url, [("barista-guide-book", 1)])
    browser = answer.session
    declined = browser.post(answer.location + "/decline", allow_redirects=False, timeout=10)
    assert declined.status_code == 303 and declined.headers["Location"].endswith("/failed")
    failed = browser.get(declined.headers["Location"], timeout=10).text
    assert "Payment failed" in failed
    again = browser.post(declined.headers["Location"].replace("/failed", "/pay"),
                         data={"csrf_token": csrf_token(failed)}, allow_redirects=False,
                         timeout=30)
    assert again.status_code == 303 and again.headers["Location"] == answer.location
    assert len(sandbox.get("api/orders")["data"]) == 1


def test_a_notification_with_a_bad_signature_is_refused_and_the_status_check_recovers(
    shop, sandbox
):
    sandbox.scenario("notification_bad_signature")
    answer = checkout(shop.url, [("demerara-sugar-500", 2)])
    invoicebox_id = sandbox_order_id(sandbox, answer.location)
    sandbox.control(f"orders/{invoicebox_id}/pay")
    token = _token(shop, invoicebox_id)

    def refused() -> bool:
        with shop.app.app_context():
            return db.session.execute(db.select(Notification.reply_code)).scalar() == \
                "signature_error"

    wait_until(refused)
    assert shop.order(token).status == "awaiting_payment"
    status = requests.get(f"{shop.url}/orders/{token}/status?waited=31", timeout=30).json()
    assert status["paid"] is True
    assert shop.order(token).payments[0].status == "completed"


def test_checkout_paid_order_helper(shop, sandbox):
    token = checkout_paid_order(shop, sandbox, [("gift-certificate-3000", 1)])
    assert order_snapshot(shop.app, token).status == "paid"


def _token(shop: LiveShop, invoicebox_id: str) -> str:
    from tests.support.shop import token_for_invoicebox_id

    return token_for_invoicebox_id(shop, invoicebox_id)
