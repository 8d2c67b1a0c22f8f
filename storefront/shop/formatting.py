"""How the shop writes money, times, VAT, statuses and product names, in the active language.

Numbers and dates go through Babel, in the request's locale: ``5 870,00 ₽`` in Russian,
``5,870.00 ₽`` in English, always with no-break spaces so an amount never wraps. Times are
shown in the shop's time zone (``STOREFRONT_TIMEZONE``, Moscow by default) with the zone
named, because buyers and staff read the shop's clock, not UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import current_app, has_app_context, has_request_context
from flask_babel import gettext

from ..i18n import DEFAULT_LANGUAGE, current_language
from ..invoicebox import VAT_RATES
from ..states import (
    ORDER_STATUS_LABELS,
    REFUND_OPEN,
    OrderStatus,
    RefundRequestStatus,
    RefundStatus,
)

NBSP = "\u00a0"
DEFAULT_TIMEZONE = "Europe/Moscow"
# Zone abbreviations as Russian readers write them; others are shown as Python names them.
_ZONE_NAMES_RU = {"MSK": "МСК", "UTC": "UTC"}


def language() -> str:
    """The active language; Russian outside a request (the CLI, a background job)."""
    return current_language() if has_request_context() else DEFAULT_LANGUAGE


def money(kopecks: int | None, currency: str = "₽") -> str:
    """``129000`` -> ``"1 290,00 ₽"`` (Russian) or ``"1,290.00 ₽"`` (English)."""
    if kopecks is None:
        return "—"
    amount = Decimal(kopecks).scaleb(-2)
    number = format_decimal(amount, format="#,##0.00", locale=language())
    return number.replace(" ", NBSP).replace("\u202f", NBSP) + NBSP + currency


def shop_timezone() -> ZoneInfo:
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("STOREFRONT_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)


def zone_label(moment: datetime) -> str:
    name = moment.tzname() or ""
    return _ZONE_NAMES_RU.get(name, name) if language() == "ru" else name


def when(moment: datetime | None, seconds: bool = False) -> str:
    """A moment in the shop's time zone, zone named: ``27 нояб. 2026 г., 21:36 МСК``."""
    if moment is None:
        return "—"
    local = moment.astimezone(shop_timezone())
    lang = language()
    date = format_date(local, "medium", locale=lang)
    time = format_time(local, "medium" if seconds else "short", locale=lang)
    return f"{date}, {time} {zone_label(local)}".replace("\u202f", NBSP)


def day(moment: datetime | None) -> str:
    """The date alone, in the shop's time zone: ``27 нояб. 2026 г.``."""
    if moment is None:
        return "—"
    return format_date(moment.astimezone(shop_timezone()), "medium", locale=language())


def order_status_label(status: str) -> str:
    try:
        return str(ORDER_STATUS_LABELS[OrderStatus(status)])
    except ValueError:
        return status


def vat_rate_label(vat_code: str) -> str:
    """``RUS_VAT22`` -> ``"VAT 22 %"`` / ``"НДС 22 %"``; no VAT -> ``"No VAT"``."""
    rate = VAT_RATES.get(vat_code)
    if rate is None:
        return vat_code
    if not rate and vat_code == "VATNONE":
        return gettext("No VAT")
    return gettext("VAT %(rate)s %%", rate=int(rate)).replace(" %", NBSP + "%")


def vat_label(vat_code: str) -> str:
    """``RUS_VAT22`` -> ``"VAT 22 % included"``; ``VATNONE`` -> ``"Not subject to VAT"``."""
    rate = VAT_RATES.get(vat_code)
    if rate is None:
        return vat_code
    if not rate:
        return gettext("Not subject to VAT") if vat_code == "VATNONE" else vat_rate_label(vat_code)
    return gettext("%(vat)s included", vat=vat_rate_label(vat_code))


# The receipt's units (OKEI short names) as English pages write them.
_UNITS_EN = {"шт": "pc", "упак": "pack", "ч": "h", "мес": "month", "кг": "kg", "г": "g"}


def unit(measure: str) -> str:
    """A unit of measure for the page: the receipt's Russian one, or its English name."""
    return _UNITS_EN.get(measure, measure) if language() == "en" else measure


def product_name(product: Any) -> str:
    """The product's name in the active language (the Russian one is the receipt's)."""
    english = getattr(product, "name_en", "") or ""
    return english if language() == "en" and english else product.name


def product_description(product: Any) -> str:
    english = getattr(product, "description_en", "") or ""
    return english if language() == "en" and english else product.description


def line_name(line: Any) -> str:
    """An order line's name as the buyer's pages show it: the product's name in the
    active language, or the receipt name the line was sold under."""
    product = getattr(line, "product", None)
    if language() == "en" and product is not None and product.name_en:
        return product.name_en
    return line.name


def refund_request_outcome(request: Any) -> tuple[str, str]:
    """Where a buyer's refund request stands, for their order page: a CSS word and the
    words they read. An issued request follows the refund it led to."""
    status = RefundRequestStatus(request.status)
    if status == RefundRequestStatus.OPEN:
        return "waiting", gettext("waiting for the shop's answer")
    if status == RefundRequestStatus.DECLINED:
        return "declined", gettext("declined")
    refund = request.refund
    if refund is not None and refund.status == RefundStatus.COMPLETED:
        return "refunded", gettext("refund completed")
    if refund is not None and refund.status in REFUND_OPEN:
        return "in_progress", gettext("refund in progress")
    return "not_made", gettext("the refund was not made")
