"""Request bodies: create/update order, refund, shipment.

Each ``to_payload()`` checks what the gateway would check (basket arithmetic, required
fields, enums, lengths) and raises :class:`InvalidRequest` / :class:`BasketError` before
anything is sent. The result is a plain dict ready for ``json.dumps``: camelCase keys,
money as two-decimal numbers, datetimes as ATOM with an offset.

``amount`` / ``vat_amount`` default to the sums of the basket lines, which is what the
gateway requires anyway (R4/R5); pass them only to assert a total computed elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .basket import validate_basket
from .errors import InvalidRequest
from .items import BasketItem, Customer
from .money import money_to_json
from .wire import format_datetime

__all__ = [
    "CURRENCIES",
    "CreateOrderRequest",
    "CreateRefundRequest",
    "CreateShipmentRequest",
    "UpdateOrderRequest",
]

CURRENCIES = frozenset({"RUB", "USD", "EUR", "GBP", "CNY", "UZS"})
_LANGUAGES = frozenset({"ru", "en"})
_REFUND_STATUSES = frozenset({"created", "draft"})


def _required(value: str | None, name: str, max_length: int) -> str:
    if not value or not value.strip():
        raise InvalidRequest(f"{name} is required", field=name)
    if len(value) > max_length:
        raise InvalidRequest(f"{name} is longer than {max_length} characters", field=name)
    return value


def _datetime(value: datetime, name: str) -> str:
    try:
        return format_datetime(value)
    except (ValueError, AttributeError) as exc:
        raise InvalidRequest(f"{name}: {exc}", field=name) from None


def _basket(
    items: Iterable[BasketItem],
    amount: Decimal | None,
    vat_amount: Decimal | None,
    round_policy: str = "strict",
) -> dict[str, Any]:
    lines = list(items)
    total, vat = validate_basket(lines, amount, vat_amount, round_policy=round_policy)
    return {
        "amount": money_to_json(total),
        "vatAmount": money_to_json(vat),
        "basketItems": [line.to_payload() for line in lines],
    }


def _put_optional(payload: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    payload.update({key: value for key, value in values.items() if value is not None})
    return payload


@dataclass
class CreateOrderRequest:
    """``POST /billing/api/order/order`` (also the body of a correction order)."""

    merchant_id: str
    merchant_order_id: str
    description: str
    basket_items: Iterable[BasketItem]
    expiration_date: datetime
    customer: Customer = field(default_factory=Customer)
    currency_id: str = "RUB"
    language_id: str | None = None
    merchant_order_id_visible: str | None = None
    notification_url: str | None = None
    success_url: str | None = None
    fail_url: str | None = None
    return_url: str | None = None
    meta_data: dict[str, Any] | None = None
    invoice_setting: dict[str, Any] | None = None
    order_setting: dict[str, Any] | None = None
    parent_id: str | None = None
    order_container_id: str | None = None
    shop_id: str | int | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None

    def to_payload(self) -> dict[str, Any]:
        if self.currency_id not in CURRENCIES:
            raise InvalidRequest(
                f"unknown currency {self.currency_id!r}", code="wrong_currency", field="currencyId"
            )
        if self.language_id is not None and self.language_id not in _LANGUAGES:
            raise InvalidRequest(
                f"unknown language {self.language_id!r}",
                code="language_not_found",
                field="languageId",
            )
        round_policy = (self.order_setting or {}).get("roundPolicy") or "strict"
        payload: dict[str, Any] = {
            "merchantId": _required(self.merchant_id, "merchantId", 36),
            "merchantOrderId": _required(self.merchant_order_id, "merchantOrderId", 256),
            "description": _required(self.description, "description", 1000),
            **_basket(self.basket_items, self.amount, self.vat_amount, round_policy),
            "currencyId": self.currency_id,
            "expirationDate": _datetime(self.expiration_date, "expirationDate"),
            # The gateway requires the object even when every field in it is empty.
            "customer": self.customer.to_payload(),
        }
        return _put_optional(
            payload,
            {
                "languageId": self.language_id,
                "merchantOrderIdVisible": self.merchant_order_id_visible,
                "notificationUrl": self.notification_url,
                "successUrl": self.success_url,
                "failUrl": self.fail_url,
                "returnUrl": self.return_url,
                "metaData": self.meta_data,
                "invoiceSetting": self.invoice_setting,
                "orderSetting": self.order_setting,
                "parentId": self.parent_id,
                "orderContainerId": self.order_container_id,
                "shopId": self.shop_id,
            },
        )


@dataclass
class UpdateOrderRequest:
    """``PUT /billing/api/order/order/{id}``: only the fields that are set are sent.

    Setting ``basket_items`` also sends the matching ``amount`` and ``vatAmount``, as the
    gateway requires.
    """

    description: str | None = None
    expiration_date: datetime | None = None
    basket_items: Iterable[BasketItem] | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    customer: Customer | None = None
    meta_data: dict[str, Any] | None = None
    shop_id: str | int | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        if self.basket_items is not None:
            payload.update(_basket(self.basket_items, self.amount, self.vat_amount))
        elif self.amount is not None or self.vat_amount is not None:
            raise InvalidRequest(
                "amount and vatAmount change only together with basketItems", field="basketItems"
            )
        if self.description is not None:
            payload["description"] = _required(self.description, "description", 1000)
        if self.expiration_date is not None:
            payload["expirationDate"] = _datetime(self.expiration_date, "expirationDate")
        _put_optional(
            payload,
            {
                "customer": None if self.customer is None else self.customer.to_payload(),
                "metaData": self.meta_data,
                "shopId": self.shop_id,
            },
        )
        if not payload:
            raise InvalidRequest("nothing to update")
        return payload


@dataclass
class CreateRefundRequest:
    """``POST /billing/api/order/refund-order``: refund lines of a paid order.

    ``merchant_order_id`` must be new for every refund; the gateway rejects a reused one,
    which is what makes it safe to look a refund up by it after an unknown outcome.
    ``status="draft"`` prepares a refund that a correction order will complete.
    """

    parent_id: str
    merchant_order_id: str
    description: str
    basket_items: Iterable[BasketItem]
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    status: str | None = None

    def to_payload(self) -> dict[str, Any]:
        if self.status is not None and self.status not in _REFUND_STATUSES:
            raise InvalidRequest(
                f"a refund is created as 'created' or 'draft', not {self.status!r}", field="status"
            )
        payload: dict[str, Any] = {
            "parentId": _required(self.parent_id, "parentId", 36),
            "merchantOrderId": _required(self.merchant_order_id, "merchantOrderId", 100),
            "description": _required(self.description, "description", 1000),
            **_basket(self.basket_items, self.amount, self.vat_amount),
        }
        return _put_optional(payload, {"status": self.status})


@dataclass
class CreateShipmentRequest:
    """``POST /billing/api/order/shipment``: what was delivered of a paid order.

    ``final=True`` (seen only in the gateway's own tooling) closes the order.
    """

    order_id: str
    basket_items: Iterable[BasketItem]
    document_number: str | None = None
    document_date: date | None = None
    final: bool | None = None

    def to_payload(self) -> dict[str, Any]:
        lines = list(self.basket_items)
        validate_basket(lines)
        payload: dict[str, Any] = {
            "orderId": _required(self.order_id, "orderId", 36),
            "basketItems": [line.to_payload() for line in lines],
        }
        if self.document_number is not None:
            payload["documentNumber"] = _required(self.document_number, "documentNumber", 36)
        return _put_optional(
            payload,
            {
                "documentDate": None
                if self.document_date is None
                else self.document_date.isoformat(),
                "final": self.final,
            },
        )
