"""The ``/_sandbox`` controls (JSON and HTML forms), read endpoints and the admin page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxError, SandboxProcess

from .helpers import Api, eventually, line, refund_body

pytestmark = pytest.mark.usefixtures("fresh")


def form_post(sandbox: SandboxProcess, path: str, data: dict | None = None) -> str:
    """Submit an admin-page form; returns the notice of the redirect back to the admin page."""
    response = requests.post(f"{sandbox.url}/_sandbox/{path}", data=data or {"x": ""},
                             allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["Location"])
    assert location.path == "/_sandbox/"
    return parse_qs(location.query)["notice"][0]


def test_health(sandbox: SandboxProcess) -> None:
    health = sandbox.get("health")

    assert health["status"] == "ok"
    assert health["merchants"] == [DEMO_MERCHANT_ID]
    assert health["apiPrefixes"] == ["v3", "l3"]
    assert health["retrySchedule"] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert health["publicUrl"] == sandbox.url and health["refundCompleteDelay"] == 1


def test_order_reads_with_attempts(sandbox: SandboxProcess, api: Api,
                                   receiver: NotificationReceiver) -> None:
    first, second = api.create_order(), api.create_order()
    sandbox.control(f"orders/{first['id']}/pay")
    receiver.wait_for(1)

    view = eventually(lambda: (lambda v: v if v["notificationAttempts"] else None)(
        sandbox.get(f"api/orders/{first['id']}")))
    assert view["status"] == "completed"
    [attempt] = view["notificationAttempts"]
    assert (attempt["attempt"], attempt["verdict"], attempt["httpStatus"]) == (1, "success", 200)
    assert attempt["url"] == receiver.url and attempt["at"].endswith("+00:00")
    listed = sandbox.get("api/orders")["data"]
    assert [o["id"] for o in listed] == [second["id"], first["id"]]
    by_number = sandbox.get(f"api/orders?merchantOrderId={second['merchantOrderId']}")["data"]
    assert [o["id"] for o in by_number] == [second["id"]]
    with pytest.raises(SandboxError, match="404"):
        sandbox.get("api/orders/nope")


def test_refund_reads(sandbox: SandboxProcess, api: Api) -> None:
    order = api.create_order(lines=[line("a", "10.00", 3)])
    other = api.create_order()
    for paid in (order, other):
        sandbox.control(f"orders/{paid['id']}/pay")
    refund = api.ok("POST", "billing/api/order/refund-order",
                    refund_body(order, [line("a", "10.00")]))
    api.ok("POST", "billing/api/order/refund-order", refund_body(other))

    assert len(sandbox.get("api/refunds")["data"]) == 2
    assert [r["id"] for r in sandbox.get(f"api/refunds?parentId={order['id']}")["data"]] == [
        refund["id"]]


def test_decline_and_expire_controls(sandbox: SandboxProcess, api: Api) -> None:
    order = api.create_order()

    assert sandbox.control(f"orders/{order['id']}/decline")["status"] == "created"
    assert sandbox.control(f"orders/{order['id']}/expire")["status"] == "expired"
    with pytest.raises(SandboxError, match="409"):
        sandbox.control(f"orders/{order['id']}/expire")
    with pytest.raises(SandboxError, match="409"):
        sandbox.control(f"orders/{order['id']}/decline")
    with pytest.raises(SandboxError, match="404"):
        sandbox.control("orders/nope/pay")


def test_notify_needs_a_url(tmp_path) -> None:
    with SandboxProcess(tmp_path) as sandbox:  # the demo merchant has no notification URL
        order = Api(sandbox.url, sandbox.token).create_order()
        sandbox.control(f"orders/{order['id']}/pay")
        view = sandbox.get(f"api/orders/{order['id']}")
        with pytest.raises(SandboxError, match="422"):
            sandbox.control(f"orders/{order['id']}/notify")
        with pytest.raises(SandboxError, match="422"):
            sandbox.control("notifications/test")

    assert [n["state"] for n in view["notifications"]] == ["undeliverable"]
    assert view["notificationAttempts"] == []


def test_reset_wipes_everything(sandbox: SandboxProcess, api: Api) -> None:
    api.create_order()
    sandbox.scenario("api_500", method="DELETE")

    assert sandbox.reset() == {"status": "reset"}
    assert sandbox.get("api/orders")["data"] == []
    assert sandbox.get("scenarios")["data"] == []


def test_admin_page_lists_orders_refunds_and_attempts(sandbox: SandboxProcess, api: Api,
                                                      receiver: NotificationReceiver) -> None:
    receiver.script({"status": "error", "code": "order_wrong_amount", "message": "Сумма"})
    order = api.create_order(lines=[line("a", "10.00", 2)])
    sandbox.control(f"orders/{order['id']}/pay")
    refund = api.ok("POST", "billing/api/order/refund-order",
                    refund_body(order, [line("a", "10.00")]))
    eventually(lambda: sandbox.get("api/notifications")["data"])
    html = requests.get(f"{sandbox.url}/_sandbox/", timeout=10).text

    for text in (order["id"], order["merchantOrderId"], refund["id"], "order_wrong_amount",
                 "Сумма", "final", "Arm scenario", "Send test notification"):
        assert text in html, text


def test_admin_forms_redirect_back_with_a_notice(sandbox: SandboxProcess, api: Api) -> None:
    order = api.create_order(languageId="en")

    assert form_post(sandbox, f"orders/{order['id']}/pay").startswith("Paid order")
    assert form_post(sandbox, f"orders/{order['id']}/pay").startswith("Refused")
    assert form_post(sandbox, "scenarios", {"name": "api_500", "count": "2", "seconds": "",
                                            "method": "POST", "path": ""}) == \
        "Scenario api_500 armed"
    assert [(s["remaining"], s["method"], s["path"]) for s in
            sandbox.get("scenarios")["data"]] == [(2, "POST", None)]
    assert form_post(sandbox, "scenarios/clear").startswith("Cleared 1")
    assert form_post(sandbox, "reset") == "State wiped"
    notice_page = requests.get(f"{sandbox.url}/_sandbox/?notice=%3Cb%3Ehi", timeout=10).text
    assert "&lt;b&gt;hi" in notice_page  # notices are escaped


def test_refund_complete_via_form(sandbox: SandboxProcess, api: Api) -> None:
    order = api.create_order()
    sandbox.control(f"orders/{order['id']}/pay")
    refund = api.ok("POST", "billing/api/order/refund-order", refund_body(order))

    assert form_post(sandbox, f"refunds/{refund['id']}/complete").endswith("completed")
    assert sandbox.get("api/refunds")["data"][0]["status"] == "completed"
