"""Russian payer details: INN and KPP checks, phone normalisation.

The INN (taxpayer number) carries check digits. Organisations have 10 digits with one
check digit; individuals and sole traders (ИП) have 12 digits with two. Each check digit
is a weighted sum of the digits before it, modulo 11, then modulo 10.
"""

from __future__ import annotations

import re

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11_WEIGHTS = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# KPP: tax office (4 digits), reason (2 digits or capital Latin letters), number (3 digits).
_KPP = re.compile(r"\d{4}[0-9A-Z]{2}\d{3}")
_PHONE_CHARACTERS = re.compile(r"[\d\s()+\-.]+")


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """True for a 10-digit (organisation) or 12-digit (person) INN with correct checksums."""
    if not inn.isascii() or not inn.isdigit():
        return False
    if len(inn) == 10:
        return _check_digit(inn[:9], _INN10_WEIGHTS) == int(inn[9])
    if len(inn) == 12:
        return (
            _check_digit(inn[:10], _INN11_WEIGHTS) == int(inn[10])
            and _check_digit(inn[:11], _INN12_WEIGHTS) == int(inn[11])
        )
    return False


def kpp_is_valid(kpp: str) -> bool:
    return bool(_KPP.fullmatch(kpp))


def normalize_phone(raw: str) -> str | None:
    """Digits only, Russian numbers as ``7XXXXXXXXXX``; None if it is not a phone number.

    ``+7 (900) 111-22-33``, ``8 900 111 22 33`` and ``9001112233`` all give
    ``79001112233``. Other countries' numbers are kept as their 11 to 15 digits.
    """
    if not _PHONE_CHARACTERS.fullmatch(raw.strip()):
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    elif len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    if not 11 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    if digits.startswith("7") and len(digits) != 11:
        return None
    return digits
