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
  :func:`refunds_of`: what can be refunded, issuing a refund, keeping refunds current;
  a :class:`Fee` (checked by :func:`check_fee`) makes a refund that keeps part of the money.
* :func:`request_refund` stores a buyer's refund request (:func:`requestable_lines`,
  :func:`can_request_refund`: what they may ask for); :func:`refund_requests_of`,
  :func:`decline_request`, :func:`follow_requested_refunds` and
  :func:`open_refund_request_count` serve the buyer's page and the staff's list. A request
  refunds nothing: staff issue the refund with :func:`create_refund`, which links it.
* :func:`set_stock` and :func:`set_active`: the staff's products page; stock itself is
  taken in the paid transition (:mod:`.stock`), which flags an order it cannot fill, or
  with shipment control makes it undeliverable; :func:`has_reversal` says whether the
  order's money goes back for that (:mod:`.reversals`, carried out by :func:`run_pass`).
* :func:`shippable_lines`, :func:`create_shipment`, :func:`shipments_of`,
  :func:`shipped_shipments` and :func:`refresh_shipments`: what is left to ship, shipping it
  (CONTRACT §2.10), the order's shipments, keeping them current.
* :func:`reverse_hold` cancels an order paid as a guarantee (the hold is reversed);
  :func:`hold_overdue` / :func:`overdue_holds` flag holds not shipped in time (:mod:`.holds`),
  and :func:`overdue_hold_criteria` lets the staff list filter to them.
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
from .holds import hold_overdue, overdue_hold_criteria, overdue_holds, reverse_hold
from .notifications import MAX_BODY_BYTES, handle_notification, out_of_service
from .orders import CustomerDetails, EmptyCart, LineDraft, basket_for, find_order, place_order
from .reconcile import run_pass
from .refund_fee import Fee, check_fee
from .refund_plan import LineChoice, RefundError, RefundSelection, plan_refund
from .refund_requests import (
    MAX_MESSAGE,
    RefundRequestError,
    RequestableLine,
    can_request_refund,
    decline_request,
    follow_requested_refunds,
    open_refund_request_count,
    refund_request,
    refund_requests_of,
    request_refund,
    requestable_lines,
)
from .refunds import create_refund, refresh_refunds, refundable_positions, refunds_of
from .reversals import has_reversal
from .shipment_sync import refresh_shipments
from .shipments import (
    ShipmentError,
    ShippableLine,
    create_shipment,
    shipments_of,
    shippable_lines,
    shipped_shipments,
)
from .stock import StockError, set_active, set_stock
from .sync import maybe_sync, sync_payment
from .transitions import is_paid

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_MESSAGE",
    "CancelOutcome",
    "CustomerDetails",
    "EmptyCart",
    "EventKind",
    "Fee",
    "LineChoice",
    "LineDraft",
    "LookupOutcome",
    "LookupResult",
    "Outcome",
    "PaymentResult",
    "RefundError",
    "RefundRequestError",
    "RefundSelection",
    "RequestableLine",
    "StockError",
    "ShipmentError",
    "ShippableLine",
    "basket_for",
    "can_request_refund",
    "cancel_order",
    "check_fee",
    "create_refund",
    "decline_request",
    "create_shipment",
    "find_order",
    "follow_requested_refunds",
    "has_reversal",
    "handle_notification",
    "hold_overdue",
    "is_paid",
    "lookup_company",
    "maybe_sync",
    "open_refund_request_count",
    "out_of_service",
    "overdue_hold_criteria",
    "overdue_holds",
    "pay",
    "place_order",
    "plan_refund",
    "refresh_refunds",
    "refund_request",
    "refund_requests_of",
    "refundable_positions",
    "refunds_of",
    "registry_company",
    "request_refund",
    "requestable_lines",
    "run_pass",
    "set_active",
    "set_stock",
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
