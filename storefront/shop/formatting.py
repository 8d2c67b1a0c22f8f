"""How the buyer's pages write money and statuses."""

from __future__ import annotations

from ..invoicebox import VAT_RATES
from ..states import ORDER_STATUS_LABELS, OrderStatus

# No-break spaces: "1 290,00 ₽" must never wrap between the digits or before the sign.
NBSP = "\u00a0"


def money(kopecks: int | None, currency: str = "₽") -> str:
    """``129000`` -> ``"1 290,00 ₽"`` from integer kopecks, in the Russian style."""
    if kopecks is None:
        return "—"
    sign = "−" if kopecks < 0 else ""
    rubles, rest = divmod(abs(kopecks), 100)
    return f"{sign}{rubles:,}".replace(",", NBSP) + f",{rest:02d}{NBSP}{currency}"


def order_status_label(status: str) -> str:
    try:
        return ORDER_STATUS_LABELS[OrderStatus(status)]
    except ValueError:
        return status


def vat_label(vat_code: str) -> str:
    """``RUS_VAT22`` -> ``"VAT 22% included"``; ``VATNONE`` -> ``"Not subject to VAT"``."""
    rate = VAT_RATES.get(vat_code)
    if rate is None:
        return vat_code
    if not rate:
        return "Not subject to VAT" if vat_code == "VATNONE" else "VAT 0%"
    return f"VAT {rate}% included"
