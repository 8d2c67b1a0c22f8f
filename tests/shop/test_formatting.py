"""Money as the buyer reads it, and the INN, KPP and phone rules of the checkout form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.shop.formatting import money, vat_label, when
from storefront.shop.validators import format_phone, inn_is_valid, kpp_is_valid, normalize_phone

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("kopecks", "russian", "english"),
    [
        (129000, "1 290,00 ₽", "1,290.00 ₽"),
        (0, "0,00 ₽", "0.00 ₽"),
        (5, "0,05 ₽", "0.05 ₽"),
        (89000, "890,00 ₽", "890.00 ₽"),
        (123456789, "1 234 567,89 ₽", "1,234,567.89 ₽"),
        (-39000, "-390,00 ₽", "-390.00 ₽"),
        (None, "—", "—"),
    ],
)
def test_money_is_written_in_the_pages_language(app, kopecks, russian, english):
    assert money(kopecks) == russian.replace(" ", NBSP)  # outside a request: Russian
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert money(kopecks) == russian.replace(" ", NBSP)
    with app.test_request_context(headers={"Accept-Language": "en-US,en;q=0.9"}):
        assert money(kopecks) == english.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("code", "russian", "english"),
    [("RUS_VAT22", "в т. ч. НДС 22 %", "VAT 22 % included"),
     ("RUS_VAT10", "в т. ч. НДС 10 %", "VAT 10 % included"),
     ("VATNONE", "НДС не облагается", "Not subject to VAT"),
     ("RUS_VAT0", "НДС 0 %", "VAT 0 %")],
)
def test_vat_labels(app, code, russian, english):
    for language, label in (("ru", russian), ("en", english)):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert vat_label(code) == label.replace(" %", NBSP + "%")


def test_times_are_in_the_shops_time_zone_with_the_zone_named(make_app):
    moment = datetime(2026, 11, 27, 18, 36, 5, tzinfo=UTC)
    app = make_app()
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert when(moment) == f"27 нояб. 2026{NBSP}г., 21:36 МСК"
        assert when(moment, seconds=True) == f"27 нояб. 2026{NBSP}г., 21:36:05 МСК"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert when(moment) == f"Nov 27, 2026, 9:36{NBSP}PM MSK"
    with make_app(STOREFRONT_TIMEZONE="Asia/Yekaterinburg").test_request_context(
            headers={"Accept-Language": "en"}):
        assert when(moment) == f"Nov 27, 2026, 11:36{NBSP}PM +05"


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
        ("٧٧٠٧٠٨٣٨٩٣", False),  # nor are Arabic-Indic ones
        (" 7707083893", False),  # the form drops spaces; the check does not
        ("", False),
    ],
)
def test_inn_checksums(inn, valid):
    assert inn_is_valid(inn) is valid


@pytest.mark.parametrize(
    ("kpp", "valid"),
    [("773601001", True), ("7736AB001", True), ("77360100", False), ("7736010011", False),
     ("7736ab001", False), ("ABCD01001", False), ("٧٧٣٦٠١٠٠١", False), ("７７３６01001", False)],
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
        ("442079460958", "442079460958"),  # abroad, typed without its +
        ("8 10 44 20 7946 0958", "442079460958"),  # Russia's own international prefix
        ("(495) 123-45-67", "74951234567"),  # a Moscow line without the 8
        ("8\u00a0900\u00a0111-22-33", "79001112233"),  # no-break spaces, as pasted
        ("7.900.111.22.33", "79001112233"),
        ("+7 900 111", None),
        ("+7 900 111-22-33-44", None),
        ("+7 000 111-22-33", None),  # no such range
        ("+7 ٩٠٠ ١١١-٢٢-٣٣", None),  # Arabic-Indic digits
        ("+7 ９００ １１１-２２-３３", None),  # full-width digits
        ("+7 900 111-22-33 ext. 5", None),
        ("7+9001112233", None),
        ("call me", None),
        ("12345", None),
        ("", None),
    ],
)
def test_phone_numbers_are_normalised_to_digits(raw, digits):
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize(
    ("digits", "shown"),
    [
        ("79001112233", "+7 900 111-22-33"),
        ("74951234567", "+7 495 123-45-67"),
        ("442079460958", "+44 20 7946 0958"),
        ("٧٩٠٠١١١٢٢٣٣", "٧٩٠٠١١١٢٢٣٣"),  # stored before digits were checked: shown as is
        ("70001112233", "70001112233"),
        ("", "—"),
    ],
)
def test_phone_numbers_are_shown_in_the_international_format(digits, shown):
    assert format_phone(digits) == shown


@given(st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda d: "79" + d[1:]))
def test_every_stored_russian_mobile_reads_back_to_its_digits(digits):
    """What the shop stores, shown and typed in again, is the same number."""
    shown = format_phone(digits)
    assert normalize_phone(shown) == (digits if shown != digits else None)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_formatted_money_reads_back_as_the_same_kopecks(kopecks):
    text = money(kopecks)
    digits = text.removesuffix(f"{NBSP}₽").replace(NBSP, "").replace(",", "")
    assert int(digits) == kopecks
    assert "\n" not in text and " " not in text  # only no-break spaces: it never wraps


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_ten_digit_inn_has_exactly_one_valid_check_digit(first_nine):
    valid = [d for d in "0123456789" if inn_is_valid(first_nine + d)]
    assert len(valid) == 1
