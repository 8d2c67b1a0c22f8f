"""The shop's database models. Money is integer kopecks throughout."""

from .base import UTCDateTime, now_utc
from .catalog import Product
from .companies import CompanyCache, LookupCounter
from .journal import GatewayCall, Notification, OrderEvent, UnverifiedWindow
from .orders import Order, OrderLine, Payment
from .refunds import Refund, RefundLine
from .shipments import Shipment, ShipmentLine
from .staff import LoginAttempt, LoginThrottle, StaffUser

__all__ = [
    "CompanyCache",
    "GatewayCall",
    "LoginAttempt",
    "LoginThrottle",
    "LookupCounter",
    "Notification",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "Product",
    "Refund",
    "RefundLine",
    "Shipment",
    "ShipmentLine",
    "StaffUser",
    "UnverifiedWindow",
    "UTCDateTime",
    "now_utc",
]
