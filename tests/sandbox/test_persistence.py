"""State lives in the SQLite file: it survives a restart, ``--reset`` wipes it, and queued
notifications resume after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.receiver import NotificationReceiver, Reply
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxError, SandboxProcess

from .helpers import Api, eventually, line, refund_body


def test_state_survives_a_restart(tmp_path: Path) -> None:
    with SandboxProcess(tmp_path) as sandbox:
        api = Api(sandbox.url, sandbox.token)
        order = api.create_order(lines=[line("a", "100.00", 2)])
        sandbox.control(f"orders/{order['id']}/pay")
        paid = api.ok("GET", f"billing/api/order/order/{order['id']}")
        refund = api.ok("POST", "billing/api/order/refund-order",
                        refund_body(paid, [line("a", "100.00")], merchantOrderId="R-1"))

        sandbox.restart()
        api = Api(sandbox.url, sandbox.token)
        again = api.ok("GET", f"billing/api/order/order/{order['id']}")
        refunds = api.ok("GET", f"filter/api/order/refund-order?parentId={order['id']}")
        duplicate = api.call("POST", "billing/api/order/refund-order",
                             refund_body(paid, [line("a", "100.00")], merchantOrderId="R-1"))

    assert again == dict(paid, paymentUrl=f"{sandbox.url}/order/{order['orderContainerId']}")
    assert [r["id"] for r in refunds] == [refund["id"]]
    assert duplicate.json()["error"]["code"] == "merchant_order_id_duplicate"


def test_a_new_process_with_reset_starts_clean(tmp_path: Path) -> None:
    with SandboxProcess(tmp_path) as sandbox:
        Api(sandbox.url, sandbox.token).create_order()
        assert len(sandbox.get("api/orders")["data"]) == 1

    with SandboxProcess(tmp_path) as sandbox:  # a first start passes --reset
        assert sandbox.get("api/orders")["data"] == []


def test_queued_retries_resume_after_a_restart(tmp_path: Path) -> None:
    with NotificationReceiver() as receiver:
        receiver.script({"status": "error", "code": "out_of_service"})
        # A 2 s first retry leaves time to stop the process while the retry is queued.
        config = {"merchants": [{"id": DEMO_MERCHANT_ID, "notification_url": receiver.url}],
                  "retry_schedule": [2, 2]}
        with SandboxProcess(tmp_path, config=config, env={"SANDBOX_NOTIFY_MODE": ""}) as sb:
            order = Api(sb.url, sb.token).create_order()
            sb.control(f"orders/{order['id']}/pay")
            eventually(lambda: sb.get(f"api/orders/{order['id']}")["notificationAttempts"])
            sb.stop()
            sb.start()
            receiver.wait_for(2, timeout=10)
            view = eventually(lambda: (lambda v: v if len(v["notificationAttempts"]) == 2
                                       else None)(sb.get(f"api/orders/{order['id']}")))

    assert [a["verdict"] for a in view["notificationAttempts"]] == ["retry", "success"]
    assert view["notifications"][0]["state"] == "delivered"
    assert receiver.received[0].body == receiver.received[1].body


def test_retries_stop_after_the_schedule_is_used_up(tmp_path: Path) -> None:
    with NotificationReceiver(default=Reply(body={"status": "error"})) as receiver:
        config = {"merchants": [{"id": DEMO_MERCHANT_ID, "notification_url": receiver.url}],
                  "retry_schedule": [0.1] * 10}
        with SandboxProcess(tmp_path, config=config, env={"SANDBOX_NOTIFY_MODE": ""}) as sb:
            order = Api(sb.url, sb.token).create_order()
            sb.control(f"orders/{order['id']}/pay")
            receiver.wait_for(11, timeout=15)
            [notification] = eventually(lambda: [
                n for n in sb.get(f"api/orders/{order['id']}")["notifications"]
                if n["state"] == "exhausted"])

    assert notification["attempts"] == 11 and len(receiver.received) == 11


def test_a_broken_config_stops_start_up_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match=r"unknown settings: \['colour'\]"):
        SandboxProcess(tmp_path, config={"colour": "blue"}).start()
