"""What a refund may contain (CONTRACT §7): the pure arithmetic behind the refund screen.

Invoicebox's ``refund-basket-item`` lines become :class:`RefundablePosition` rows in
kopecks, and staff's :class:`RefundSelection` becomes a checked :class:`RefundPlan`, or
a :class:`RefundError` saying in plain words why not. Nothing here touches the
database or the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ..invoicebox import (
    Basket,
    BasketError,
    BasketItem,
    RefundableItem,
    compute_line,
    decimal_to_kopecks,
    kopecks_to_decimal,
    vat_rate,
)

__all__ = [
    "LineChoice",
    "RefundError",
    "RefundPlan",
    "RefundSelection",
    "RefundablePosition",
    "plan_refund",
    "positions_from",
]


class RefundError(Exception):
    """Nothing was sent: the message says why, in words fit for staff."""


@dataclass(frozen=True)
class LineChoice:
    """What staff chose for one position: whole units, and/or the part under one unit."""

    sku: str
    quantity: int = 0
    remainder: bool = False


@dataclass(frozen=True)
class RefundSelection:
    lines: tuple[LineChoice, ...] = ()
    everything: bool = False  # every position's whole remainder, whatever ``lines`` say


@dataclass(frozen=True)
class RefundablePosition:
    """A line of ``refund-basket-item`` in kopecks, as the refund screen shows it.

    Invoicebox tracks the remainder as money, so it need not be whole units:
    ``units`` whole units can still be refunded, plus ``odd_part`` kopecks.
    """

    item: RefundableItem
    unit_price: int
    total: int
    available: int
    available_vat: int

    @property
    def sku(self) -> str:
        return self.item.sku

    @property
    def refunded(self) -> int:
        return self.total - self.available

    @property
    def units(self) -> int:
        return self.available // self.unit_price if self.unit_price > 0 else 0

    @property
    def odd_part(self) -> int:
        return self.available - self.units * self.unit_price

    @property
    def vat_percent(self) -> Decimal:
        return vat_rate(self.item.vat_code)


@dataclass(frozen=True)
class RefundPlan:
    """The refund basket and the rows to save, checked against fresh amounts."""

    items: list[BasketItem]
    lines: list[dict[str, Any]]
    amount: int
    vat_amount: int


def positions_from(items: list[RefundableItem]) -> list[RefundablePosition]:
    def kopecks(value: Decimal | None) -> int:
        return decimal_to_kopecks(value or 0)

    return [
        RefundablePosition(item, kopecks(item.amount), kopecks(item.total_amount),
                           kopecks(item.available_amount), kopecks(item.available_vat_amount))
        for item in items
    ]


def plan_refund(positions: list[RefundablePosition], selection: RefundSelection,
                order_skus: set[str]) -> RefundPlan:
    """Turn staff's selection into refund lines, or raise :class:`RefundError`.

    Units are refunded at the line's unit price with VAT at its rate. A line refunded
    down to zero sends exactly ``availableAmount`` / ``availableVatAmount``, so the
    refunded VAT adds up to the line's VAT: as its units when their VAT at the rate is
    exactly that (the receipt then shows the units), else as one unit of the money
    left. A part under one unit is sent as one unit of money too (CONTRACT §7.4-5).
    """
    by_sku = {position.sku: position for position in positions}
    wanted: dict[str, tuple[int, bool]] = {}
    if selection.everything:
        wanted = {p.sku: (p.units, p.odd_part > 0) for p in positions if p.available > 0}
        if not wanted:
            raise RefundError(_("Nothing is left to refund on this order."))
    else:
        for choice in selection.lines:
            if choice.sku in wanted:
                raise RefundError(_("Position %(sku)s is listed twice.", sku=choice.sku))
            if choice.quantity or choice.remainder:
                wanted[choice.sku] = (choice.quantity, choice.remainder)
    basket = Basket()
    for sku, (quantity, remainder) in wanted.items():
        position = by_sku.get(sku)
        if position is None or sku not in order_skus:
            raise RefundError(_("Position %(sku)s is not part of this order.", sku=sku))
        _add_line(basket, position, quantity, remainder)
    if not len(basket):
        raise RefundError(_("Choose at least one position to refund, or “refund everything”."))
    try:
        amount, vat_amount = basket.validate()
    except BasketError as error:
        raise RefundError(_("The refund does not add up: %(message)s",
                            message=error.message)) from None
    lines = [_saved_line(item) for item in basket]
    total = sum(line["total"] for line in lines)
    if decimal_to_kopecks(amount) != total or total > sum(p.available for p in positions):
        raise RefundError(_("The refund does not add up; reload the page and try again."))
    return RefundPlan(basket.items, lines, total, decimal_to_kopecks(vat_amount))


def _add_line(basket: Basket, position: RefundablePosition, quantity: int,
              remainder: bool) -> None:
    name = position.item.name
    if quantity < 0:
        raise RefundError(_("“%(name)s”: a quantity cannot be negative.", name=name))
    if quantity > position.units:
        raise RefundError(_("“%(name)s”: only %(units)s unit(s) can still be refunded, "
                            "not %(quantity)s.", name=name, units=position.units,
                            quantity=quantity))
    if remainder and position.odd_part <= 0:
        raise RefundError(_("“%(name)s”: there is no part under one unit left to refund.",
                            name=name))
    total = quantity * position.unit_price + (position.odd_part if remainder else 0)
    try:
        if total == position.available and not _vat_of_units_is_what_is_left(position):
            basket.add_remainder_of(position.item)
        elif remainder:
            basket.add_part_of(position.item, kopecks_to_decimal(total))
        else:
            basket.add_units_of(position.item, quantity)
    except BasketError as error:
        raise RefundError(_("“%(name)s” cannot be refunded that way: %(message)s",
                            name=name, message=error.message)) from None


def _vat_of_units_is_what_is_left(position: RefundablePosition) -> bool:
    if position.odd_part or not position.units:
        return False
    line = compute_line(position.item.amount, position.units, position.item.vat_code)
    return decimal_to_kopecks(line.total_vat_amount) == position.available_vat


def _saved_line(item: BasketItem) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "quantity": int(item.quantity or 1),
        "unit_price": decimal_to_kopecks(item.amount or 0),
        "total": decimal_to_kopecks(item.total_amount or 0),
        "vat": decimal_to_kopecks(item.total_vat_amount or 0),
    }
