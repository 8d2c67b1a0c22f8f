"""The buyer's "shipped" e-mail along real shipments against the sandbox: queued in the
transaction that learns a shipment is completed, once per shipment however often the news
is read, in the order's language, listing what was shipped under which document, and
delivered by the runner to a real SMTP catcher; a shipment Invoicebox cancels sends nothing."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

from storefront.extensions import db
from storefront.mail import queue_order_shipped
from storefront.models import OutboxMessage, Shipment
from storefront.payments import pay, place_order, run_pass, sync_payment
from tests.support.mail import Catcher, smtp_settings

from .live import BUYER, NOWHERE, ShopOnSandbox, shop_on
from .test_shipments_sandbox import remote_shipments, ship

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"
COFFEE_RU = "Кофе в зёрнах «Эфиопия Иргачеффе», свежая обжарка, 250 г"
NBSP = "\u00a0"
MUG_RU = "Кружка керамическая ручной работы, глазурь «Северное море», 300 мл"


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    """Shipments move on only when a test advances or cancels them."""
    return {"SANDBOX_REFUND_DELAY": "60", "SANDBOX_SHIPMENT_DELAY": "3600"}


@pytest.fixture
def catcher(tmp_path):
    with Catcher(tmp_path / "caught") as running:
        yield running


@pytest.fixture
def shop(make_app, sandbox, catcher) -> ShopOnSandbox:
    return shop_on(make_app, sandbox, STOREFRONT_RECONCILE_GRACE_SECONDS=0,
                   **smtp_settings(catcher.port))


def complete(shop: ShopOnSandbox, remote_id: int) -> None:
    """At the sandbox: draft -> processing -> completed (its documents issued)."""
    shop.sandbox.control(f"shipments/{remote_id}/advance")
    shop.sandbox.control(f"shipments/{remote_id}/advance")


def shipped_rows(shop: ShopOnSandbox) -> list[OutboxMessage]:
    with shop.app.app_context():
        rows = list(db.session.execute(
            db.select(OutboxMessage).where(OutboxMessage.kind == "order_shipped")
            .order_by(OutboxMessage.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def english_paid_order(shop: ShopOnSandbox, items: dict[str, int]) -> tuple[str, str]:
    """A paid order placed in English: (number, public token)."""
    with shop.app.app_context():
        drafts = [shop._draft(sku, quantity) for sku, quantity in items.items()]
        order, _ = place_order(drafts, replace(BUYER, language="en"), secrets.token_urlsafe(16))
        number, token = order.number, order.public_token
        pay(order)
    shop.pay_at_sandbox(number)
    with shop.app.app_context():
        sync_payment(shop.order(number))
        assert shop.order(number).status == "paid"
    return number, token


def test_a_completed_shipment_mails_the_buyer_once_and_a_canceled_one_nothing(shop, catcher):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    with shop.app.app_context():
        token = shop.order(number).public_token
    client = shop.staff_client()
    assert ship(client, number, {COFFEE: 1, MUG: 1}, "TN-1").status_code == 302
    assert ship(client, number, {COFFEE: 1}, "TN-2").status_code == 302
    first, second = remote_shipments(shop, number)
    complete(shop, first["id"])
    shop.sandbox.control(f"shipments/{second['id']}/cancel")
    assert shipped_rows(shop) == []  # nothing is known yet: nothing is queued

    # The news read three times (staff's sync, two runner passes): one message.
    client.post(f"/staff/orders/{number}/sync")
    with shop.app.app_context():
        states = dict(db.session.execute(
            db.select(Shipment.document_number, Shipment.status)).all())
        assert states == {"TN-1": "completed", "TN-2": "canceled"}
        run_pass("runner-a")
        run_pass("runner-b")
    [row] = shipped_rows(shop)
    with shop.app.app_context():
        tn1 = db.session.execute(
            db.select(Shipment).where(Shipment.document_number == "TN-1")).scalar_one()
        assert row.dedupe_key == f"order_shipped:{tn1.id}"
        assert row.sent_at is not None and row.language == "ru"
        # Queued again (a second runner applying the same news): still one.
        with shop.app.test_request_context():
            assert queue_order_shipped(shop.order(number), tn1) is False

    [mail] = [m for m in catcher.messages() if m["Subject"].startswith(f"Заказ {number} отпр")]
    assert mail["Subject"] == f"Заказ {number} отправлен"
    assert mail["To"] == BUYER.email and mail["Content-Language"] == "ru"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Из заказа {number} мы отправили по документу TN-1 от 30 нояб. 2026{NBSP}г.:" in text
    assert f"- {COFFEE_RU} × 1\n" in text and f"- {MUG_RU} × 1\n" in text
    assert "TN-2" not in text  # the canceled shipment is nowhere
    link = f"{NOWHERE}/orders/{token}"
    assert link in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="{link}"' in html and '<html lang="ru">' in html and "TN-1" in html
    assert sum("отправлен" in m["Subject"] for m in catcher.messages()) == 1


def test_each_shipment_has_its_own_mail_in_the_orders_language(shop, catcher):
    number, token = english_paid_order(shop, {COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    ship(client, number, {COFFEE: 2}, "TN-7")
    ship(client, number, {MUG: 1}, "TN-8")
    for remote in remote_shipments(shop, number):
        complete(shop, remote["id"])
    with shop.app.app_context():
        assert run_pass("runner-a").mail.sent >= 2
    assert [(row.language, row.context["document_number"]) for row in shipped_rows(shop)] == [
        ("en", "TN-7"), ("en", "TN-8")]

    mails = [m for m in catcher.messages() if m["Subject"] == f"Order {number} is shipped"]
    assert len(mails) == 2
    texts = sorted(m.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in mails)
    assert ("We have shipped from order " + number + ", under document TN-7 of Nov 30, 2026:"
            in texts[0])
    assert "- Ethiopia Yirgacheffe coffee beans, 250 g × 2\n" in texts[0]
    assert "- Handmade ceramic mug, North Sea glaze, 300 ml × 1\n" in texts[1]
    assert all(f"{NOWHERE}/orders/{token}" in text for text in texts)
