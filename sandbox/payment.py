"""The Pay action, shared by the payment page's button and the ``/_sandbox`` control.

Paying marks every unpaid order of the invoice ``completed`` (``hold`` for a guarantee payment)
and queues their notifications.
Normally delivery is left to the background worker, so the buyer's redirect may reach the shop
before the notification does, as with the real gateway. Two cases deliver synchronously first:
the merchant's "shipment control" setting (the shop's reply then decides where the buyer goes,
CONTRACT §6.3) and the ``notification_before_redirect`` scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .orders import in_container, notification_url, pay_container
from .services import Services


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
