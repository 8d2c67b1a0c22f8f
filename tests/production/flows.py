"""Steps on the live production shop: an order placed by a buyer, paid at the sandbox, and
what the database says about it afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import requests

from storefront.extensions import db
from storefront.invoicebox import sign
from storefront.models import Notification, Order, OrderEvent, Payment, Product, Refund
from tests.support.shop import sandbox_order_id

from .live import ProductionShop

# Notifications the sandbox would send for a payment are held back this long, so that a
# test decides when (and how often) the gateway's signed body reaches the shop.
HOLD_SECONDS = 600
# The sandbox's fields of a create-order request (CONTRACT §2.2).
CREATE_FIELDS = ("merchantId", "merchantOrderIdVisible", "description", "amount", "vatAmount",
                 "currencyId", "languageId", "expirationDate", "basketItems", "customer",
                 "notificationUrl", "successUrl", "failUrl", "returnUrl")


@dataclass(frozen=True)
class Placed:
    """A shop order a buyer checked out, and the Invoicebox order paying it."""

    number: str
    public_token: str
    invoicebox_id: str


def place_order(shop: ProductionShop, items: Iterable[tuple[str, int]]) -> Placed:
    """A buyer checks out once and is sent to the sandbox's payment page."""
    browser = shop.browser()
    answer = browser.post("/checkout", data=browser.checkout_form(items))
    location = answer.headers.get("Location", "")
    assert answer.status_code == 303 and location.startswith(shop.sandbox.url), location
    invoicebox_id = sandbox_order_id(shop.sandbox, location)
    with shop.app.app_context():
        order = db.session.execute(
            db.select(Order).join(Payment).where(Payment.invoicebox_order_id == invoicebox_id)
        ).scalar_one()
        return Placed(order.number, order.public_token, invoicebox_id)


def pay_quietly(shop: ProductionShop, invoicebox_id: str, *,
                guarantee: bool = False) -> tuple[bytes, dict[str, str]]:
    """Pay at the sandbox (as a guarantee: ``hold``), holding its notification back; the
    body it will send, signed.

    The body is the gateway's own (the sandbox keeps the exact bytes it queues), signed with
    the merchant's notification key as the gateway signs it.
    """
    shop.sandbox.scenario("notification_delay", count=1, seconds=HOLD_SECONDS, path=shop.url)
    paid = shop.sandbox.control(f"orders/{invoicebox_id}/pay",
                                {"guarantee": True} if guarantee else None)
    assert paid["status"] == ("hold" if guarantee else "completed"), paid["status"]
    [queued] = paid["notifications"]
    assert queued["state"] == "pending" and queued["attempts"] == 0, queued
    raw = queued["body"].encode("utf-8")
    return raw, {"Content-Type": "application/json",
                 "X-Signature": sign(raw, shop.sandbox.notification_key)}


def paid_order(shop: ProductionShop, items: Iterable[tuple[str, int]]) -> Placed:
    """An order paid at the sandbox and confirmed by the sandbox's own notification."""
    placed = place_order(shop, items)
    shop.sandbox.control(f"orders/{placed.invoicebox_id}/pay")
    deadline = time.monotonic() + 20
    while order_status(shop, placed.number) != "paid":
        assert time.monotonic() < deadline, "the sandbox's notification never marked it paid"
        time.sleep(0.1)
    return placed


def second_invoicebox_order(shop: ProductionShop, placed: Placed) -> str:
    """A second payable Invoicebox order for the same shop order (attempt 2); its id.

    The shop records it as an attempt that can no longer be paid (``expired``): it never
    holds two payable attempts of one order (the ``one_payable_attempt`` index refuses
    that). Invoicebox may still take a payment for such an order, for instance when its
    clock and the shop's disagree about the deadline; that is the last line of defence
    proven with it: even then, the shop order is paid only once.
    """
    first = shop.sandbox.get(f"api/orders/{placed.invoicebox_id}")
    body = {key: first[key] for key in CREATE_FIELDS if key in first}
    body["merchantOrderId"] = f"{placed.number}-2"
    answer = requests.post(f"{shop.sandbox.url}/v3/billing/api/order/order", json=body,
                           headers={"Authorization": f"Bearer {shop.sandbox.token}"},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    created = answer.json()["data"]
    with shop.app.app_context():
        order = db.session.execute(
            db.select(Order).where(Order.number == placed.number)).scalar_one()
        attempt_one = order.payments[0]
        db.session.add(Payment(
            order=order, attempt=2, merchant_order_id=body["merchantOrderId"],
            invoicebox_order_id=created["id"], payment_url=created["paymentUrl"],
            status="expired", amount=attempt_one.amount, expires_at=attempt_one.expires_at))
        db.session.commit()
    return created["id"]


def set_stock(shop: ProductionShop, slug: str, stock: int) -> None:
    with shop.app.app_context():
        product = db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one()
        product.stock = stock
        db.session.commit()


def stock_of(shop: ProductionShop, slug: str) -> int:
    with shop.app.app_context():
        return db.session.execute(
            db.select(Product.stock).where(Product.slug == slug)).scalar_one()


def order_status(shop: ProductionShop, number: str) -> str:
    with shop.app.app_context():
        return db.session.execute(
            db.select(Order.status).where(Order.number == number)).scalar_one()


def order_record(shop: ProductionShop, number: str) -> dict[str, Any]:
    """What the database holds about an order: statuses, history, notifications, refunds."""
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.number == number)).scalar_one()
        events = db.session.execute(
            db.select(OrderEvent.kind).where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)).scalars().all()
        notifications = db.session.execute(
            db.select(Notification).where(Notification.order_id == order.id)
            .order_by(Notification.id)).scalars().all()
        refunds = db.session.execute(
            db.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
        ).scalars().all()
        return {
            "status": order.status,
            "paid_at": order.paid_at,
            "amount": order.amount,
            "payments": [(p.attempt, p.invoicebox_order_id, p.status, p.paid_at is not None)
                         for p in order.payments],
            "events": list(events),
            "notifications": [(n.payment_id, n.reply_status, n.reply_code, n.applied)
                              for n in notifications],
            "refunds": [(r.merchant_order_id, r.status, r.amount, r.form_token)
                        for r in refunds],
            "payment_ids": {p.invoicebox_order_id: p.id for p in order.payments},
        }


class InsertGate:
    """Holds every INSERT into one table until released; see :func:`inserts_held`."""

    def __init__(self, connection: psycopg.Connection, table: str) -> None:
        self.connection = connection
        self.table = table

    def waiting(self) -> int:
        with psycopg.connect(self.connection.info.dsn, autocommit=True) as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                (f'"{self.table}"',)).fetchone()[0]

    def release_when(self, waiting: int, timeout: float = 20) -> int:
        """Open the gate once ``waiting`` transactions wait at it (or after ``timeout``);
        how many were waiting."""
        deadline = time.monotonic() + timeout
        while (count := self.waiting()) < waiting and time.monotonic() < deadline:
            time.sleep(0.02)
        self.connection.commit()
        return count


@contextmanager
def inserts_held(database_url: str, table: str, *,
                 mode: str = "SHARE") -> Iterator[InsertGate]:
    """Lock ``table`` in SHARE mode: reads go on, every INSERT waits until the gate opens.

    A race test uses it to force the worst interleaving instead of hoping for it: every
    racer has made its check ("is there an order with this token?") and all stand at the
    write together, so only the database's constraints can keep them apart. ``mode="ACCESS
    EXCLUSIVE"`` holds even the reads of the table.
    """
    with psycopg.connect(database_url) as connection:
        connection.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
        gate = InsertGate(connection, table)
        try:
            yield gate
        finally:
            connection.commit()
