"""Basket arithmetic (CONTRACT §3.3/§3.4), the consistency rules (§3.2) and money helpers."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.invoicebox import (
    VAT_RATES,
    Basket,
    BasketError,
    BasketItem,
    CreateOrderRequest,
    Customer,
    RefundableItem,
    compute_line,
    decimal_to_kopecks,
    kopecks_to_decimal,
    money_to_json,
    normalize_vat_code,
    quantize_money,
    validate_basket,
)

from .support import fixture_json

D = Decimal


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def oracle_vat_kopecks(total_kopecks: int, rate: int) -> int:
    """VAT in kopecks, half up, with exact fractions: independent of the Decimal code."""
    return half_up(Fraction(total_kopecks * rate, 100 + rate))


def oracle_wo_vat_kopecks(price_kopecks: int, rate: int) -> int:
    return half_up(Fraction(price_kopecks * 100, 100 + rate))


# CONTRACT §3.3, "Worked examples" (amount, qty, vatCode, totalAmount, totalVatAmount,
# amountWoVat), exactly as printed there.
WORKED_EXAMPLES = [
    ("123.96", 3, "RUS_VAT20", "371.88", "61.98", "103.30"),
    ("122.00", 1, "RUS_VAT22", "122.00", "22.00", "100.00"),
    ("110", 1, "RUS_VAT10", "110", "10", "100"),
    ("2790.67", 1, "VATNONE", "2790.67", "0", "2790.67"),
    ("1000.00", 2, "RUS_VAT22", "2000.00", "360.66", "819.67"),
    ("99.99", 7, "RUS_VAT20", "699.93", "116.66", "83.33"),
]


@pytest.mark.parametrize(("amount", "qty", "code", "total", "vat", "wo_vat"), WORKED_EXAMPLES)
def test_worked_examples_of_the_contract(amount, qty, code, total, vat, wo_vat):
    line = compute_line(D(amount), qty, code)
    assert line.total_amount == D(total)
    assert line.total_vat_amount == D(vat)
    assert line.amount_wo_vat == D(wo_vat)
    # Always two places on the way out, whatever the input looked like.
    assert line.total_vat_amount.as_tuple().exponent == -2


def test_worked_examples_as_one_order():
    basket = Basket()
    for index, (amount, qty, code, *_rest) in enumerate(WORKED_EXAMPLES):
        basket.add(
            sku=f"sku-{index}",
            name=f"Товар {index}",
            unit_price=amount,
            quantity=qty,
            vat_code=code,
        )
    expected_amount = sum(D(row[3]) for row in WORKED_EXAMPLES)
    expected_vat = sum(D(row[4]) for row in WORKED_EXAMPLES)
    assert (basket.amount, basket.vat_amount) == (expected_amount, expected_vat)
    assert basket.validate() == (D("6094.48"), D("571.30"))


def test_the_docs_create_order_example_is_reproduced_exactly():
    docs = fixture_json("docs-create-order-request.json")
    line = docs["basketItems"][0]
    basket = Basket(measure="шт.")
    basket.add(
        sku=line["sku"],
        name=line["name"],
        unit_price=D("123.96"),
        quantity=3,
        vat_code="RUS_VAT20",
        type="service",
        gross_weight=D(0),
        net_weight=D(0),
    )
    request = CreateOrderRequest(
        merchant_id=docs["merchantId"],
        merchant_order_id=docs["merchantOrderId"],
        description=docs["description"],
        basket_items=basket,
        expiration_date=datetime(2020, 12, 22, tzinfo=UTC),
        customer=Customer(
            type="private",
            name="Peter",
            phone="79001112233",
            email="peter@domain.com",
            vat_number="",
            registration_address="",
        ),
        language_id="ru",
        success_url=docs["successUrl"],
        fail_url=docs["failUrl"],
        return_url=docs["returnUrl"],
        meta_data=docs["metaData"],
    )
    payload = request.to_payload()
    assert payload == docs
    assert (payload["amount"], payload["vatAmount"]) == (371.88, 61.98)
    assert '"amountWoVat": 103.3' in json.dumps(payload)


@pytest.mark.parametrize("code", sorted(VAT_RATES))
def test_every_vat_code_against_an_independent_oracle(code):
    rate = int(VAT_RATES[code])
    line = compute_line(D("1234.57"), 3, code)
    assert decimal_to_kopecks(line.total_amount) == 370371
    assert decimal_to_kopecks(line.total_vat_amount) == oracle_vat_kopecks(370371, rate)
    assert decimal_to_kopecks(line.amount_wo_vat) == oracle_wo_vat_kopecks(123457, rate)


@pytest.mark.parametrize(
    ("code", "rate"),
    [
        ("VATNONE", 0),
        ("RUS_VAT0", 0),
        ("RUS_VAT5", 5),
        ("RUS_VAT7", 7),
        ("RUS_VAT10", 10),
        ("RUS_VAT20", 20),
        ("RUS_VAT22", 22),
        ("RUS_VAT5_ADDED", 5),
        ("RUS_VAT7_ADDED", 7),
        ("RUS_VAT10_ADDED", 10),
        ("RUS_VAT20_ADDED", 20),
        ("RUS_VAT22_ADDED", 22),
    ],
)
def test_vat_rates_table(code, rate):
    assert VAT_RATES[code] == rate


def test_added_codes_use_the_same_arithmetic_as_included_ones():
    assert compute_line(D("122.00"), 1, "RUS_VAT22_ADDED") == compute_line(
        D("122.00"), 1, "RUS_VAT22"
    )


def test_none_is_an_alias_sent_as_vatnone():
    basket = Basket()
    item = basket.add(sku="a", name="Книга", unit_price="500", vat_code="NONE")
    assert item.vat_code == "VATNONE"
    assert item.to_payload()["vatCode"] == "VATNONE"
    assert normalize_vat_code("NONE") == "VATNONE"


def test_fractional_quantity_with_a_whole_kopeck_total():
    line = compute_line(D("100.00"), D("1.5"), "RUS_VAT20")
    assert (line.total_amount, line.total_vat_amount) == (D("150.00"), D("25.00"))
    item = Basket().add(
        sku="w", name="Сыр, кг", unit_price="100.00", quantity=D("1.5"), vat_code="RUS_VAT20"
    )
    assert item.to_payload()["quantity"] == 1.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_price": "10.00", "quantity": 1, "vat_code": "RUS_VAT18"}, "unknown VAT code"),
        ({"unit_price": "10.00", "quantity": 0, "vat_code": "VATNONE"}, "positive"),
        ({"unit_price": "10.00", "quantity": -2, "vat_code": "VATNONE"}, "positive"),
        ({"unit_price": "10.005", "quantity": 1, "vat_code": "VATNONE"}, "two decimal"),
        ({"unit_price": "-1.00", "quantity": 1, "vat_code": "VATNONE"}, "negative"),
        ({"unit_price": 10.5, "quantity": 1, "vat_code": "VATNONE"}, "float"),
        ({"unit_price": "abc", "quantity": 1, "vat_code": "VATNONE"}, "not a number"),
        ({"unit_price": "33.33", "quantity": D("0.333"), "vat_code": "VATNONE"}, "kopecks"),
        (
            {"unit_price": "10.00", "quantity": 1, "vat_code": "VATNONE", "type": "gift"},
            "unknown type",
        ),
        (
            {"unit_price": "10.00", "quantity": 1, "vat_code": "VATNONE", "payment_type": "credit"},
            "paymentType",
        ),
    ],
    ids=[
        "unknown-vat",
        "zero-qty",
        "negative-qty",
        "three-decimals",
        "negative-price",
        "float-price",
        "not-a-number",
        "sub-kopeck-total",
        "bad-type",
        "bad-payment-type",
    ],
)
def test_builder_refuses_bad_lines(kwargs, message):
    basket = Basket()
    with pytest.raises(BasketError, match=message):
        basket.add(sku="a", name="Товар", **kwargs)
    assert len(basket) == 0


def test_builder_refuses_a_duplicate_sku():
    basket = Basket()
    basket.add(sku="a", name="Товар", unit_price="1.00", vat_code="VATNONE")
    with pytest.raises(BasketError, match="duplicate sku") as caught:
        basket.add(sku="a", name="Другой", unit_price="2.00", vat_code="VATNONE")
    assert caught.value.field == "basketItems[1].sku"
    assert len(basket) == 1


def good_line(**changes):
    line = BasketItem(
        sku="tea",
        name="Чай",
        quantity=D(7),
        amount=D("99.99"),
        amount_wo_vat=D("83.33"),
        total_amount=D("699.93"),
        total_vat_amount=D("116.66"),
        vat_code="RUS_VAT20",
    )
    return dataclasses.replace(line, **changes)


def test_a_correct_hand_built_line_passes():
    assert validate_basket([good_line()]) == (D("699.93"), D("116.66"))


@pytest.mark.parametrize(
    ("items", "amount", "vat_amount", "code", "field"),
    [
        ([], None, None, "validation", "basketItems"),
        (
            [good_line(total_amount=D("699.94"))],
            None,
            None,
            "wrong_basket_item_total_amount",
            "basketItems[0].totalAmount",
        ),
        (
            [good_line(total_vat_amount=D("116.80"))],
            None,
            None,
            "wrong_basket_item_total_vat_amount",
            "basketItems[0].totalVatAmount",
        ),
        (
            [good_line(amount_wo_vat=D("83.35"))],
            None,
            None,
            "wrong_basket_item_amount_wo_vat",
            "basketItems[0].amountWoVat",
        ),
        ([good_line()], D("699.92"), None, "wrong_total_amount", "amount"),
        ([good_line()], None, D("116.65"), "wrong_total_vat_amount", "vatAmount"),
        (
            [good_line(vat_code="VATNONE", amount_wo_vat=D("99.99"))],
            None,
            None,
            "wrong_basket_item_total_vat_amount",
            "basketItems[0].totalVatAmount",
        ),
        (
            [good_line(vat_code="VATNONE", total_vat_amount=D(0))],
            None,
            None,
            "wrong_basket_item_amount_wo_vat",
            "basketItems[0].amountWoVat",
        ),
        ([good_line(), good_line(name="Ещё чай")], None, None, "validation", "basketItems[1].sku"),
        ([good_line(vat_code="RUS_VAT18")], None, None, "validation", "basketItems[0].vatCode"),
        ([good_line(quantity=D(0))], None, None, "validation", "basketItems[0].quantity"),
        ([good_line(quantity=None)], None, None, "validation", "basketItems[0].quantity"),
        ([good_line(total_amount=None)], None, None, "validation", "basketItems[0].totalAmount"),
        ([good_line(amount=D("99.999"))], None, None, "validation", "basketItems[0].amount"),
        ([good_line(sku="")], None, None, "validation", "basketItems[0].sku"),
        ([good_line(measure_code="")], None, None, "validation", "basketItems[0].measure"),
    ],
    ids=[
        "empty",
        "R1-total",
        "R2-vat",
        "R3-wo-vat",
        "R4-amount",
        "R5-vat-amount",
        "R2-vatnone-with-vat",
        "R3-vatnone-wo-vat",
        "duplicate-sku",
        "unknown-vat-code",
        "zero-quantity",
        "missing-quantity",
        "missing-total",
        "three-decimals",
        "no-sku",
        "no-measure-code",
    ],
)
def test_inconsistent_baskets_are_refused_with_the_gateway_code(
    items, amount, vat_amount, code, field
):
    with pytest.raises(BasketError) as caught:
        validate_basket(items, amount, vat_amount)
    assert caught.value.code == code
    assert caught.value.field == field
    assert [f.name for f in caught.value.fields] == [field]


def test_r6_an_order_worth_nothing_is_refused():
    free = BasketItem(
        sku="gift",
        name="Подарок",
        quantity=D(1),
        amount=D("0.00"),
        amount_wo_vat=D("0.00"),
        total_amount=D("0.00"),
        total_vat_amount=D("0.00"),
        vat_code="VATNONE",
    )
    with pytest.raises(BasketError, match="must be positive"):
        validate_basket([free])


def test_vat_rounded_per_unit_is_within_the_documented_tolerance():
    # 1C-Bitrix computes VAT per unit and multiplies: 16.67 x 7 = 116.69 (exact 116.655).
    assert validate_basket([good_line(total_vat_amount=D("116.69"))])[1] == D("116.69")


def test_round_policy_changes_rule_r1():
    line = good_line(
        quantity=D("0.333"),
        amount=D("33.33"),
        amount_wo_vat=D("27.78"),
        total_amount=D("11.10"),
        total_vat_amount=D("1.85"),
    )
    with pytest.raises(BasketError, match="roundPolicy strict"):
        validate_basket([line])
    assert validate_basket([line], round_policy="halfUp")[0] == D("11.10")
    assert validate_basket([line], round_policy="none")[0] == D("11.10")
    with pytest.raises(BasketError):
        validate_basket([line], round_policy="floor")  # 11.09889 floors to 11.09


# -- lines by money total (refunds of a part of a line) --------------------------------


def refundable(**changes):
    rows = fixture_json("contract-refund-basket-item-response.json")["data"]
    return dataclasses.replace(RefundableItem.from_dict(rows[0]), **changes)


def test_a_money_part_of_a_line_is_one_unit_at_the_line_rate():
    basket = Basket()
    item = basket.add_part_of(refundable(), D("500.00"))
    assert (item.quantity, item.amount, item.total_amount) == (1, D("500.00"), D("500.00"))
    assert item.total_vat_amount == D("90.16")  # 500 x 22/122 = 90.1639
    assert item.amount_wo_vat == D("409.84")
    assert (item.sku, item.vat_code, item.name) == ("tea-1", "RUS_VAT22", "Чай улун, 100 г")
    assert basket.validate() == (D("500.00"), D("90.16"))


def test_the_final_remainder_takes_the_gateway_vat():
    item = Basket().add_remainder_of(refundable(available_vat_amount=D("180.32")))
    assert (item.total_amount, item.total_vat_amount) == (D("1000.01"), D("180.32"))


def test_a_part_above_what_is_refundable_is_refused():
    with pytest.raises(BasketError, match="exceeds") as caught:
        Basket().add_part_of(refundable(), D("1000.02"))
    assert caught.value.code == "wrong_total_amount"


def test_nothing_left_to_refund_is_refused():
    with pytest.raises(BasketError, match="nothing left"):
        Basket().add_remainder_of(refundable(available_amount=D(0)))


def test_an_explicit_vat_far_from_the_rate_is_refused():
    with pytest.raises(BasketError) as caught:
        Basket().add_total(
            sku="x", name="Часть", total="500.00", vat_code="RUS_VAT22", vat_amount="95.00"
        )
    assert caught.value.code == "wrong_basket_item_total_vat_amount"


def test_whole_units_of_an_existing_line():
    item = Basket().add_units_of(refundable(), 1)
    assert (item.quantity, item.total_amount, item.total_vat_amount) == (
        1,
        D("1000.00"),
        D("180.33"),
    )
    with pytest.raises(BasketError, match="exceeds"):
        Basket().add_units_of(refundable(), 2)  # 2000.00 > 1000.01 still refundable


# -- money helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kopecks", "amount"),
    [(0, "0.00"), (1, "0.01"), (12345, "123.45"), (-250, "-2.50"), (37188, "371.88")],
)
def test_kopecks_conversion(kopecks, amount):
    assert kopecks_to_decimal(kopecks) == D(amount)
    assert str(kopecks_to_decimal(kopecks)) == amount
    assert decimal_to_kopecks(D(amount)) == kopecks


@pytest.mark.parametrize("bad", [D("1.005"), "0.001"])
def test_fractions_of_a_kopeck_are_not_rounded_silently(bad):
    with pytest.raises(ValueError, match="whole number of kopecks"):
        decimal_to_kopecks(bad)


@pytest.mark.parametrize("bad", [1.5, True])
def test_kopecks_helpers_refuse_floats_and_bools(bad):
    with pytest.raises(TypeError):
        decimal_to_kopecks(bad)
    with pytest.raises(TypeError):
        kopecks_to_decimal(bad)


def test_quantize_rounds_half_up():
    assert quantize_money("2.345") == D("2.35")
    assert quantize_money("-2.345") == D("-2.35")


def test_money_goes_out_as_a_json_number_with_two_decimals():
    assert json.dumps({"amount": money_to_json(D("371.88"))}) == '{"amount": 371.88}'
    assert json.dumps({"amount": money_to_json(D("103.30"))}) == '{"amount": 103.3}'
    with pytest.raises(ValueError):
        money_to_json(D("1.001"))


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_kopecks_round_trip(kopecks):
    assert decimal_to_kopecks(kopecks_to_decimal(kopecks)) == kopecks


@given(
    price=st.integers(min_value=1, max_value=10_000_000),
    quantity=st.integers(min_value=1, max_value=50),
    code=st.sampled_from(sorted(VAT_RATES)),
)
def test_every_built_line_matches_the_oracle_and_passes_the_rules(price, quantity, code):
    rate = int(VAT_RATES[code])
    line = Basket().add(
        sku="p",
        name="Товар",
        unit_price=kopecks_to_decimal(price),
        quantity=quantity,
        vat_code=code,
    )
    assert decimal_to_kopecks(line.total_amount) == price * quantity
    assert decimal_to_kopecks(line.total_vat_amount) == oracle_vat_kopecks(price * quantity, rate)
    assert decimal_to_kopecks(line.amount_wo_vat) == oracle_wo_vat_kopecks(price, rate)
    validate_basket([line])
    assert money_to_json(line.total_amount) == price * quantity / 100
