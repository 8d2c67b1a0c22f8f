"""The service layer between the shop's views and Invoicebox: it owns the transactions.

Views call these functions and never the Invoicebox client directly:

* :func:`place_order` saves the buyer's order from the cart (idempotent per checkout form).
* :func:`pay` sends an order to a payable Invoicebox order: reuses, reconciles or creates
  an attempt; returns a :class:`PaymentResult`.
* :func:`handle_notification` checks, applies and stores a payment notification and
  returns the :class:`Reply` for the gateway.
* :func:`sync_payment` reads the order's open attempts from the API and applies what
  changed; :func:`maybe_sync` does so only when the buyer has waited and it is due.
* :func:`mark_paid` is the single paid transition used by notifications and syncs;
  :func:`mark_closed` records a canceled or expired attempt.
* :func:`record_event` adds a line to an order's history.
* :func:`lookup_company` fills a company buyer's details in from their INN;
  :func:`registry_company` is the checkout's check that the company still exists.
"""

from .checkout import Outcome, PaymentResult, pay, settle_seconds
from .companies import LookupResult, check_inn, lookup_company, registry_company
from .companies import Outcome as LookupOutcome
from .events import record_event
from .notifications import MAX_BODY_BYTES, MONITORING_ID, Reply, handle_notification
from .orders import CustomerDetails, EmptyCart, LineDraft, basket_for, find_order, place_order
from .sync import (
    ConcurrentChange,
    PaidResult,
    amount_matches,
    apply_gateway_order,
    is_paid,
    mark_closed,
    mark_paid,
    maybe_sync,
    retry_on_conflict,
    sync_payment,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MONITORING_ID",
    "ConcurrentChange",
    "CustomerDetails",
    "EmptyCart",
    "LineDraft",
    "LookupOutcome",
    "LookupResult",
    "Outcome",
    "PaidResult",
    "PaymentResult",
    "Reply",
    "amount_matches",
    "apply_gateway_order",
    "basket_for",
    "check_inn",
    "find_order",
    "handle_notification",
    "is_paid",
    "lookup_company",
    "mark_closed",
    "mark_paid",
    "maybe_sync",
    "pay",
    "place_order",
    "record_event",
    "registry_company",
    "retry_on_conflict",
    "settle_seconds",
    "sync_payment",
]
