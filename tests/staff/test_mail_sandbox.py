"""The buyer's three messages along a real order against the sandbox: placed, paid,
refunded; queued by the flows themselves, sent by the runner to a real SMTP catcher, in
the order's language, with the link to the order's page and the amounts as money."""

from __future__ import annotations

import secrets
from dataclasses import replace

from storefront.extensions import db
from storefront.invoicebox import kopecks_to_decimal
from storefront.models import Refund
from storefront.payments import pay, place_order, sync_payment
from storefront.payments.reconcile import run_pass
from tests.support.mail import Catcher, smtp_settings

from .live import BUYER, NOWHERE, ShopOnSandbox, refund_data, refund_form

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"
NBSP = "\u00a0"


def english(amount_kopecks: int) -> str:
    return f"{kopecks_to_decimal(amount_kopecks):,}{NBSP}₽"  # 2,970.00 ₽


def test_placed_paid_refunded_each_reach_the_buyer_once_in_english(make_app, sandbox, tmp_path):
    sandbox.clear_scenarios()
    with Catcher(tmp_path / "caught") as catcher:
        shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_PUBLIC_URL=NOWHERE,
                                      **smtp_settings(catcher.port)), sandbox)
        with shop.app.app_context():
            drafts = [shop._draft(COFFEE, 2), shop._draft(MUG, 1)]
            order, _ = place_order(drafts, replace(BUYER, language="en"), secrets.token_urlsafe(16))
            number, token, amount = order.number, order.public_token, order.amount
            pay(order)
        shop.pay_at_sandbox(number)
        with shop.app.app_context():
            sync_payment(shop.order(number))
            sync_payment(shop.order(number))  # the same news twice: one message
        client = shop.staff_client()
        form_token, skus = refund_form(client, number)
        client.post(f"/staff/orders/{number}/refund",
                    data=refund_data(form_token, skus, {MUG: 1}))
        [remote] = shop.sandbox_refunds(number)
        shop.sandbox.control(f"refunds/{remote['id']}/complete")
        client.post(f"/staff/orders/{number}/sync")
        with shop.app.app_context():
            refund = db.session.execute(db.select(Refund)).scalar_one()
            assert refund.status == "completed"
            refunded, [mug] = refund.amount, [line.name for line in refund.lines]
            report = run_pass("runner-a")
            assert report.mail.sent == 3
            assert run_pass("runner-a").mail.sent == 0
        messages = catcher.messages()

    assert [m["Subject"] for m in messages] == [
        f"Order {number} is placed", f"Payment for order {number} received",
        f"Refund for order {number}"]
    assert {m["To"] for m in messages} == {BUYER.email}
    assert {m["Content-Language"] for m in messages} == {"en"}
    placed, paid, refunded_mail = (m.get_body(("plain",)).get_content() for m in messages)
    link = f"{NOWHERE}/orders/{token}"
    assert link in placed and link in paid
    assert f"The total is {english(amount)}." in placed
    assert "× 2" in placed and "× 1" in placed
    assert f"We have received {english(amount)} for order {number}" in paid
    assert f"We have refunded {english(refunded)} for order {number}:" in refunded_mail
    assert f"- {mug} × 1 — {english(refunded)}" in refunded_mail
    html = messages[0].get_body(("html",)).get_content()
    assert f'href="{link}"' in html and '<html lang="en">' in html
