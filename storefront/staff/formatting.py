"""How the staff pages write times and quantities (money: the shared ``money`` filter)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ..shop.validators import format_phone


def when(moment: datetime | None, seconds: bool = False) -> str:
    """``27.11.2026 18:36 UTC``: staff in different places read one unambiguous clock."""
    if moment is None:
        return "—"
    pattern = "%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M"
    return moment.astimezone(UTC).strftime(pattern) + " UTC"


def quantity(value: Decimal | int | None) -> str:
    """``Decimal('2')`` -> ``2``, ``Decimal('1.500')`` -> ``1.5``."""
    if value is None:
        return "—"
    number = Decimal(value)
    if number == number.to_integral_value():
        return str(number.to_integral_value())
    return f"{number.normalize():f}"


def template_helpers() -> dict[str, object]:
    return {"when": when, "quantity": quantity, "phone": format_phone}
