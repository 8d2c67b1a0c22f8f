"""Turning the refund screen's choices into refund lines (no HTTP, no database).

The refundable lines come from the contract's ``refund-basket-item`` example: two teas
at 1 000 ₽ of which 1 000,01 ₽ is still refundable (so one unit plus a kopeck), and a
delivery line refunded already.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.invoicebox import RefundableItem
from storefront.payments.refund_plan import (
    LineChoice,
    RefundError,
    RefundSelection,
    plan_refund,
    positions_from,
)

from .fake_gateway import refundable_body

ORDER_SKUS = {"tea-1", "delivery"}


@pytest.fixture
def positions():
    return positions_from([RefundableItem.from_dict(row) for row in refundable_body()["data"]])


def _lines(plan) -> list[tuple]:
    return [(i.sku, i.quantity, i.amount, i.total_amount, i.total_vat_amount) for i in plan.items]


def test_positions_in_kopecks_with_whole_units_and_the_odd_part(positions):
    tea, delivery = positions
    assert (tea.unit_price, tea.total, tea.available, tea.available_vat) == \
        (100000, 200000, 100001, 18033)
    assert (tea.units, tea.odd_part, tea.refunded) == (1, 1, 99999)
    assert (delivery.units, delivery.odd_part, delivery.refunded) == (0, 0, 30000)
    assert tea.vat_percent == 22


def test_units_are_refunded_at_the_unit_price_with_vat_at_the_rate(positions):
    plan = plan_refund(positions, RefundSelection((LineChoice("tea-1", 1),)), ORDER_SKUS)
    assert _lines(plan) == [("tea-1", 1, Decimal("1000.00"), Decimal("1000.00"),
                             Decimal("180.33"))]
    assert (plan.amount, plan.vat_amount) == (100000, 18033)
    assert plan.lines == [{"sku": "tea-1", "name": "Чай улун, 100 г", "quantity": 1,
                           "unit_price": 100000, "total": 100000, "vat": 18033}]


def test_down_to_zero_sends_exactly_what_is_available(positions):
    plan = plan_refund(positions, RefundSelection((LineChoice("tea-1", 1, remainder=True),)),
                       ORDER_SKUS)
    assert _lines(plan) == [("tea-1", 1, Decimal("1000.01"), Decimal("1000.01"),
                             Decimal("180.33"))]


def test_the_part_under_one_unit_is_a_money_line(positions):
    plan = plan_refund(positions, RefundSelection((LineChoice("tea-1", 0, remainder=True),)),
                       ORDER_SKUS)
    assert _lines(plan) == [("tea-1", 1, Decimal("0.01"), Decimal("0.01"), Decimal("0.00"))]


def test_everything_takes_each_line_that_has_something_left(positions):
    plan = plan_refund(positions, RefundSelection(everything=True), ORDER_SKUS)
    assert _lines(plan) == [("tea-1", 1, Decimal("1000.01"), Decimal("1000.01"),
                             Decimal("180.33"))]
    assert plan.amount == 100001


def test_a_whole_untouched_line_goes_back_as_the_units_bought():
    untouched = positions_from([RefundableItem.from_dict(row)
                                for row in refundable_body(untouched=True)["data"]])
    plan = plan_refund(untouched, RefundSelection(everything=True), ORDER_SKUS)
    assert _lines(plan) == [
        ("tea-1", 2, Decimal("1000.00"), Decimal("2000.00"), Decimal("360.66")),
        ("delivery", 1, Decimal("300.00"), Decimal("300.00"), Decimal("54.10")),
    ]


@pytest.mark.parametrize(("choices", "message"), [
    ((LineChoice("tea-1", 2),), "only 1 unit(s) can still be refunded, not 2"),
    ((LineChoice("delivery", 1),), "only 0 unit(s) can still be refunded, not 1"),
    ((LineChoice("delivery", 0, remainder=True),), "no part under one unit left"),
    ((LineChoice("tea-1", -1),), "cannot be negative"),
    ((LineChoice("coffee-9", 1),), "Position coffee-9 is not part of this order"),
    ((LineChoice("tea-1", 1), LineChoice("tea-1", 1)), "listed twice"),
    ((), "Choose at least one position"),
    ((LineChoice("tea-1", 0), LineChoice("delivery", 0)), "Choose at least one position"),
])
def test_selections_that_cannot_be_refunded(positions, choices, message):
    with pytest.raises(RefundError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_refund(positions, RefundSelection(choices), ORDER_SKUS)


def test_a_line_invoicebox_lists_but_the_order_does_not_is_refused(positions):
    with pytest.raises(RefundError, match="Position tea-1 is not part of this order"):
        plan_refund(positions, RefundSelection((LineChoice("tea-1", 1),)), {"delivery"})


def test_everything_with_nothing_left(positions):
    spent = [p for p in positions if p.sku == "delivery"]
    with pytest.raises(RefundError, match="Nothing is left to refund"):
        plan_refund(spent, RefundSelection(everything=True), ORDER_SKUS)
