"""Typed views of the gateway's JSON objects (orders, refunds, shipments, basket lines).

Parsing is tolerant by design, because the gateway adds fields without notice and the
samples already disagree on types (``shopId`` is an int in one, a string in the docs):

* unknown fields are ignored, missing ones become ``None``;
* numbers are read with ``Decimal(str(x))``, so ``110`` and ``110.0`` both give ``110``;
* statuses stay plain strings, so a status this code has never heard of is kept as is
  (read them with :meth:`GatewayOrderStatus.read` / :meth:`GatewayRefundStatus.read`);
* every model keeps the dict it came from in ``raw``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from .errors import ProtocolError
from .items import BasketItem, Customer, RefundableItem
from .money import parse_money
from .wire import (
    format_datetime,
    parse_date,
    parse_datetime,
    read_bool,
    read_dict,
    read_items,
    read_str,
)

__all__ = [
    "AuthInfo",
    "BasketItem",
    "Customer",
    "GatewayOrderStatus",
    "GatewayRefundStatus",
    "GatewayShipmentStatus",
    "Order",
    "Page",
    "Refund",
    "RefundableItem",
    "Shipment",
    "format_datetime",
    "parse_datetime",
    "parse_notification",
]


_T = TypeVar("_T")


class GatewayOrderStatus(StrEnum):
    """An Invoicebox order's ``status`` (CONTRACT §4.1)."""

    CREATED = "created"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    HOLD = "hold"  # guarantee / pre-authorised payments only
    DRAFT = "draft"

    @classmethod
    def read(cls, value: object) -> GatewayOrderStatus | None:
        """The status a gateway string means, spelling variants included; None if unknown.

        ``cancelled`` is the British spelling some integrations send, and ``success`` the
        paid status of the PHP SDK's example notification (CONTRACT §4.4).
        """
        if not isinstance(value, str):
            return None
        value = _SPELLINGS.get(value, value)
        return cls(value) if value in cls._value2member_map_ else None


class GatewayShipmentStatus(StrEnum):
    """A shipment's ``status`` (CONTRACT §4.3: ``draft → pending → completed``, or
    ``canceled``)."""

    DRAFT = "draft"
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELED = "canceled"

    @classmethod
    def read(cls, value: object) -> GatewayShipmentStatus | None:
        if not isinstance(value, str):
            return None
        value = _SPELLINGS.get(value, value)
        return cls(value) if value in cls._value2member_map_ else None


class GatewayRefundStatus(StrEnum):
    """An Invoicebox refund order's ``status`` (CONTRACT §4.2)."""

    DRAFT = "draft"
    CREATED = "created"
    COMPLETED = "completed"
    CANCELED = "canceled"

    @classmethod
    def read(cls, value: object) -> GatewayRefundStatus | None:
        """The status a gateway string means, ``cancelled`` included; None if unknown."""
        if not isinstance(value, str):
            return None
        value = _SPELLINGS.get(value, value)
        return cls(value) if value in cls._value2member_map_ else None


_SPELLINGS = {"cancelled": "canceled", "success": "completed"}

# The names of an earlier release, kept for a while (see CHANGELOG.md).
DEPRECATED_NAMES = {"OrderStatus": GatewayOrderStatus, "RefundStatus": GatewayRefundStatus}


def __getattr__(name: str) -> Any:
    if name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[name]
        warnings.warn(f"storefront.invoicebox.models.{name} is deprecated; use "
                      f"{new.__name__}", DeprecationWarning, stacklevel=2)
        return new
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Order:
    """An order as the gateway returns it (also the body of a payment notification)."""

    id: str
    status: str
    merchant_id: str | None = None
    merchant_order_id: str | None = None
    merchant_order_id_visible: str | None = None
    description: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    currency_id: str | None = None
    language_id: str | None = None
    basket_items: list[BasketItem] = field(default_factory=list)
    customer: Customer | None = None
    payment_url: str | None = None
    order_container_id: str | None = None
    parent_id: str | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None
    expiration_date: datetime | None = None
    subtype: str | None = None
    processing_status: str | None = None
    processable: bool | None = None
    shop_id: str | int | None = None
    notification_url: str | None = None
    success_url: str | None = None
    fail_url: str | None = None
    return_url: str | None = None
    meta_data: dict[str, Any] | None = None
    invoice_setting: dict[str, Any] | None = None
    # The X-Request-Id of the answer it came in, when it came alone (support quotes it).
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Order:
        customer = raw.get("customer")
        shop_id = raw.get("shopId")
        return cls(
            id=read_str(raw.get("id")) or "",
            status=read_str(raw.get("status")) or "",
            merchant_id=read_str(raw.get("merchantId")),
            merchant_order_id=read_str(raw.get("merchantOrderId")),
            merchant_order_id_visible=read_str(raw.get("merchantOrderIdVisible")),
            description=read_str(raw.get("description")),
            amount=parse_money(raw.get("amount")),
            vat_amount=parse_money(raw.get("vatAmount")),
            currency_id=read_str(raw.get("currencyId")),
            language_id=read_str(raw.get("languageId")),
            basket_items=read_items(raw.get("basketItems"), BasketItem.from_dict),
            customer=Customer.from_dict(customer) if isinstance(customer, Mapping) else None,
            payment_url=read_str(raw.get("paymentUrl")),
            order_container_id=read_str(raw.get("orderContainerId")),
            parent_id=read_str(raw.get("parentId")),
            created_at=parse_datetime(raw.get("createdAt")),
            paid_at=parse_datetime(raw.get("paidAt")),
            expiration_date=parse_datetime(raw.get("expirationDate")),
            subtype=read_str(raw.get("subtype")),
            processing_status=read_str(raw.get("processingStatus")),
            processable=read_bool(raw.get("processable")),
            shop_id=shop_id if isinstance(shop_id, int | str) else None,
            notification_url=read_str(raw.get("notificationUrl")),
            success_url=read_str(raw.get("successUrl")),
            fail_url=read_str(raw.get("failUrl")),
            return_url=read_str(raw.get("returnUrl")),
            meta_data=read_dict(raw.get("metaData")),
            invoice_setting=read_dict(raw.get("invoiceSetting")),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class Refund:
    """A refund order (a child of a paid order)."""

    id: str
    status: str
    parent_id: str | None = None
    merchant_id: str | None = None
    merchant_order_id: str | None = None
    description: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    currency_id: str | None = None
    basket_items: list[BasketItem] = field(default_factory=list)
    created_at: datetime | None = None
    # The X-Request-Id of the answer it came in, when it came alone (support quotes it).
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Refund:
        return cls(
            id=read_str(raw.get("id")) or "",
            status=read_str(raw.get("status")) or "",
            parent_id=read_str(raw.get("parentId")),
            merchant_id=read_str(raw.get("merchantId")),
            merchant_order_id=read_str(raw.get("merchantOrderId")),
            description=read_str(raw.get("description")),
            amount=parse_money(raw.get("amount")),
            vat_amount=parse_money(raw.get("vatAmount")),
            currency_id=read_str(raw.get("currencyId")),
            basket_items=read_items(raw.get("basketItems"), BasketItem.from_dict),
            created_at=parse_datetime(raw.get("createdAt")),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class Shipment:
    """A shipment (delivery/closing documents). Ids are integers, unlike orders."""

    id: int | str | None
    order_id: str | None = None
    merchant_id: str | None = None
    status: str | None = None
    document_number: str | None = None
    document_date: date | None = None
    final: bool | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    basket_items: list[BasketItem] = field(default_factory=list)
    created_at: datetime | None = None
    # The X-Request-Id of the answer it came in, when it came alone (support quotes it).
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Shipment:
        shipment_id = raw.get("id")
        return cls(
            id=shipment_id if isinstance(shipment_id, int | str) else None,
            order_id=read_str(raw.get("orderId")),
            merchant_id=read_str(raw.get("merchantId")),
            status=read_str(raw.get("status")),
            document_number=read_str(raw.get("documentNumber")),
            document_date=parse_date(raw.get("documentDate")),
            final=read_bool(raw.get("final")),
            amount=parse_money(raw.get("amount")),
            vat_amount=parse_money(raw.get("vatAmount")),
            basket_items=read_items(raw.get("basketItems"), BasketItem.from_dict),
            created_at=parse_datetime(raw.get("createdAt")),
            raw=dict(raw),
        )


@dataclass(frozen=True)
class AuthInfo:
    """Answer of the token check. ``user_id`` is None for an anonymous call."""

    user_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AuthInfo:
        return cls(user_id=read_str(raw.get("userId")), raw=dict(raw))


@dataclass
class Page(Generic[_T]):
    """One page of a list endpoint, with the envelope's paging ``metaData``."""

    items: list[_T]
    total_count: int | None = None
    page: int | None = None
    page_size: int | None = None
    request_id: str | None = None

    @classmethod
    def from_meta(
        cls, items: list[_T], meta: Mapping[str, Any] | None, request_id: str | None = None
    ) -> Page[_T]:
        """Attach the envelope's ``metaData`` (``totalCount``, ``page``, ``pageSize``)."""
        meta = meta or {}

        def number(key: str) -> int | None:
            value = meta.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(items, number("totalCount"), number("page"), number("pageSize"), request_id)

    def __iter__(self) -> Iterator[_T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_notification(body: bytes) -> Order:
    """Parse a notification body (an order object) once its signature has been checked.

    Raises :class:`ProtocolError` if the body is not a JSON object.
    """
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"notification body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError("notification body is not a JSON object")
    return Order.from_dict(raw)
