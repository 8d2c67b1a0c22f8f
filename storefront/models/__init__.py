"""The shop's database models. Money is integer kopecks throughout."""

from .base import UTCDateTime, now_utc
from .catalog import CatalogVersion, Product
from .companies import CompanyCache, LookupCounter
from .journal import GatewayCall, Notification, OrderEvent, UnverifiedWindow
from .orders import Order, OrderLine, Payment
from .refunds import Refund, RefundLine, Reversal
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
    "Payment",
    "Product",
    "Refund",
    "RefundLine",
    "Reversal",
    "StaffUser",
    "UnverifiedWindow",
    "UTCDateTime",
    "now_utc",
]
