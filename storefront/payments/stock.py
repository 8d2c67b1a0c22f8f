"""Stock: taken when a payment is applied, under the products' row locks.

The cart and checkout only look at stock; nothing is held for a buyer who has not paid.
Stock is taken at the one moment the money is known to be in: the paid transition
(:func:`~.transitions.mark_paid`), or a guarantee (hold) applied
(:func:`.holds.apply_hold_news`), whichever news brought it (a notification, the reconcile
runner, a staff member's sync). That transition has already locked the order and its
payment; :func:`settle_stock` then locks the order's products, in ascending id order, in
one statement (lock order: order -> payment -> product -> catalog version, see
:mod:`.locking`), and takes every good of the order or none:

* enough of each good: each product's stock goes down by a conditional ``UPDATE ... WHERE
  stock >= quantity`` (and the database's ``CHECK (stock >= 0)`` stands behind it), and the
  history says what was taken; a product that reaches zero moves the catalog's version,
  so every instance shows it "out of stock" at once (:mod:`storefront.catalog_version`);
* not enough of some good, shipment control off (the default): nothing is taken, the
  payment stands, and the order is flagged ``short_of_stock`` for staff to refund or
  back-order; the history names the shortfall;
* not enough, shipment control on (``STOREFRONT_SHIPMENT_CONTROL``, CONTRACT §5.4):
  nothing is taken, the order becomes ``undeliverable`` ("not deliverable, money going
  back"; a held one ``hold_undeliverable``) and a :class:`~storefront.models.Reversal`
  is written in the same transaction; the transition reports it, the notification is
  answered ``shipping_unavailable``, and the reconcile runner returns the money
  afterwards (:mod:`.reversals`: a full refund of a payment, a ``DELETE`` of a
  guarantee), never inside this transaction.

Two payments for the last unit therefore queue on the product's row: the first takes it,
the second finds none and is flagged. Services, gift certificates and goods whose stock
is not counted (``stock`` NULL) are never short.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from sqlalchemy import Select, Update, bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from .. import catalog_version
from ..extensions import db
from ..mail import queue_order_undeliverable
from ..models import Order, OrderLine, Payment, Product, Reversal
from ..states import UNDELIVERABLE_AFTER, OrderStatus, can_transition
from .events import EventKind, record_event
from .locking import ConcurrentChange

log = logging.getLogger(__name__)

GOODS = "commodity"  # the item type whose stock is counted


@dataclass(frozen=True)
class Shortfall:
    """A good the order wants more of than there is."""

    sku: str
    wanted: int
    available: int


class StockOutcome(StrEnum):
    TAKEN = "taken"  # taken, or nothing of the order is counted
    SHORT = "short"  # not enough; paid and flagged for staff (shipment control off)
    REFUSED = "refused"  # not enough; undeliverable, its money goes back (control on)


def settle_stock(order: Order, payment: Payment, *,
                 status: OrderStatus = OrderStatus.PAID) -> StockOutcome:
    """Take the order's goods from stock; when they are not there, flag the order or, with
    shipment control on, refuse delivery and record the reversal.

    Runs inside the paid transition (or the hold), just after the order became ``status``
    (``paid``, or ``awaiting_shipment`` for a guarantee), with the order and ``payment``
    locked; the caller commits.
    """
    shortfalls = take_stock(order)
    if not shortfalls:
        return StockOutcome.TAKEN
    if current_app.config.get("STOREFRONT_SHIPMENT_CONTROL"):
        refuse_delivery(order, payment, shortfalls, status)
        return StockOutcome.REFUSED
    flag_short(order, shortfalls, held=status == OrderStatus.AWAITING_SHIPMENT)
    return StockOutcome.SHORT


def take_stock(order: Order) -> list[Shortfall]:
    """Take every counted good of ``order`` from stock, all or nothing.

    Returns the shortfalls and takes nothing when any good is short. Two statements
    whatever the order holds: one reads the quantities wanted beside the products' stock
    and locks those products, in id order; one ``UPDATE`` takes them, run for all the
    products at once. Raises :class:`ConcurrentChange` if a product's stock moved under
    the lock (it cannot on PostgreSQL; it is the conditional ``UPDATE``'s second line of
    defence).
    """
    goods = db.session.execute(_WANTED_GOODS, {"order_id": order.id}).all()
    shortfalls = [Shortfall(good.sku, good.wanted, good.stock)
                  for good in goods if good.stock < good.wanted]
    if shortfalls or not goods:
        return shortfalls
    taken = db.session.connection().execute(
        _TAKE, [{"product_id": good.id, "quantity": good.wanted} for good in goods]).rowcount
    if taken != len(goods):
        raise ConcurrentChange(f"order {order.number}: stock changed under its lock")
    if any(good.stock == good.wanted for good in goods):
        catalog_version.bump()  # out of stock now: every instance's catalog must say so
    described = ", ".join(f"{good.wanted} × {good.sku}" for good in goods)
    record_event(order, EventKind.STOCK_TAKEN, f"Taken from stock: {described}.",
                 data={"taken": {good.sku: good.wanted for good in goods}})
    return []


def _wanted_goods() -> Select:
    """``SELECT id, sku, stock, wanted`` of each counted good of the order ``:order_id``,
    its lines' quantities summed, the products locked in id order (the lock order)."""
    lines = OrderLine.__table__
    wanted = (select(lines.c.product_id, func.sum(lines.c.quantity).label("wanted"))
              .where(lines.c.order_id == bindparam("order_id"), lines.c.item_type == GOODS,
                     lines.c.product_id.is_not(None))
              .group_by(lines.c.product_id)
              .subquery("wanted"))
    products = Product.__table__
    return (select(products.c.id, products.c.sku, products.c.stock, wanted.c.wanted)
            .join(wanted, wanted.c.product_id == products.c.id)
            .where(products.c.stock.is_not(None))
            .order_by(products.c.id)
            .with_for_update(key_share=True, of=products))


def _take() -> Update:
    """Take ``:quantity`` of product ``:product_id`` while there are that many."""
    products = Product.__table__
    return (products.update()
            .where(products.c.id == bindparam("product_id"),
                   products.c.stock >= bindparam("quantity"))
            .values(stock=products.c.stock - bindparam("quantity")))


# Built once: on the busiest path, a statement built per call costs more than it runs.
_WANTED_GOODS, _TAKE = _wanted_goods(), _take()


def flag_short(order: Order, shortfalls: list[Shortfall], held: bool = False) -> None:
    """Mark ``order`` as paid (``held``: as a guarantee) but not fillable from stock, for
    staff to act on."""
    db.session.execute(db.update(Order).where(Order.id == order.id)
                       .values(short_of_stock=True)
                       .execution_options(synchronize_session=False))
    set_committed_value(order, "short_of_stock", True)  # as the row now says
    described = ", ".join(f"{s.sku} (wanted {s.wanted}, {s.available} left)"
                          for s in shortfalls)
    record_event(order, EventKind.STOCK_SHORT,
                 f"Not enough stock to fill the order: {described}. Nothing was taken; "
                 + ("cancel the order (the guarantee is released) or back-order the goods."
                    if held else "refund the order or back-order the goods."),
                 data={"short": {s.sku: [s.wanted, s.available] for s in shortfalls}})
    log.warning("order %s paid but short of stock: %s", order.number, described)


def refuse_delivery(order: Order, payment: Payment, shortfalls: list[Shortfall],
                    status: OrderStatus = OrderStatus.PAID) -> None:
    """The order, just ``status`` (paid or held), cannot be delivered: ``undeliverable``
    (``hold_undeliverable`` for a guarantee), and its reversal recorded."""
    target = UNDELIVERABLE_AFTER[status]
    assert can_transition(status, target)
    changed = db.session.execute(
        db.update(Order).where(Order.id == order.id, Order.status == status.value)
        .values(status=target.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ConcurrentChange(f"order {order.number}: changed while it was being paid")
    set_committed_value(order, "status", target.value)
    db.session.add(Reversal(order_id=order.id, payment_id=payment.id))
    queue_order_undeliverable(order, payment)  # the buyer's mail, committed with the move
    described = ", ".join(f"{s.sku} (wanted {s.wanted}, {s.available} left)"
                          for s in shortfalls)
    back = ("the guarantee is to be reversed in full (DELETE)"
            if target == OrderStatus.HOLD_UNDELIVERABLE
            else "the payment is to be refunded in full")
    record_event(order, EventKind.UNDELIVERABLE,
                 f"Not deliverable: {described}. Nothing was taken from stock; Invoicebox was "
                 f"answered shipping_unavailable and {back}.",
                 data={"short": {s.sku: [s.wanted, s.available] for s in shortfalls},
                       "payment_id": payment.id})
    log.warning("order %s not deliverable (%s): reversal recorded", order.number, described)


class StockError(ValueError):
    """A staff change of a product that cannot be made; the message is fit for staff."""


def set_stock(product_id: int, stock: int | None) -> Product:
    """Set a product's stock (None: not counted) as staff counted it, and commit.

    The product is locked first, as the paid transition locks it, so a payment taking
    stock at the same moment comes before or after, never in between. Services have no
    stock. Raises :class:`StockError` for a change that is not allowed.
    """
    product = _locked_product(product_id)
    if stock is not None and product.item_type != GOODS:
        db.session.rollback()
        raise StockError("Services and gift certificates have no stock.")
    before = product.stock
    product.stock = stock  # a change across zero moves the catalog's version on flush
    db.session.commit()
    log.info("product %s: stock set from %s to %s by staff", product.sku, before, stock)
    return product


def set_active(product_id: int, active: bool) -> Product:
    """Put a product on sale or take it off, and commit (the catalog's version moves)."""
    product = _locked_product(product_id)
    product.active = active
    db.session.commit()
    log.info("product %s: %s by staff", product.sku, "on sale" if active else "off sale")
    return product


def _locked_product(product_id: int) -> Product:
    product = db.session.execute(
        db.select(Product).where(Product.id == product_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if product is None:
        db.session.rollback()
        raise LookupError(product_id)
    return product
