"""Money as the buyer reads it, and the INN, KPP and phone rules of the checkout form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.shop.formatting import money, vat_label
from storefront.shop.validators import inn_is_valid, kpp_is_valid, normalize_phone

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("kopecks", "text"),
    [
        (129000, "1 290,00 ₽"),
        (0, "0,00 ₽"),
        (5, "0,05 ₽"),
        (89000, "890,00 ₽"),
        (123456789, "1 234 567,89 ₽"),
        (-39000, "−390,00 ₽"),
        (None, "—"),
    ],
)
def test_money_is_written_the_russian_way(kopecks, text):
    assert money(kopecks) == text.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("code", "label"),
    [("RUS_VAT22", "VAT 22% included"), ("RUS_VAT10", "VAT 10% included"),
     ("VATNONE", "Not subject to VAT"), ("RUS_VAT0", "VAT 0%")],
)
def test_vat_labels(code, label):
    assert vat_label(code) == label


@pytest.mark.parametrize(
    ("inn", "valid"),
    [
        ("7707083893", True),  # Sberbank: an organisation, 10 digits
        ("7736207543", True),  # Yandex
        ("7707083894", False),  # last digit changed
        ("500100732259", True),  # a person / sole trader, 12 digits
        ("500100732258", False),  # 12th digit wrong
        ("500100732269", False),  # 11th digit wrong
        ("770708389", False),  # 9 digits
        ("77070838931", False),  # 11 digits
        ("7707O83893", False),  # a letter O
        ("７７０７０８３８９３", False),  # full-width digits are not ASCII
        ("", False),
    ],
)
def test_inn_checksums(inn, valid):
    assert inn_is_valid(inn) is valid


@pytest.mark.parametrize(
    ("kpp", "valid"),
    [("773601001", True), ("7736AB001", True), ("77360100", False), ("7736010011", False),
     ("7736ab001", False), ("ABCD01001", False)],
)
def test_kpp_format(kpp, valid):
    assert kpp_is_valid(kpp) is valid


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+7 (900) 111-22-33", "79001112233"),
        ("8 900 111 22 33", "79001112233"),
        ("9001112233", "79001112233"),
        ("79001112233", "79001112233"),
        ("+44 20 7946 0958", "442079460958"),
        ("+7 900 111", None),
        ("+7 900 111-22-33-44", None),
        ("call me", None),
        ("12345", None),
        ("", None),
    ],
)
def test_phone_numbers_are_normalised_to_digits(raw, digits):
    assert normalize_phone(raw) == digits


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_formatted_money_reads_back_as_the_same_kopecks(kopecks):
    text = money(kopecks)
    digits = text.removesuffix(f"{NBSP}₽").replace(NBSP, "").replace("−", "-").replace(",", "")
    assert int(digits) == kopecks
    assert "\n" not in text and " " not in text  # only no-break spaces: it never wraps


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_ten_digit_inn_has_exactly_one_valid_check_digit(first_nine):
    valid = [d for d in "0123456789" if inn_is_valid(first_nine + d)]
    assert len(valid) == 1
