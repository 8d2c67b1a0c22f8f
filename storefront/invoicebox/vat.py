"""VAT codes and the canonical line arithmetic of CONTRACT §3.3 and §3.4.

With ``Decimal`` and ROUND_HALF_UP to the kopeck::

    totalAmount    = amount * quantity
    totalVatAmount = round(totalAmount * r / (100 + r))
    amountWoVat    = round(amount * 100 / (100 + r))

where ``amount`` is the unit price including VAT and ``r`` the percent rate of the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from .errors import BasketError
from .money import KOPECK, to_decimal

__all__ = ["VAT_RATES", "LineAmounts", "compute_line", "normalize_vat_code", "vat_rate"]

# Percent rates. The _ADDED codes are labelled "on top of the price", but the gateway's own
# tooling takes the VAT out of the total with the same r/(100+r) formula (§3.4).
VAT_RATES: Mapping[str, Decimal] = MappingProxyType(
    {
        "VATNONE": Decimal(0),
        "RUS_VAT0": Decimal(0),
        "RUS_VAT5": Decimal(5),
        "RUS_VAT7": Decimal(7),
        "RUS_VAT10": Decimal(10),
        "RUS_VAT20": Decimal(20),
        "RUS_VAT22": Decimal(22),
        "RUS_VAT5_ADDED": Decimal(5),
        "RUS_VAT7_ADDED": Decimal(7),
        "RUS_VAT10_ADDED": Decimal(10),
        "RUS_VAT20_ADDED": Decimal(20),
        "RUS_VAT22_ADDED": Decimal(22),
    }
)
# 1C-Bitrix sends NONE; the documented spelling is VATNONE, which is what we send.
_VAT_ALIASES = {"NONE": "VATNONE"}


def normalize_vat_code(code: str) -> str:
    """The code to send for ``code`` (``NONE`` becomes ``VATNONE``); unknown codes raise."""
    normalized = _VAT_ALIASES.get(code, code)
    if normalized not in VAT_RATES:
        raise BasketError(f"unknown VAT code {code!r}")
    return normalized


def vat_rate(code: str) -> Decimal:
    """The percent rate of a VAT code (0 for VATNONE and RUS_VAT0)."""
    return VAT_RATES[normalize_vat_code(code)]


def round_money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def vat_of(total: Decimal, rate: Decimal) -> Decimal:
    return round_money(total * rate / (100 + rate)) if rate else Decimal("0.00")


def wo_vat_of(amount: Decimal, rate: Decimal) -> Decimal:
    return round_money(amount * 100 / (100 + rate)) if rate else amount


def check_money(value: Decimal | int | str, what: str, field: str | None = None) -> Decimal:
    """``value`` as a two-place Decimal; BasketError if it is a float, negative, or has
    fractions of a kopeck (rounding it here would hide a bug in the caller's arithmetic)."""
    try:
        result = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise BasketError(f"{what}: {exc}", field=field) from None
    if result != result.quantize(KOPECK):
        raise BasketError(f"{what} {result} has more than two decimal places", field=field)
    if result < 0:
        raise BasketError(f"{what} {result} is negative", field=field)
    return result.quantize(KOPECK)


@dataclass(frozen=True)
class LineAmounts:
    """The four money fields of a line, as §3.3 computes them."""

    amount: Decimal
    amount_wo_vat: Decimal
    total_amount: Decimal
    total_vat_amount: Decimal


def compute_line(
    unit_price: Decimal | int | str, quantity: Decimal | int | str, vat_code: str
) -> LineAmounts:
    """Line totals from a VAT-inclusive unit price (two places), a quantity and a VAT code.

    Raises :class:`BasketError` for a non-positive quantity, a price with fractions of a
    kopeck, or a fractional quantity whose total is not a whole number of kopecks (the
    gateway's default ``strict`` round policy would reject it; give such a line by its
    total with :meth:`Basket.add_total` instead).
    """
    rate = vat_rate(vat_code)
    amount = check_money(unit_price, "unit price")
    try:
        qty = to_decimal(quantity)
    except (TypeError, ValueError) as exc:
        raise BasketError(f"quantity: {exc}") from None
    if qty <= 0:
        raise BasketError(f"quantity must be positive, got {qty}")
    total = amount * qty
    if total != total.quantize(KOPECK):
        raise BasketError(f"{amount} x {qty} = {total} is not a whole number of kopecks")
    total = total.quantize(KOPECK)
    return LineAmounts(amount, wo_vat_of(amount, rate), total, vat_of(total, rate))
