"""An order's history for the staff page: events, notifications, gateway calls and
refunds, merged into one list in time order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..extensions import db
from ..models import GatewayCall, Notification, Order, OrderEvent, Refund, StaffUser

# When two entries share a timestamp, what caused what reads best in this order.
_RANK = {"event": 0, "call": 1, "notification": 2, "refund": 3, "refund_completed": 4}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline. ``kind`` picks the partial that renders ``subject``."""

    at: datetime
    kind: str
    subject: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[self.kind], getattr(self.subject, "id", 0))


def order_timeline(order: Order, refunds: list[Refund] | None = None) -> list[Entry]:
    """Everything recorded about ``order``, oldest first.

    ``refunds`` are the order's refunds when the caller has read them already.
    """
    events = _rows(OrderEvent, OrderEvent.order_id == order.id)
    if refunds is None:
        refunds = _rows(Refund, Refund.order_id == order.id)
    staff = _staff_emails({row.staff_id for row in [*events, *refunds]} - {None})
    entries: list[Entry] = []
    for event in events:
        entries.append(
            Entry(event.created_at, "event", event, {"staff": staff.get(event.staff_id)})
        )
    for notification in _rows(Notification, Notification.order_id == order.id):
        entries.append(Entry(notification.received_at, "notification", notification,
                             _body_texts(notification)))
    for call in _rows(GatewayCall, GatewayCall.order_id == order.id):
        entries.append(Entry(call.created_at, "call", call))
    for refund in refunds:
        entries.append(Entry(refund.created_at, "refund", refund,
                             {"staff": staff.get(refund.staff_id)}))
        if refund.completed_at is not None:
            entries.append(Entry(refund.completed_at, "refund_completed", refund))
    return sorted(entries, key=lambda entry: entry.sort_key)


def _body_texts(notification: Notification) -> dict[str, str | None]:
    """The body as text, or, when it was not kept, the text of its first bytes."""
    def text(raw: bytes | None) -> str | None:
        return None if raw is None else raw.decode("utf-8", errors="replace")

    return {"body": text(notification.raw_body), "head": text(notification.body_head)}


def _rows(model, criterion) -> list[Any]:
    return list(db.session.execute(db.select(model).where(criterion)).scalars())


def _staff_emails(ids: set[int]) -> dict[int, str]:
    """Who did what: the e-mails of the staff members with these ids."""
    if not ids:
        return {}
    rows = db.session.execute(db.select(StaffUser.id, StaffUser.email).where(
        StaffUser.id.in_(ids)))
    return {staff_id: email for staff_id, email in rows}
