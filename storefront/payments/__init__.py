"""The service layer between the shop's views and Invoicebox: it owns the transactions.

Views import from this package only, and never call the Invoicebox client themselves.
What they use:

* :func:`place_order` saves the buyer's order from the cart (idempotent per checkout form);
  :func:`basket_for` prices lines with the gateway's arithmetic.
* :func:`pay` sends an order to a payable Invoicebox order: reuses, reconciles or creates
  an attempt; returns a :class:`PaymentResult`.
* :func:`handle_notification` checks, applies and stores a payment notification and
  returns the reply for the gateway; :func:`out_of_service` is the reply when even that
  failed.
* :func:`sync_payment` reads the order's open attempts from the API and applies what
  changed; :func:`maybe_sync` does so only when the buyer has waited and it is due.
* :func:`run_pass` (``flask invoicebox reconcile``) does what nobody clicked for: reads
  payments and refunds whose news has not arrived, under leases, within a share of the
  account's request budget (:mod:`.reconcile`).
* :func:`cancel_order` cancels an unpaid order at Invoicebox, then in the shop.
* :func:`refundable_positions`, :func:`create_refund`, :func:`refresh_refunds` and
  :func:`refunds_of`: what can be refunded, issuing a refund, keeping refunds current.
* :func:`shippable_lines`, :func:`create_shipment`, :func:`shipments_of`,
  :func:`shipped_shipments` and :func:`refresh_shipments`: what is left to ship, shipping it
  (CONTRACT §2.10), the order's shipments, keeping them current.
* :func:`reverse_hold` cancels an order paid as a guarantee (the hold is reversed);
  :func:`hold_overdue` / :func:`overdue_holds` flag holds not shipped in time (:mod:`.holds`).
* :func:`lookup_company` fills a company buyer's details in from their INN;
  :func:`registry_company` is the checkout's check that the company still exists.

Inside, :mod:`.transitions` holds the payment's status changes (the one paid
transition, :func:`~.transitions.mark_paid`, among them) and :mod:`.locking` the row
lock and the retry on a lost race that every transaction here uses.
"""

from .cancel import CancelOutcome, cancel_order
from .checkout import Outcome, PaymentResult, pay
from .companies import LookupResult, lookup_company, registry_company
from .companies import Outcome as LookupOutcome
from .events import EventKind
from .holds import hold_overdue, overdue_holds, reverse_hold
from .notifications import MAX_BODY_BYTES, handle_notification, out_of_service
from .orders import CustomerDetails, EmptyCart, LineDraft, basket_for, find_order, place_order
from .reconcile import run_pass
from .refund_plan import LineChoice, RefundError, RefundSelection, plan_refund
from .refunds import create_refund, refresh_refunds, refundable_positions, refunds_of
from .shipment_sync import refresh_shipments
from .shipments import (
    ShipmentError,
    ShippableLine,
    create_shipment,
    shipments_of,
    shippable_lines,
    shipped_shipments,
)
from .sync import maybe_sync, sync_payment
from .transitions import is_paid

__all__ = [
    "MAX_BODY_BYTES",
    "CancelOutcome",
    "CustomerDetails",
    "EmptyCart",
    "EventKind",
    "LineChoice",
    "LineDraft",
    "LookupOutcome",
    "LookupResult",
    "Outcome",
    "PaymentResult",
    "RefundError",
    "RefundSelection",
    "ShipmentError",
    "ShippableLine",
    "basket_for",
    "cancel_order",
    "create_refund",
    "create_shipment",
    "find_order",
    "handle_notification",
    "hold_overdue",
    "is_paid",
    "lookup_company",
    "maybe_sync",
    "out_of_service",
    "overdue_holds",
    "pay",
    "place_order",
    "plan_refund",
    "refresh_refunds",
    "refresh_shipments",
    "refundable_positions",
    "refunds_of",
    "registry_company",
    "reverse_hold",
    "run_pass",
    "shippable_lines",
    "shipments_of",
    "shipped_shipments",
    "sync_payment",
]
