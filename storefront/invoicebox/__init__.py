"""Invoicebox payment gateway API v3 client, framework-free (no Flask import).

The pieces a shop needs::

    from storefront.invoicebox import (
        InvoiceboxClient, Basket, CreateOrderRequest, Customer, verify_signature,
    )

* :class:`InvoiceboxClient`: every endpoint the shop uses, reads retried, writes never.
* :class:`Basket`: line and order totals with the gateway's VAT arithmetic.
* :func:`verify_signature` / :func:`sign`: HMAC of notification bodies.
* models (:class:`Order`, :class:`Refund` ...) and request bodies.
* :class:`Company`: company details by INN (:meth:`InvoiceboxClient.lookup_company`).
* errors, all under :class:`InvoiceboxError`.
"""

import warnings

from .basket import (
    PAYMENT_TYPES,
    VAT_RATES,
    Basket,
    LineAmounts,
    compute_line,
    normalize_vat_code,
    validate_basket,
    vat_rate,
)
from .client import API_VERSIONS, InvoiceboxClient
from .company import Company, CompanyStatus
from .errors import (
    ApiError,
    AuthError,
    BasketError,
    FieldError,
    InvalidRequest,
    InvoiceboxError,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
    UnknownOutcome,
    ValidationError,
)
from .items import BasketItem, Customer, RefundableItem
from .models import (
    DEPRECATED_NAMES,
    AuthInfo,
    GatewayOrderStatus,
    GatewayRefundStatus,
    GatewayShipmentStatus,
    Order,
    Page,
    Refund,
    Shipment,
    parse_notification,
)
from .money import (
    KOPECK,
    decimal_to_kopecks,
    kopecks_to_decimal,
    money_to_json,
    parse_money,
    quantize_money,
)
from .payloads import (
    CreateOrderRequest,
    CreateRefundRequest,
    CreateShipmentRequest,
    UpdateOrderRequest,
)
from .query import build_query
from .replies import MONITORING_ID, NotificationReply, ReplyCode, ReplyStatus
from .retry import RetryPolicy
from .signature import gateway_json, sign, verify_signature
from .transport import CLIENT_VERSION, READ_TIMEOUT, WRITE_TIMEOUT, CallRecord
from .wire import format_datetime, parse_datetime

__version__ = CLIENT_VERSION

__all__ = [
    "API_VERSIONS",
    "CLIENT_VERSION",
    "KOPECK",
    "PAYMENT_TYPES",
    "READ_TIMEOUT",
    "VAT_RATES",
    "WRITE_TIMEOUT",
    "ApiError",
    "AuthError",
    "AuthInfo",
    "Basket",
    "BasketError",
    "BasketItem",
    "CallRecord",
    "Company",
    "CompanyStatus",
    "CreateOrderRequest",
    "CreateRefundRequest",
    "CreateShipmentRequest",
    "Customer",
    "FieldError",
    "InvalidRequest",
    "InvoiceboxClient",
    "InvoiceboxError",
    "LineAmounts",
    "NotFound",
    "GatewayOrderStatus",
    "GatewayRefundStatus",
    "GatewayShipmentStatus",
    "MONITORING_ID",
    "NotificationReply",
    "Order",
    "Page",
    "ProtocolError",
    "RateLimited",
    "Refund",
    "ReplyCode",
    "ReplyStatus",
    "RetryPolicy",
    "RefundableItem",
    "ServerError",
    "Shipment",
    "TransportError",
    "UnknownOutcome",
    "UpdateOrderRequest",
    "ValidationError",
    "build_query",
    "compute_line",
    "decimal_to_kopecks",
    "format_datetime",
    "gateway_json",
    "kopecks_to_decimal",
    "money_to_json",
    "normalize_vat_code",
    "parse_datetime",
    "parse_money",
    "parse_notification",
    "quantize_money",
    "sign",
    "validate_basket",
    "vat_rate",
    "verify_signature",
]


def __getattr__(name: str) -> object:
    """The names of an earlier release, kept for a while with a warning (CHANGELOG.md)."""
    if name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[name]
        warnings.warn(f"storefront.invoicebox.{name} is deprecated; use {new.__name__}",
                      DeprecationWarning, stacklevel=2)
        return new
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
