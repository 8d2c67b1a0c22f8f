"""The consistency rules the gateway applies to a basket (CONTRACT §3.2, R1-R6).

:func:`validate_basket` checks any list of lines (built by :class:`~.basket.Basket`, read
back from ``refund-basket-item``, or put together by hand) and raises
:class:`BasketError`, with the error code the gateway itself would answer, before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import NoReturn

from .errors import BasketError
from .items import BasketItem
from .money import KOPECK
from .vat import VAT_RATES, check_money, vat_of

__all__ = ["PAYMENT_TYPES", "ROUND_POLICIES", "check_line", "validate_basket"]

PAYMENT_TYPES = frozenset({"full_prepayment", "prepayment", "advance", "full_payment"})
_LINE_TYPES = frozenset({"commodity", "service"})
ROUND_POLICIES = {
    "floor": ROUND_FLOOR,
    "ceil": ROUND_CEILING,
    "halfUp": ROUND_HALF_UP,
    "halfDown": ROUND_HALF_DOWN,
}
# Tolerances of §3.2: real integrations round VAT per unit or per line, and both pass.
_VAT_TOLERANCE = Decimal("0.01")
_WO_VAT_TOLERANCE = Decimal("0.01")


class _Line:
    """One line under inspection; ``fail`` raises with the line's sku and field path."""

    def __init__(self, item: BasketItem, where: str) -> None:
        self.item, self.where = item, where

    def fail(self, message: str, name: str, code: str = "validation") -> NoReturn:
        raise BasketError(
            f"line {self.item.sku!r}: {message}", code=code, field=f"{self.where}.{name}"
        )

    def money(self, attr: str, name: str) -> Decimal:
        value = getattr(self.item, attr)
        if value is None:
            self.fail(f"{name} is missing", name)
        return check_money(value, f"line {self.item.sku!r}: {name}", f"{self.where}.{name}")


def _total_ok(total: Decimal, exact: Decimal, policy: str) -> bool:
    if policy == "strict":
        return total == exact
    if policy == "none":
        return exact <= total < exact + KOPECK
    return total == exact.quantize(KOPECK, rounding=ROUND_POLICIES[policy])


def check_line(item: BasketItem, where: str, policy: str = "strict") -> Decimal:
    """R1-R3 and the field checks for one line at ``where`` (``basketItems[i]``).

    Returns the line's VAT rate; raises :class:`BasketError` at the first problem.
    """
    line = _Line(item, where)
    if not item.sku or not item.name:
        line.fail("sku and name are required", "sku" if not item.sku else "name")
    if not item.measure or not item.measure_code:
        line.fail("measure and measureCode are required", "measure")
    if item.vat_code not in VAT_RATES:
        line.fail(f"unknown VAT code {item.vat_code!r}", "vatCode")
    if item.payment_type not in PAYMENT_TYPES:
        line.fail(f"unknown paymentType {item.payment_type!r}", "paymentType")
    if isinstance(item.type, bool) or not (isinstance(item.type, int) or item.type in _LINE_TYPES):
        line.fail(f"unknown type {item.type!r}", "type")
    quantity = item.quantity
    if quantity is None or quantity <= 0:
        line.fail("quantity must be positive", "quantity")
    if policy != "strict" and policy != "none" and policy not in ROUND_POLICIES:
        raise BasketError(f"unknown roundPolicy {policy!r}", field="orderSetting.roundPolicy")
    rate = VAT_RATES[item.vat_code]
    amount = line.money("amount", "amount")
    wo_vat = line.money("amount_wo_vat", "amountWoVat")
    total = line.money("total_amount", "totalAmount")
    vat = line.money("total_vat_amount", "totalVatAmount")
    if not _total_ok(total, amount * quantity, policy):  # R1
        line.fail(
            f"totalAmount {total} != amount {amount} x quantity {quantity} (roundPolicy {policy})",
            "totalAmount",
            "wrong_basket_item_total_amount",
        )
    exact_vat = total * rate / (100 + rate)
    if vat != 0 if not rate else abs(vat - exact_vat) > _VAT_TOLERANCE * max(1, quantity):
        line.fail(
            f"totalVatAmount {vat} does not match {item.vat_code} on {total} "
            f"(expected {vat_of(total, rate)})",
            "totalVatAmount",
            "wrong_basket_item_total_vat_amount",
        )  # R2
    exact_wo_vat = amount * 100 / (100 + rate)
    if wo_vat != amount if not rate else abs(wo_vat - exact_wo_vat) > _WO_VAT_TOLERANCE:
        line.fail(
            f"amountWoVat {wo_vat} does not match {item.vat_code} on {amount}",
            "amountWoVat",
            "wrong_basket_item_amount_wo_vat",
        )  # R3
    return rate


def validate_basket(
    items: Sequence[BasketItem],
    amount: Decimal | None = None,
    vat_amount: Decimal | None = None,
    *,
    round_policy: str = "strict",
) -> tuple[Decimal, Decimal]:
    """Check lines and order totals as the gateway would; return ``(amount, vat_amount)``.

    ``amount`` / ``vat_amount`` default to the sums of the lines (then R4/R5 hold by
    construction). Raises :class:`BasketError` naming the rule, with the gateway's error
    code, for: an empty basket, a duplicate sku, an unknown VAT code, payment type or line
    type, a missing or negative money field, more than two decimals, a non-positive
    quantity, R1-R3 per line, R4 (amount), R5 (vatAmount) and R6 (vatAmount <= amount,
    amount > 0).
    """
    if not items:
        raise BasketError("the basket is empty", field="basketItems")
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"basketItems[{index}]"
        if item.sku in seen:
            raise BasketError(
                f"duplicate sku {item.sku!r}: refunds match lines by sku", field=f"{where}.sku"
            )
        seen.add(item.sku)
        check_line(item, where, round_policy)
    # check_line has made sure every line has both totals.
    total = sum((item.total_amount or Decimal(0) for item in items), Decimal("0.00"))
    total_vat = sum((item.total_vat_amount or Decimal(0) for item in items), Decimal("0.00"))
    amount = total if amount is None else check_money(amount, "order amount", "amount")
    vat_amount = (
        total_vat if vat_amount is None else check_money(vat_amount, "vatAmount", "vatAmount")
    )
    if amount != total:
        raise BasketError(
            f"order amount {amount} != sum of line totals {total}",
            code="wrong_total_amount",
            field="amount",
        )  # R4
    if vat_amount != total_vat:
        raise BasketError(
            f"order vatAmount {vat_amount} != sum of line VAT {total_vat}",
            code="wrong_total_vat_amount",
            field="vatAmount",
        )  # R5
    if amount <= 0 or vat_amount > amount:
        raise BasketError(
            f"order amount {amount} must be positive and >= vatAmount {vat_amount}", field="amount"
        )  # R6
    return amount, vat_amount
