"""Signed notifications: exact bytes, signatures per algorithm, verdicts and retries, scenarios.

The receiver is a real HTTP server in the test; signatures are recomputed here with ``hmac``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from tests.support.receiver import NotificationReceiver, Reply
from tests.support.sandbox import DEMO_MERCHANT_ID, DEMO_NOTIFICATION_KEY, SandboxProcess

from .helpers import FIXTURES, Api, eventually, missing, order_body

MERCHANTS = {  # id: (token, key, algorithm, path suffix)
    DEMO_MERCHANT_ID: (None, DEMO_NOTIFICATION_KEY, "sha1", ""),
    "0188d934-0000-7000-8000-000000000256": ("a" * 32, "key-256", "sha256", "/sha256"),
    "0188d934-0000-7000-8000-000000000005": ("b" * 32, "key-md5", "md5", "/md5"),
}
CONTROLLED = "0188d934-0000-7000-8000-00000000c0c0"  # shipment control on the payment page

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    merchants = [{"id": DEMO_MERCHANT_ID, "notification_url": receiver.url}]
    for merchant_id, (token, key, algorithm, suffix) in list(MERCHANTS.items())[1:]:
        merchants.append({"id": merchant_id, "token": token, "notification_key": key,
                          "signature_algorithm": algorithm,
                          "notification_url": receiver.url + suffix})
    merchants.append({"id": CONTROLLED, "token": "c" * 32, "notification_key": "key-c",
                      "shipment_control": True, "notification_url": receiver.url + "/ctl"})
    return {"merchants": merchants, "notification_timeout_s": 1,
            "notify_on": ["completed", "canceled"]}


def signature(body: bytes, key: str = DEMO_NOTIFICATION_KEY, algorithm: str = "sha1") -> str:
    return hmac.new(key.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def paid_order(sandbox: SandboxProcess, merchant_id: str = DEMO_MERCHANT_ID,
               token: str | None = None, **overrides: Any) -> dict:
    api = Api(sandbox.url, token or sandbox.token)
    order = api.create_order(order_body(merchantId=merchant_id, **overrides))
    sandbox.control(f"orders/{order['id']}/pay")
    return order


def attempts(sandbox: SandboxProcess, order_id: str) -> list[dict]:
    return sandbox.get(f"api/orders/{order_id}")["notificationAttempts"]


def php_style(body: bytes) -> bytes:
    """Re-encode the way the gateway's PHP does; equal to the input iff it was PHP-style."""
    text = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
    return text.replace("/", "\\/").encode()


def test_payment_notification_is_signed_and_serialised_like_the_gateway(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    order = paid_order(sandbox, description="Чай/кофе", successUrl="https://shop.example/ok")
    [note] = receiver.wait_for(1)

    assert note.headers["X-Signature"] == signature(note.body)
    assert note.headers["Content-Type"] == "application/json"
    assert note.headers["User-Agent"] == "Invoicebox-Sandbox/1.0"
    assert len(note.headers["X-Request-Id"]) >= 16
    assert note.body == php_style(note.body)  # compact, unescaped Cyrillic, "\/"
    assert "Чай\\/кофе".encode() in note.body and b"https:\\/\\/shop.example\\/ok" in note.body
    assert not note.body.endswith(b"\n")

    payload = note.json()
    assert (payload["id"], payload["status"]) == (order["id"], "completed")
    assert payload["paidAt"].endswith("+00:00")
    current = Api(sandbox.url, sandbox.token).ok("GET", f"billing/api/order/order/{order['id']}")
    assert payload == current


@pytest.mark.parametrize("merchant_id", list(MERCHANTS)[1:])
def test_each_merchant_signs_with_its_own_key_and_algorithm(
        sandbox: SandboxProcess, receiver: NotificationReceiver, merchant_id: str) -> None:
    token, key, algorithm, suffix = MERCHANTS[merchant_id]
    paid_order(sandbox, merchant_id, token)
    [note] = receiver.wait_for(1)

    assert note.path == f"/notify{suffix}"
    assert note.headers["X-Signature"] == signature(note.body, key, algorithm)
    assert note.headers["X-Signature"] != signature(note.body, key, "sha1")


def test_the_orders_notification_url_wins(sandbox: SandboxProcess,
                                          receiver: NotificationReceiver) -> None:
    paid_order(sandbox, notificationUrl=f"{receiver.url}/own?paymentHash=abc")

    assert receiver.wait_for(1)[0].path == "/notify/own?paymentHash=abc"


def test_out_of_service_is_retried_on_the_fast_schedule(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    receiver.script({"status": "error", "code": "out_of_service"},
                    {"status": "error", "code": "out_of_service", "message": "DB down"})
    order = paid_order(sandbox)
    notes = receiver.wait_for(3, timeout=10)
    tries = eventually(lambda: (lambda a: a if len(a) == 3 else None)(attempts(sandbox,
                                                                             order["id"])))

    assert [(a["attempt"], a["verdict"], a["code"]) for a in tries] == [
        (1, "retry", "out_of_service"), (2, "retry", "out_of_service"), (3, "success", None)]
    assert tries[1]["message"] == "DB down" and tries[0]["httpStatus"] == 200
    assert json.loads(tries[0]["reply"]) == {"status": "error", "code": "out_of_service"}
    gaps = [b.at - a.at for a, b in zip(notes, notes[1:], strict=False)]
    assert 0.8 < gaps[0] < 1.8 and 1.8 < gaps[1] < 2.8  # fast schedule: 1 s, then 2 s
    assert len({n.body for n in notes}) == 1  # the same bytes every time
    [notification] = sandbox.get(f"api/orders/{order['id']}")["notifications"]
    assert (notification["state"], notification["attempts"]) == ("delivered", 3)


@pytest.mark.parametrize("failures", [
    [Reply(503, "Service Unavailable"), {"status": "error"}],
    [Reply(200, "<html>oops</html>"), Reply(200, "[]", delay=1.5)],
], ids=["non-200 and missing code", "invalid JSON and timeout"])
def test_other_failures_are_retried_too(sandbox: SandboxProcess, receiver: NotificationReceiver,
                                        failures: list) -> None:
    receiver.script(*failures)
    order = paid_order(sandbox)
    receiver.wait_for(3, timeout=10)
    tries = eventually(lambda: (lambda a: a if len(a) == 3 else None)(attempts(sandbox,
                                                                             order["id"])))

    assert [a["verdict"] for a in tries] == ["retry", "retry", "success"]
    assert all(a["code"] is None for a in tries)


def test_timeouts_are_recorded_as_errors(sandbox: SandboxProcess,
                                         receiver: NotificationReceiver) -> None:
    receiver.script(Reply(delay=1.5))
    order = paid_order(sandbox)
    first = eventually(lambda: attempts(sandbox, order["id"]))[0]

    assert first["verdict"] == "retry" and first["httpStatus"] is None
    assert "timeout" in first["error"]
    [queued] = sandbox.get(f"api/orders/{order['id']}")["notifications"]
    assert (queued["state"], queued["attempts"]) == ("pending", 1)
    assert queued["nextAttemptAt"].endswith("+00:00")


@pytest.mark.parametrize("code", ["order_wrong_amount", "signature_error", "order_not_found",
                                  "order_already_paid", "order_wrong_currency"])
def test_final_codes_stop_the_retries(sandbox: SandboxProcess, receiver: NotificationReceiver,
                                      code: str) -> None:
    receiver.script({"status": "error", "code": code, "message": "nope"})
    order = paid_order(sandbox)
    receiver.wait_for(1)
    [notification] = eventually(lambda: [
        n for n in sandbox.get(f"api/orders/{order['id']}")["notifications"]
        if n["state"] != "sending"])

    assert (notification["state"], notification["nextAttemptAt"]) == ("failed", None)
    tries = attempts(sandbox, order["id"])
    assert [(a["verdict"], a["code"], a["message"]) for a in tries] == [("final", code, "nope")]


def test_nothing_is_sent_after_a_final_code(sandbox: SandboxProcess,
                                            receiver: NotificationReceiver) -> None:
    receiver.script({"status": "error", "code": "order_wrong_amount"})
    order = paid_order(sandbox)
    receiver.wait_for(1)
    time.sleep(1.5)  # past the first retry's due time

    assert len(receiver.received) == 1
    assert len(attempts(sandbox, order["id"])) == 1


def test_notify_control_sends_again(sandbox: SandboxProcess,
                                    receiver: NotificationReceiver) -> None:
    order = paid_order(sandbox)
    receiver.wait_for(1)
    view = sandbox.control(f"orders/{order['id']}/notify")
    notes = receiver.wait_for(2)

    assert len(view["notifications"]) == 2
    assert notes[0].body == notes[1].body
    assert notes[0].headers["X-Request-Id"] != notes[1].headers["X-Request-Id"]


def test_attempt_log_is_newest_first(sandbox: SandboxProcess,
                                     receiver: NotificationReceiver) -> None:
    first, second = paid_order(sandbox), paid_order(sandbox)
    receiver.wait_for(2)
    log = eventually(lambda: (lambda d: d if len(d) == 2 else None)(
        sandbox.get("api/notifications")["data"]))

    assert {a["orderId"] for a in log} == {first["id"], second["id"]}
    assert log[0]["id"] > log[1]["id"]
    assert sandbox.get(f"api/notifications?orderId={first['id']}")["data"][0]["orderId"] == \
        first["id"]


def test_cancel_is_notified_when_configured_but_expiry_is_not(
        sandbox: SandboxProcess, receiver: NotificationReceiver, api: Api) -> None:
    canceled = api.create_order()
    expired = api.create_order()
    api.ok("DELETE", f"billing/api/order/order/{canceled['id']}")
    sandbox.control(f"orders/{expired['id']}/expire")
    [note] = receiver.wait_for(1)
    time.sleep(0.5)

    assert (note.json()["id"], note.json()["status"]) == (canceled["id"], "canceled")
    assert len(receiver.received) == 1


def test_monitoring_test_notification(sandbox: SandboxProcess,
                                      receiver: NotificationReceiver) -> None:
    attempt = sandbox.control("notifications/test", {"url": f"{receiver.url}/monitor"})
    [note] = receiver.wait_for(1)
    payload = note.json()

    assert attempt["verdict"] == "success" and attempt["httpStatus"] == 200
    assert note.path == "/notify/monitor"
    assert payload["id"] == "ffffffff-ffff-ffff-ffff-ffffffffffff"
    assert payload["merchantOrderId"] == ""
    assert payload["merchantId"] == DEMO_MERCHANT_ID
    assert (payload["status"], payload["amount"], payload["currencyId"]) == (
        "completed", 1, "RUB")
    assert note.headers["X-Signature"] == signature(note.body)


def test_monitoring_test_is_shaped_like_a_real_notification(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    """Every member of the gateway's recorded notification, with the same JSON types: the PHP
    SDK's OrderNotification::fromArray reads ``customer.type`` and fails without it."""
    recorded = json.loads((FIXTURES / "notification-example.body").read_bytes(),
                          parse_float=Decimal)
    sandbox.control("notifications/test", {"url": f"{receiver.url}/monitor"})
    [note] = receiver.wait_for(1)
    payload = json.loads(note.body, parse_float=Decimal)
    paid_order(sandbox)
    [_, real] = receiver.wait_for(2)

    assert missing(recorded, payload) == []
    assert missing(json.loads(real.body, parse_float=Decimal), payload) == []
    assert payload["customer"]["type"] in ("legal", "private")
    assert (payload["merchantOrderId"], payload["merchantOrderIdVisible"]) == ("", "")
    assert note.body == php_style(note.body)


def test_monitoring_test_goes_to_the_merchants_url_by_default(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    receiver.script({"status": "error", "code": "order_not_found"})
    attempt = sandbox.control("notifications/test")

    assert receiver.wait_for(1)[0].path == "/notify"
    assert (attempt["verdict"], attempt["code"]) == ("final", "order_not_found")


# -- scenarios ---------------------------------------------------------------------------

def test_bad_signature_scenario(sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_bad_signature")
    order = paid_order(sandbox)
    paid_order(sandbox)
    bad, good = receiver.wait_for(2)

    assert bad.json()["id"] == order["id"]
    assert bad.headers["X-Signature"] != signature(bad.body)
    assert len(bad.headers["X-Signature"]) == 40
    assert good.headers["X-Signature"] == signature(good.body)


def test_wrong_amount_scenario(sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_wrong_amount")
    order = paid_order(sandbox)
    [note] = receiver.wait_for(1)

    assert note.headers["X-Signature"] == signature(note.body)
    assert note.json()["amount"] == Decimal(str(order["amount"])) + 1


def test_twice_scenario_delivers_two_copies_at_once(sandbox: SandboxProcess,
                                                    receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_twice")
    paid_order(sandbox)
    first, second = receiver.wait_for(2)

    assert first.body == second.body
    assert abs(first.at - second.at) < 0.5


def test_delay_scenario(sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_delay", seconds=1.5)
    started = time.monotonic()
    paid_order(sandbox)
    [note] = receiver.wait_for(1, timeout=5)

    assert note.at - started >= 1.4


def test_scenario_path_must_match_the_notification_url(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    sandbox.scenario("notification_bad_signature", path="/elsewhere")
    paid_order(sandbox)
    [note] = receiver.wait_for(1)

    assert note.headers["X-Signature"] == signature(note.body)
    assert [s["name"] for s in sandbox.get("scenarios")["data"]] == [
        "notification_bad_signature"]


def pay_on_page(order: dict) -> requests.Response:
    return requests.post(f"{order['paymentUrl']}/pay", allow_redirects=False, timeout=30)


def test_redirect_does_not_wait_for_the_notification(
        sandbox: SandboxProcess, receiver: NotificationReceiver, api: Api) -> None:
    receiver.script(Reply(delay=0.8))
    order = api.create_order(successUrl="https://shop.example/ok")
    started = time.monotonic()
    response = pay_on_page(order)

    assert response.status_code == 303 and time.monotonic() - started < 0.6
    receiver.wait_for(1)


def test_before_redirect_scenario_delivers_first(
        sandbox: SandboxProcess, receiver: NotificationReceiver, api: Api) -> None:
    sandbox.scenario("notification_before_redirect")
    receiver.script(Reply(delay=0.3))
    order = api.create_order(successUrl="https://shop.example/ok")
    response = pay_on_page(order)

    assert response.status_code == 303
    assert len(receiver.received) == 1  # already there when the redirect came back
    assert response.headers["Location"] == "https://shop.example/ok"


@pytest.mark.parametrize(("reply", "target"), [
    ({"status": "success"}, "https://shop.example/ok"),
    ({"status": "error", "code": "shipping_unavailable"}, "https://shop.example/fail"),
])
def test_shipment_control_lets_the_shop_decide_the_redirect(
        sandbox: SandboxProcess, receiver: NotificationReceiver, reply: dict,
        target: str) -> None:
    receiver.script(reply)
    api = Api(sandbox.url, "c" * 32)
    order = api.create_order(order_body(merchantId=CONTROLLED,
                                        successUrl="https://shop.example/ok",
                                        failUrl="https://shop.example/fail"))
    response = pay_on_page(order)
    assert response.headers["Location"].endswith("/confirm")  # the wait page comes first
    receiver.wait_for(1)
    answer = eventually(lambda: confirmed(urljoin(order["paymentUrl"],
                                                  response.headers["Location"])))

    assert len(receiver.received) == 1
    assert (answer.headers.get("Location") or fail_link(answer.text)) == target
    assert api.ok("GET", f"billing/api/order/order/{order['id']}")["status"] == "completed"


def confirmed(url: str) -> requests.Response | None:
    """The wait page's answer once the shop has answered (None while it still waits)."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    return None if response.status_code == 200 and "data-poll" in response.text else response


def fail_link(html: str) -> str:
    found = re.search(r'<a class="button-link primary" href="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_drop_scenario_never_sends_the_orders_notification(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    dropped = Api(sandbox.url, sandbox.token).create_order(order_body())
    sandbox.scenario("notification_drop", path=dropped["merchantOrderId"])
    other = paid_order(sandbox)  # another order's notification is not touched
    paid = sandbox.control(f"orders/{dropped['id']}/pay")
    [note] = receiver.wait_for(1)
    time.sleep(1)  # the fast schedule would have retried by now

    assert [n["state"] for n in paid["notifications"]] == ["dropped"]
    assert note.json()["id"] == other["id"] and len(receiver.received) == 1
    assert attempts(sandbox, dropped["id"]) == []
    assert sandbox.get("scenarios")["data"] == []
