"""What the shop sends Invoicebox to create the order that pays one attempt (CONTRACT §2.2).

The basket comes from :func:`~storefront.payments.orders.basket_for`, the same arithmetic
the buyer saw in the cart; the return and notification URLs are built on
``STOREFRONT_PUBLIC_URL``, so they are right with or without a request.
"""

from __future__ import annotations

from flask import current_app

from ..invoicebox import CreateOrderRequest, Customer, kopecks_to_decimal
from ..models import Order, Payment
from .orders import basket_for

SHOP_NAME = "Sever Coffee Roasters"


def create_request(order: Order, payment: Payment) -> CreateOrderRequest:
    """The create-order request for ``payment``, an attempt to pay ``order`` (§2.2)."""
    config = current_app.config
    return CreateOrderRequest(
        merchant_id=config["INVOICEBOX_MERCHANT_ID"],
        merchant_order_id=payment.merchant_order_id,
        merchant_order_id_visible=order.number,
        description=f"Заказ № {order.number}, {SHOP_NAME}",
        basket_items=basket_for(order.lines).items,
        amount=kopecks_to_decimal(order.amount),
        vat_amount=kopecks_to_decimal(order.vat_amount),
        currency_id=order.currency,
        language_id=order.language,
        expiration_date=payment.expires_at,
        customer=customer_of(order),
        notification_url=_public_url("notifications.receive"),
        success_url=_public_url("shop.payment_success", token=order.public_token),
        fail_url=_public_url("shop.payment_failed", token=order.public_token),
        return_url=_public_url("shop.order", token=order.public_token),
    )


def customer_of(order: Order) -> Customer:
    """The buyer as Invoicebox's ``customer`` object."""
    legal = order.customer_type == "legal"
    return Customer(
        type=order.customer_type,
        name=order.customer_name,
        email=order.customer_email,
        phone=order.customer_phone,
        vat_number=order.customer_inn if legal else None,
        tax_registration_reason_code=order.customer_kpp if legal else None,
        registration_address=order.customer_address if legal else None,
    )


def _public_url(endpoint: str, **values: str) -> str:
    """STOREFRONT_PUBLIC_URL plus the route's path; works with or without a request."""
    path = current_app.url_map.bind("shop.invalid").build(endpoint, values)
    return current_app.config["STOREFRONT_PUBLIC_URL"].rstrip("/") + path
