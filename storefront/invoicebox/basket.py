"""The basket builder: consistent lines for an order, a refund or a shipment.

Every ``add_*`` computes the money fields with the arithmetic of :mod:`.vat` and checks
the new line with the rules of :mod:`.rules`, so a mistake surfaces where it is made, not
as a 422 from the gateway. The arithmetic and rules are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .errors import BasketError
from .items import BasketItem, RefundableItem
from .money import to_decimal
from .rules import PAYMENT_TYPES, check_line, validate_basket
from .vat import VAT_RATES, LineAmounts, check_money, compute_line, normalize_vat_code, vat_rate

__all__ = [
    "PAYMENT_TYPES",
    "VAT_RATES",
    "Basket",
    "LineAmounts",
    "compute_line",
    "normalize_vat_code",
    "validate_basket",
    "vat_rate",
]


class Basket:
    """Builds a consistent list of :class:`BasketItem` lines for an order, refund or shipment.

    Every ``add_*`` method computes the money fields itself, checks the line at once
    (unknown VAT code, bad quantity, duplicate sku ...) and returns the new line.
    ``measure``, ``measure_code``, ``type`` and ``payment_type`` default to the values given
    to the constructor; any other :class:`BasketItem` field (``group_name``,
    ``service_date``, ``meta_data`` ...) can be passed as a keyword.
    """

    def __init__(
        self,
        *,
        payment_type: str = "full_prepayment",
        measure: str = "шт",
        measure_code: str = "796",
    ) -> None:
        self._defaults = {
            "payment_type": payment_type,
            "measure": measure,
            "measure_code": measure_code,
        }
        self._items: list[BasketItem] = []

    def add(
        self,
        *,
        sku: str,
        name: str,
        unit_price: Decimal | int | str,
        quantity: Decimal | int | str = 1,
        vat_code: str,
        type: str | int = "commodity",
        **extra: Any,
    ) -> BasketItem:
        """A line of ``quantity`` units at ``unit_price`` (VAT included, two places)."""
        code = normalize_vat_code(vat_code)
        line = compute_line(unit_price, quantity, code)
        return self._append(
            sku=sku,
            name=name,
            quantity=to_decimal(quantity),
            vat_code=code,
            type=type,
            amounts=line,
            extra=extra,
        )

    def add_total(
        self,
        *,
        sku: str,
        name: str,
        total: Decimal | int | str,
        vat_code: str,
        vat_amount: Decimal | int | str | None = None,
        type: str | int = "commodity",
        **extra: Any,
    ) -> BasketItem:
        """A line given by its money total: quantity 1, ``amount = totalAmount = total``.

        The VAT is computed at the code's rate unless ``vat_amount`` is given (e.g. the
        ``availableVatAmount`` of a final refund remainder); a given value must still be
        within a kopeck of the rate, or the gateway would refuse it.
        """
        code = normalize_vat_code(vat_code)
        line = compute_line(total, 1, code)
        if vat_amount is not None:
            line = LineAmounts(
                line.amount,
                line.amount_wo_vat,
                line.total_amount,
                check_money(vat_amount, f"line {sku!r}: VAT amount"),
            )
        return self._append(
            sku=sku,
            name=name,
            quantity=Decimal(1),
            vat_code=code,
            type=type,
            amounts=line,
            extra=extra,
        )

    def add_delivery(
        self,
        price: Decimal | int | str,
        vat_code: str,
        *,
        name: str = "Доставка",
        sku: str = "delivery",
        **extra: Any,
    ) -> BasketItem:
        """Delivery as its own ``service`` line, quantity 1 (§3.3)."""
        return self.add(
            sku=sku,
            name=name,
            unit_price=price,
            quantity=1,
            vat_code=vat_code,
            type="service",
            **extra,
        )

    def add_part_of(
        self,
        item: BasketItem,
        total: Decimal | int | str,
        *,
        vat_amount: Decimal | int | str | None = None,
    ) -> BasketItem:
        """Refund (or ship) a money part of an existing line, keeping its sku and VAT code.

        For a :class:`RefundableItem` the part may not exceed ``available_amount``.
        """
        part = check_money(total, f"line {item.sku!r}: part")
        _check_refundable(item, part)
        return self.add_total(
            sku=item.sku,
            name=item.name,
            total=part,
            vat_code=item.vat_code,
            vat_amount=vat_amount,
            type=item.type,
            **_descriptive(item),
        )

    def add_remainder_of(self, item: RefundableItem) -> BasketItem:
        """Everything still refundable on a line, with the gateway's own VAT remainder."""
        if not item.available_amount:
            raise BasketError(
                f"line {item.sku!r}: nothing left to refund", code="wrong_total_amount"
            )
        return self.add_part_of(item, item.available_amount, vat_amount=item.available_vat_amount)

    def add_units_of(self, item: BasketItem, quantity: Decimal | int | str) -> BasketItem:
        """``quantity`` units of an existing line at its original unit price.

        For a :class:`RefundableItem` their total may not exceed ``available_amount``.
        """
        if item.amount is None:
            raise BasketError(f"line {item.sku!r}: the original unit price is unknown")
        total = compute_line(item.amount, quantity, item.vat_code).total_amount
        _check_refundable(item, total)
        return self.add(
            sku=item.sku,
            name=item.name,
            unit_price=item.amount,
            quantity=quantity,
            vat_code=item.vat_code,
            type=item.type,
            **_descriptive(item),
        )

    def _append(
        self,
        *,
        sku: str,
        name: str,
        quantity: Decimal,
        vat_code: str,
        type: str | int,
        amounts: LineAmounts,
        extra: dict[str, Any],
    ) -> BasketItem:
        fields = {**self._defaults, **extra}
        item = BasketItem(
            sku=sku,
            name=name,
            quantity=quantity,
            amount=amounts.amount,
            amount_wo_vat=amounts.amount_wo_vat,
            total_amount=amounts.total_amount,
            total_vat_amount=amounts.total_vat_amount,
            vat_code=vat_code,
            type=type,
            **fields,
        )
        if any(existing.sku == sku for existing in self._items):
            raise BasketError(
                f"duplicate sku {sku!r}: refunds match lines by sku",
                field=f"basketItems[{len(self._items)}].sku",
            )
        check_line(item, f"basketItems[{len(self._items)}]", "strict")
        self._items.append(item)
        return item

    @property
    def items(self) -> list[BasketItem]:
        return list(self._items)

    @property
    def amount(self) -> Decimal:
        """Order ``amount``: the sum of the line totals."""
        return sum((i.total_amount or Decimal(0) for i in self._items), Decimal("0.00"))

    @property
    def vat_amount(self) -> Decimal:
        """Order ``vatAmount``: the sum of the lines' VAT."""
        return sum((i.total_vat_amount or Decimal(0) for i in self._items), Decimal("0.00"))

    def validate(self) -> tuple[Decimal, Decimal]:
        """Run :func:`validate_basket` on the lines; returns ``(amount, vat_amount)``."""
        return validate_basket(self._items)

    def __iter__(self) -> Iterator[BasketItem]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> BasketItem:
        return self._items[index]


def _check_refundable(item: BasketItem, amount: Decimal) -> None:
    """Refuse to take more from a :class:`RefundableItem` than it still has available."""
    if (
        isinstance(item, RefundableItem)
        and item.available_amount is not None
        and amount > item.available_amount
    ):
        raise BasketError(
            f"line {item.sku!r}: {amount} exceeds the refundable {item.available_amount}",
            code="wrong_total_amount",
        )


def _descriptive(item: BasketItem) -> dict[str, Any]:
    """The non-money fields a derived line keeps from its original."""
    return {
        "measure": item.measure,
        "measure_code": item.measure_code,
        "payment_type": item.payment_type,
        "group_name": item.group_name,
        "origin_country": item.origin_country,
        "origin_country_code": item.origin_country_code,
        "service_date": item.service_date,
        "category_type": item.category_type,
        "category": item.category,
    }
