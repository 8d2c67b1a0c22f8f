"""Russian payer details: INN, KPP and phone numbers.

INN check digits are python-stdnum's (``stdnum.ru.inn``) and phone numbers are Google's
libphonenumber rules (``phonenumbers``): both know more than a hand-written check (which
number ranges exist, how long each country's numbers are). Both are also generous with
what they read: stdnum turns full-width digits into ASCII ones and phonenumbers reads
Arabic-Indic digits, so a number is first checked to be written in the ASCII digits 0-9,
and only then given to the library. The shop stores, shows and sends to Invoicebox only
what it has read.

Where the shop's rules differ from the libraries':

* A phone number without ``+`` is read as a Russian one first (``8 900 …``, ``900 …``,
  ``7 900 …``); if it is none, as an international number whose ``+`` was left out, as
  buyers abroad often type it. phonenumbers alone would read it as Russian only.
* The shop keeps a number as its E.164 digits without the ``+`` (``79001112233``), the
  form Invoicebox expects (CONTRACT §2.2); people read it as ``+7 900 111-22-33``.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat
from stdnum.exceptions import ValidationError
from stdnum.ru import inn as stdnum_inn

from ..numbers import is_ascii_digits

# KPP: tax office (4 digits), reason (2 digits or capital Latin letters), number (3 digits).
_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
# What people type in a phone number: an optional leading +, ASCII digits, spaces (a
# no-break one too, as pasted from a web page), brackets, hyphens and dots.
_PHONE = re.compile(r"\+?[0-9 \u00a0()\-.]+")
_HOME_REGION = "RU"


def inn_is_valid(inn: str) -> bool:
    """True for a 10-digit (organisation) or 12-digit (person) INN with correct checksums."""
    if not is_ascii_digits(inn):
        return False
    try:
        stdnum_inn.validate(inn)
    except ValidationError:
        return False
    return True


def kpp_is_valid(kpp: str) -> bool:
    return bool(_KPP.fullmatch(kpp))


def parse_phone(raw: str) -> PhoneNumber | None:
    """The phone number ``raw`` names, if it is a valid one written in ASCII digits."""
    text = raw.strip()
    if not _PHONE.fullmatch(text):
        return None
    readings = [text] if text.startswith("+") else [text, "+" + text]
    for reading in readings:
        try:
            number = phonenumbers.parse(reading, _HOME_REGION)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def normalize_phone(raw: str) -> str | None:
    """E.164 digits without the ``+``, as stored and sent; None if it is no phone number.

    ``+7 (900) 111-22-33``, ``8 900 111 22 33`` and ``9001112233`` all give
    ``79001112233``; ``+44 20 7946 0958`` gives ``442079460958``.
    """
    number = parse_phone(raw)
    if number is None:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164).removeprefix("+")


def format_phone(digits: str | None) -> str:
    """A stored number as people read it: ``79001112233`` -> ``+7 900 111-22-33``.

    Anything that is not a valid stored number is shown as it is, never "corrected".
    """
    if not digits:
        return "—"
    if not is_ascii_digits(digits):
        return digits
    try:
        number = phonenumbers.parse("+" + digits)
    except NumberParseException:
        return digits
    if not phonenumbers.is_valid_number(number):
        return digits
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
