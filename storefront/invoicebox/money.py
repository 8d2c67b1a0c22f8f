"""Money as the gateway sees it: ``Decimal`` with two places, or integer kopecks.

Floats never take part in arithmetic. They appear only at the JSON boundary, where the
gateway wants plain numbers (``371.88``, not ``"371.88"``): :func:`money_to_json` turns a
two-place ``Decimal`` into the float whose shortest ``repr`` is exactly those digits, and
:func:`to_decimal` reads numbers back with ``Decimal(str(x))`` so ``2790.67`` stays
``2790.67``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "KOPECK",
    "decimal_to_kopecks",
    "kopecks_to_decimal",
    "money_to_json",
    "parse_money",
    "quantity_to_json",
    "quantize_money",
    "to_decimal",
]

KOPECK = Decimal("0.01")

# A float represents any two-place amount below 2**53 / 100 exactly enough for its repr to
# give the same digits back; far beyond any order total, but refuse rather than corrupt.
_MAX_JSON_MONEY = Decimal("10") ** 13


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert a caller-supplied amount to ``Decimal``; floats are refused.

    Raises ``TypeError`` for floats and booleans (a float has already lost the exact value
    the caller meant) and ``ValueError`` for text that is not a finite number.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def parse_money(value: object) -> Decimal | None:
    """Read a number from a gateway response; ``None`` if absent or not numeric.

    Uses ``Decimal(str(x))``: ``str`` of a JSON float is its shortest repr, i.e. the digits
    the gateway sent. Tolerant on purpose: a malformed value must not make a whole response
    unreadable (the raw dict is kept on every model).
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round to the kopeck, half up (the rounding the gateway's examples use)."""
    return to_decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def kopecks_to_decimal(kopecks: int) -> Decimal:
    """``12345`` -> ``Decimal('123.45')``."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError(f"kopecks must be int, not {type(kopecks).__name__}")
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def decimal_to_kopecks(amount: Decimal | int | str) -> int:
    """``Decimal('123.45')`` -> ``12345``.

    Raises ``ValueError`` for an amount with a fraction of a kopeck rather than rounding it
    silently; call :func:`quantize_money` first if rounding is really meant.
    """
    value = to_decimal(amount)
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} is not a whole number of kopecks")
    return int(scaled)


def money_to_json(amount: Decimal | int | str) -> float:
    """A money value for a JSON request body: a number with at most two decimals.

    Raises ``ValueError`` if the amount has a fraction of a kopeck (it must be rounded by
    the basket arithmetic, not here) or is too large to survive a float.
    """
    value = to_decimal(amount)
    if abs(value) >= _MAX_JSON_MONEY:
        raise ValueError(f"{value} is too large to send")
    if value != value.quantize(KOPECK):
        raise ValueError(f"{value} has more than two decimal places")
    return float(value)


def quantity_to_json(quantity: Decimal | int | str) -> int | float:
    """A quantity for a JSON body: an integer when whole (``3``), else a plain number."""
    value = to_decimal(quantity)
    if value == value.to_integral_value():
        return int(value)
    return float(value)
