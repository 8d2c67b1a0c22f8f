"""Time-driven state changes: order expiry, refund completion and shipment steps.

The real gateway expires orders and completes refunds on its own clock. The sandbox applies
both lazily (before every API call, page view and control) and in a periodic sweep, so a shop
never sees an order that should already have expired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import orders, refunds, shipments

if TYPE_CHECKING:
    from .services import Services


def tick(svc: Services) -> None:
    """Apply every expiry, refund completion and shipment step that is due now."""
    with svc.store.transaction() as conn:
        queued = orders.expire_due(svc, conn)
        refunds.complete_due(svc, conn)
        queued += shipments.step_due(svc, conn)
    if queued:
        svc.notifier.wake()
