"""Whole numbers read from people and links: ASCII digits only, and never unbounded.

Python is generous with numbers: ``int()`` and ``str.isdigit()`` accept the digits of any
script (``"١٢٣"``, ``"１２３"``), ``int()`` also takes an underscore between digits and
whitespace around them, and a number may have any length. A quantity, a page number or a
tax number that the shop stores, compares or sends to Invoicebox is none of that: it is
written in the digits 0-9, and it has a known largest value. Every number the shop parses
from a request goes through :func:`whole_number` or :class:`WholeNumberField`.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import IntegerField, StringField

# [0-9] is exactly the ten ASCII digits (\d would take any script's).
_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(text: str) -> bool:
    """True if ``text`` is one or more of the digits 0-9 and nothing else."""
    return _DIGITS.fullmatch(text) is not None


def whole_number(text: str | None, maximum: int) -> int | None:
    """``text`` as an integer from 0 to ``maximum``; None if it is anything else.

    Only the digits 0-9 are read: no sign, no spaces, no other script's digits. A number
    with more digits than ``maximum`` is refused before it is converted, so a
    thousand-digit "page number" costs nothing.
    """
    if text is None or not is_ascii_digits(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


class WholeNumberField(IntegerField):
    """WTForms' ``IntegerField`` reading only the digits 0-9, at most ``maximum``.

    The range a form accepts is still its ``NumberRange`` validator's; ``maximum`` only
    keeps an absurd number from being converted at all.
    """

    def __init__(self, label: str | None = None, validators: Any = None, *,
                 maximum: int = 10**9, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", "Enter a whole number in the digits 0-9.")
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        self.data = whole_number(raw.strip(" ") if isinstance(raw, str) else None, self.maximum)
        if self.data is None:
            raise ValueError(self.invalid_value_message)


# Roubles with at most two places after a point or a comma: "150", "150.5", "1490,00".
_MONEY = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")


def money_kopecks(text: str | None, maximum: int) -> int | None:
    """A sum of money written by a person, in kopecks from 0 to ``maximum``; None if it is
    anything else.

    Digits 0-9, then at most two places after ``.`` or ``,``; spaces between thousands
    (ordinary or no-break) are allowed, as people write them. No sign, no exponent, no
    ``NaN`` or ``Infinity``, no third place: nothing is rounded.
    """
    if text is None:
        return None
    text = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    found = _MONEY.fullmatch(text)
    if found is None or len(found[1]) > len(str(maximum)):
        return None
    value = int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))
    return value if value <= maximum else None


class MoneyField(StringField):
    """A sum of roubles read by :func:`money_kopecks`; ``data`` is kopecks (an int) or None
    when left empty."""

    def __init__(self, label: str | None = None, validators: Any = None, *,
                 maximum: int = 10**11, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message",
                          "Enter an amount in roubles, such as 150 or 150.50.")
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if not isinstance(raw, str) or not raw.strip(" "):
            self.data = None
            return
        self.data = money_kopecks(raw.strip(" "), self.maximum)
        if self.data is None:
            raise ValueError(self.invalid_value_message)

    @property
    def canonical(self) -> str:
        """The amount as this field reads it back: ``150.50``; empty when there is none."""
        return f"{self.data // 100}.{self.data % 100:02d}" if isinstance(self.data, int) else ""

    def _value(self) -> str:
        return str(self.raw_data[0]) if self.raw_data else self.canonical
