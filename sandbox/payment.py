"""The Pay action, shared by the payment page's button and the ``/_sandbox`` control.

Paying marks every unpaid order of the invoice ``completed`` (``hold`` for a guarantee payment)
and queues their notifications.
Normally delivery is left to the background worker, so the buyer's redirect may reach the shop
before the notification does, as with the real gateway. Two cases deliver synchronously first:
the merchant's "shipment control" setting (the shop's reply then decides where the buyer goes,
CONTRACT §6.3) and the ``notification_before_redirect`` scenario.

On the payment page, shipment control is split in two so that the buyer sees the wait:
:func:`begin` pays and hands the held notifications to a thread that delivers them at once,
and :func:`outcome` tells the page whether the shop has answered and how. An armed
``notification_delay`` scenario makes that thread wait its ``seconds`` first: a slow shop.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .notifier import HOLD_SECONDS
from .orders import in_container, notification_url, pay_container
from .services import Services

log = logging.getLogger(__name__)

Outcome = Literal["waiting", "success", "shipping_unavailable"]


@dataclass
class PayResult:
    paid: list[dict[str, Any]]
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shipping_unavailable(self) -> bool:
        return any(a["code"] == "shipping_unavailable" for a in self.attempts)


def pay(svc: Services, container_id: str, guarantee: bool = False) -> PayResult:
    """Pay the invoice ``container_id``; an empty ``paid`` list means nothing was payable.

    ``guarantee`` pays as a guarantee (pre-authorisation): the orders go to ``hold``.
    """
    with svc.store.read() as conn:
        docs = in_container(conn, container_id)
    if not any(doc["status"] == "created" for doc in docs):
        return PayResult([])
    merchant = svc.merchant(docs[0]["merchantId"])
    url = notification_url(docs[0], merchant)
    synchronous = merchant is not None and merchant.shipment_control
    if svc.scenarios.take("notification_before_redirect", target=url or ""):
        synchronous = True
    # Held notifications are not picked up by the background worker, so the synchronous
    # delivery below is really the first one.
    paid, notification_ids = pay_container(svc, container_id, hold=synchronous,
                                           guarantee=guarantee)
    result = PayResult(paid)
    if synchronous:
        for notification_id in notification_ids:
            attempt = svc.notifier.deliver_now(notification_id)
            if attempt is not None:
                result.attempts.append(attempt)
    return result


def confirms_on_page(svc: Services, container_id: str) -> bool:
    """Does paying this invoice on the page wait for the shop's answer (shipment control)?"""
    with svc.store.read() as conn:
        docs = in_container(conn, container_id)
    merchant = svc.merchant(docs[0]["merchantId"]) if docs else None
    return merchant is not None and merchant.shipment_control


def begin(svc: Services, container_id: str, guarantee: bool = False) -> PayResult:
    """Pay under shipment control and start notifying the shop, without waiting for it.

    The notifications are queued held (the worker leaves them alone) and delivered by a
    thread of their own; :func:`outcome` reads the answer from the attempts table."""
    paid, notification_ids = pay_container(svc, container_id, hold=True, guarantee=guarantee)
    if notification_ids:
        threading.Thread(target=_deliver, args=(svc, notification_ids),
                         name=f"confirm-{container_id}", daemon=True).start()
    return PayResult(paid)


def _deliver(svc: Services, notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        with svc.store.read() as conn:
            row = conn.execute("SELECT next_at FROM notifications WHERE id = ?",
                               (notification_id,)).fetchone()
        if row is not None and row["next_at"] is not None:
            # What is left of a notification_delay scenario, beyond the hold itself.
            time.sleep(max(0.0, row["next_at"] - HOLD_SECONDS - time.time()))
        try:
            svc.notifier.deliver_now(notification_id)
        except Exception:  # the worker retries it once the hold runs out
            log.exception("synchronous delivery of notification %s failed", notification_id)


def outcome(svc: Services, container_id: str) -> Outcome:
    """The shop's answer to the payment of this invoice, as the payment page needs it.

    Each paid order's first ``order`` notification is the payment's. ``waiting`` while one
    of them has not had its first answer yet; ``shipping_unavailable`` if the shop gave that
    answer to any of them; otherwise ``success`` (another error sends the buyer on to
    ``successUrl`` too: the gateway retries it in the background)."""
    with svc.store.read() as conn:
        docs = in_container(conn, container_id)
        paid_ids = [doc["id"] for doc in docs if doc["status"] != "created"]
        if not paid_ids:
            return "success"
        marks = ",".join("?" * len(paid_ids))
        rows = conn.execute(
            f"SELECT n.state, n.attempts, (SELECT a.code FROM attempts a"
            f"  WHERE a.notification_id = n.id ORDER BY a.number LIMIT 1) AS first_code"
            f" FROM notifications n WHERE n.id IN (SELECT MIN(id) FROM notifications"
            f"  WHERE kind = 'order' AND order_id IN ({marks}) GROUP BY order_id)",
            paid_ids).fetchall()
    if any(row["state"] == "sending" or (row["state"] == "pending" and row["attempts"] == 0)
           for row in rows):
        return "waiting"
    if any(row["first_code"] == "shipping_unavailable" for row in rows):
        return "shipping_unavailable"
    return "success"
