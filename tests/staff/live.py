"""The shop wired to a real sandbox process, for the staff integration tests.

Orders are made the way a buyer makes them (``place_order`` and ``pay`` create a real
Invoicebox order at the sandbox), paid with the sandbox's control, and applied with the
shop's own status check. The shop's notification URL points at a closed port unless a
test serves the shop, so only an explicit sync tells the shop about a payment.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.invoicebox import InvoiceboxClient
from storefront.models import Order, Product
from storefront.payments import CustomerDetails, LineDraft, pay, place_order, sync_payment
from storefront.staff.accounts import create_staff
from tests.support.sandbox import SandboxProcess

from .helpers import STAFF_EMAIL, STAFF_PASSWORD, sign_in

# Nothing listens here: notifications sent to the shop are lost.
NOWHERE = "http://127.0.0.1:9"
BUYER = CustomerDetails(type="private", name="Мария Иванова", email="maria@mail.ru",
                        phone="79001112233")


class ShopOnSandbox:
    """A shop app talking to ``sandbox``; ``app`` has a staff member already."""

    def __init__(self, app: Flask, sandbox: SandboxProcess) -> None:
        self.app = app
        self.sandbox = sandbox
        self.gateway = InvoiceboxClient(sandbox.url, sandbox.token)
        with app.app_context():
            create_staff(STAFF_EMAIL, STAFF_PASSWORD)
            db.session.commit()

    def staff_client(self) -> FlaskClient:
        client = self.app.test_client()
        assert sign_in(client).status_code == 302
        return client

    def unpaid_order(self, items: dict[str, int]) -> str:
        """An order sent to payment: a payable Invoicebox order exists. Returns its number."""
        with self.app.app_context():
            drafts = [self._draft(sku, quantity) for sku, quantity in items.items()]
            order, _ = place_order(drafts, BUYER, secrets.token_urlsafe(16))
            result = pay(order)
            assert result.payment_url, result
            return order.number

    def paid_order(self, items: dict[str, int]) -> str:
        number = self.unpaid_order(items)
        self.pay_at_sandbox(number)
        with self.app.app_context():
            order = self.order(number)
            sync_payment(order)
            assert self.order(number).status == "paid"
        return number

    def pay_at_sandbox(self, number: str) -> dict:
        return self.sandbox.control(f"orders/{self.invoicebox_id(number)}/pay")

    def order(self, number: str) -> Order:
        """Read fresh from the database (call inside ``app.app_context()``)."""
        db.session.expire_all()
        return db.session.execute(db.select(Order).where(Order.number == number)).scalar_one()

    def invoicebox_id(self, number: str) -> str:
        with self.app.app_context():
            return self.order(number).current_payment.invoicebox_order_id

    def refundable(self, number: str) -> dict[str, tuple[Decimal, Decimal]]:
        """What the sandbox itself says is still refundable, per sku: (amount, VAT)."""
        items = self.gateway.get_refundable_items(self.invoicebox_id(number))
        return {i.sku: (i.available_amount, i.available_vat_amount) for i in items}

    def sandbox_refunds(self, number: str) -> list[dict]:
        return self.sandbox.get(f"api/refunds?parentId={self.invoicebox_id(number)}")["data"]

    def _draft(self, sku: str, quantity: int) -> LineDraft:
        product = db.session.execute(db.select(Product).where(Product.sku == sku)).scalar_one()
        return LineDraft(product_id=product.id, sku=product.sku, name=product.name,
                         unit_price=product.price, quantity=quantity, vat_code=product.vat_code,
                         item_type=product.item_type, measure=product.measure,
                         measure_code=product.measure_code)


def refund_form(client: FlaskClient, number: str) -> tuple[str, list[str]]:
    """The refund screen's one-time token and its positions' skus, in screen order."""
    page = client.get(f"/staff/orders/{number}/refund").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    skus = re.findall(r'name="lines-\d+-sku" value="([^"]+)"', page)
    return token, skus


def refund_data(token: str, skus: list[str], quantities: dict[str, int] | None = None, *,
                reason: str = "The buyer returned it", everything: bool = False,
                remainder: tuple[str, ...] = ()) -> dict[str, str]:
    """The POST body of the refund form, as the confirmation page sends it on."""
    data = {"form_token": token, "reason": reason, "confirm": "1"}
    for index, sku in enumerate(skus):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = str((quantities or {}).get(sku, 0))
        if sku in remainder:
            data[f"lines-{index}-remainder"] = "y"
    if everything:
        data["everything"] = "y"
    return data


def shop_on(make_app, sandbox: SandboxProcess, **settings) -> ShopOnSandbox:
    """A fresh shop app (with ``settings``) on ``sandbox``, its scenarios cleared;
    notifications to the shop are lost (see ``NOWHERE``)."""
    sandbox.clear_scenarios()
    return ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_PUBLIC_URL=NOWHERE,
                                  **settings), sandbox)
