"""The shop's database models. Money is integer kopecks throughout."""

from .base import UTCDateTime, now_utc
from .catalog import CatalogVersion, Product
from .companies import CompanyCache, LookupCounter
from .journal import GatewayCall, Notification, OrderEvent, UnverifiedWindow, append
from .mail import OutboxMessage
from .orders import Order, OrderLine, Payment
from .refund_requests import RefundRequest, RefundRequestLine
from .refunds import Refund, RefundLine, Reversal
from .shipments import Shipment, ShipmentLine
from .staff import LoginAttempt, LoginThrottle, StaffUser

__all__ = [
    "CatalogVersion",
    "CompanyCache",
    "GatewayCall",
    "LoginAttempt",
    "LoginThrottle",
    "LookupCounter",
    "Notification",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Payment",
    "Product",
    "Refund",
    "RefundLine",
    "RefundRequest",
    "RefundRequestLine",
    "Reversal",
    "Shipment",
    "ShipmentLine",
    "StaffUser",
    "UnverifiedWindow",
    "UTCDateTime",
    "append",
    "now_utc",
]
