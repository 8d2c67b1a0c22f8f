"""Whatever the shop logs, at any level, carries no secret and no buyer's personal data.

A buyer checks out and pays at the sandbox, the sandbox's signed notification arrives (and
a forged and a replayed one after it), and a staff member signs in and refunds part of the
order; everything the shop's loggers and the root logger received on the way is searched.
"""

from __future__ import annotations

import logging
import secrets

import pytest

from storefront.invoicebox import sign
from tests.support.shop import (
    LiveShop,
    csrf_token,
    sandbox_order_id,
    token_for_invoicebox_id,
    wait_for_status,
)

from .live import Browser

SECRET_KEY = f"session-key-{secrets.token_hex(16)}"
BUYER = {
    "customer_type": "private",
    "full_name": "Евгения Логинова",
    "email": "evgenia.loginova@example.ru",
    "phone": "+7 (912) 345-67-89",
    "consent": "y",
}
STAFF_EMAIL, STAFF_PASSWORD = "boris@sever-coffee.ru", "staff password for the log test"
# Standard LogRecord attributes; anything else on a record came from ``extra=``.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Each record's message, arguments, extra fields and traceback, as one text."""
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), str(record.exc_text or ""),
                  str(record.stack_info or "")]
        parts += [repr(v) for k, v in vars(record).items() if k not in _RECORD_FIELDS]
    return "\n".join(parts)


@pytest.fixture
def shop_app(make_app, sandbox):
    """The shop on the sandbox, CSRF on, with a staff member.

    Built in set-up, not in the test: migrating reads alembic's logging config, which
    replaces the root logger's handlers, the capturing one included.
    """
    app = make_app(INVOICEBOX_API_URL=sandbox.url, WTF_CSRF_ENABLED=True, SECRET_KEY=SECRET_KEY)
    created = app.test_cli_runner().invoke(
        args=["staff", "create", STAFF_EMAIL, "--password", STAFF_PASSWORD])
    assert created.exit_code == 0, created.output
    return app


def test_logs_carry_no_secrets_and_no_personal_data(shop_app, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="storefront")
    signatures = []

    with LiveShop(shop_app) as shop:
        buyer = Browser(shop.url)
        answer = buyer.post("/checkout", data=buyer.checkout_form([("french-press-350", 2)],
                                                                  BUYER))
        assert answer.status_code == 303
        invoicebox_id = sandbox_order_id(sandbox, answer.headers["Location"])
        sandbox.control(f"orders/{invoicebox_id}/pay")  # its notification reaches the shop
        token = token_for_invoicebox_id(shop, invoicebox_id)
        number = wait_for_status(shop, token, "paid").number
        assert buyer.page(f"/orders/{token}/success")

        [sent] = sandbox.get(f"api/orders/{invoicebox_id}")["notifications"]
        raw = sent["body"].encode("utf-8")
        signatures += [sign(raw, sandbox.notification_key), secrets.token_hex(20)]
        for signature, reply in zip(signatures, ["success", "error"], strict=True):
            notified = buyer.post("/invoicebox/notification", data=raw,
                                  headers={"Content-Type": "application/json",
                                           "X-Signature": signature})
            assert notified.json()["status"] == reply

        staff = Browser(shop.url)
        login = staff.page("/staff/login")
        signed_in = staff.post("/staff/login", data={
            "email": STAFF_EMAIL, "password": STAFF_PASSWORD,
            "csrf_token": csrf_token(login)})
        assert signed_in.status_code == 302
        form = staff.refund_form(number, quantities={"FP-GLS-350": 1})
        refunded = staff.post(f"/staff/orders/{number}/refund", data=form)
        assert refunded.headers.get("Location") == f"/staff/orders/{number}"
        assert "Refund created" in staff.page(f"/staff/orders/{number}")

    logged = everything_logged(caplog)
    # The capture is real: the server's threads logged the whole journey.
    for expected in (f"order {number} placed", f"order {number} paid",
                     f"notification id={invoicebox_id}", "signature=invalid",
                     f"refund R-{number}-1: created", "invoicebox POST"):
        assert expected in logged, expected
    never = {
        "API token": sandbox.token,
        "notification key": sandbox.notification_key,
        "SECRET_KEY": SECRET_KEY,
        "staff password": STAFF_PASSWORD,
        "buyer's email": BUYER["email"],
        "buyer's email, local part": BUYER["email"].split("@")[0],
        "buyer's name": BUYER["full_name"],
        "buyer's surname": BUYER["full_name"].split()[-1],
        "buyer's phone as typed": BUYER["phone"],
        "buyer's phone, digits": "79123456789",
        "buyer's phone, national": "9123456789",
    }
    never.update({f"X-Signature {n}": s for n, s in enumerate(signatures)})
    never.update({f"X-Signature {n}, upper case": s.upper() for n, s in enumerate(signatures)})
    leaked = {what: value for what, value in never.items() if value in logged}
    assert not leaked, leaked

