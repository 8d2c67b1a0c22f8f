"""Basket arithmetic checks R1–R6 of CONTRACT §3.2, in exact Decimal arithmetic.

R1 line total under the round policy, R2 line VAT and R3 unit price without VAT within a
tolerance (real integrations round VAT differently, so to-the-kopeck equality would reject
working shops), R3 also in the reading of Invoicebox's own MCP server, R4/R5 order totals
exact, R6 sanity (VAT not above the amount). ``strict_arithmetic`` narrows the tolerances to
half a kopeck and keeps only the docs' reading of R3. The first failing rule's code is
reported, with a ``fields[]`` entry for every line or total that breaks that rule.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ..encoding import to_decimal
from ..errors import ApiError, field, validation

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")

# Union of the documented codes, the MCP server's codes and Bitrix's NONE alias (§3.4).
VAT_RATES: dict[str, int] = {
    "VATNONE": 0, "NONE": 0, "RUS_VAT0": 0,
    "RUS_VAT5": 5, "RUS_VAT7": 7, "RUS_VAT10": 10, "RUS_VAT20": 20, "RUS_VAT22": 22,
    "RUS_VAT5_ADDED": 5, "RUS_VAT7_ADDED": 7, "RUS_VAT10_ADDED": 10,
    "RUS_VAT20_ADDED": 20, "RUS_VAT22_ADDED": 22,
}
ROUNDING = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "halfUp": ROUND_HALF_UP,
            "halfDown": ROUND_HALF_DOWN}
MESSAGES = {
    "wrong_basket_item_total_amount": "Basket item total amount calculation error",
    "wrong_basket_item_total_vat_amount": "Basket item total VAT amount calculation error",
    "wrong_basket_item_amount_wo_vat": "Basket item amount without VAT calculation error",
    "wrong_total_amount": "Calculation Error",
    "wrong_total_vat_amount": "Total VAT amount calculation error",
}


def total_matches(amount: Decimal, quantity: Decimal, total: Decimal, policy: str) -> bool:
    """R1: does ``total`` equal ``amount × quantity`` under ``policy`` (rounded to kopecks)?"""
    product = amount * quantity
    if policy == "strict":
        return product == total
    if policy == "none":
        return product <= total < product + CENT
    return product.quantize(CENT, rounding=ROUNDING[policy]) == total


def line_problems(item: dict[str, Any], path: str, policy: str,
                  strict: bool) -> list[tuple[str, dict[str, str]]]:
    """R1–R3 for one validated basket line; ``path`` is e.g. ``basketItems[0]``."""
    amount = to_decimal(item["amount"])
    quantity = to_decimal(item["quantity"])
    total = to_decimal(item["totalAmount"])
    total_vat = to_decimal(item["totalVatAmount"])
    wo_vat = to_decimal(item["amountWoVat"])
    rate = Decimal(VAT_RATES[item["vatCode"]])
    found = []
    if not total_matches(amount, quantity, total, policy):
        found.append(("wrong_basket_item_total_amount", field(
            f"{path}.totalAmount", f"expected {amount} × {quantity} ({policy} rounding)")))
    if rate == 0:
        vat_ok, expected_vat = total_vat == 0, Decimal(0)
    else:
        expected_vat = total * rate / (100 + rate)
        vat_tolerance = HALF_CENT if strict else CENT * max(Decimal(1), quantity)
        vat_ok = abs(total_vat - expected_vat) <= vat_tolerance
    # R3 has two readings. The docs': the unit price's share without VAT. Invoicebox's MCP
    # server's: the line's total without VAT per unit, (totalAmount − totalVatAmount) ÷
    # quantity, which for fractional quantities lands over a kopeck away (100.00 × 0.25 at
    # 20 %: 83.32 against 83.333…). Both are accepted unless strict_arithmetic is on.
    expected_wo_vat = amount * 100 / (100 + rate)
    derived_wo_vat = (total - total_vat) / quantity
    if rate == 0:
        wo_vat_ok = wo_vat == amount
    else:
        wo_vat_ok = abs(wo_vat - expected_wo_vat) <= (HALF_CENT if strict else CENT)
    if not strict:
        wo_vat_ok = wo_vat_ok or abs(wo_vat - derived_wo_vat) <= CENT
    if not vat_ok:
        found.append(("wrong_basket_item_total_vat_amount", field(
            f"{path}.totalVatAmount",
            f"expected {expected_vat.quantize(CENT, ROUND_HALF_UP)} for {item['vatCode']}")))
    if not wo_vat_ok:
        expected = f"{expected_wo_vat.quantize(CENT, ROUND_HALF_UP)} for {item['vatCode']}"
        if not strict:
            expected += (f" (or {derived_wo_vat.quantize(CENT, ROUND_HALF_UP)},"
                         " the line's total without VAT per unit)")
        found.append(("wrong_basket_item_amount_wo_vat", field(
            f"{path}.amountWoVat", f"expected {expected}")))
    return found


def problems(doc: dict[str, Any], policy: str, strict: bool) -> list[tuple[str, dict[str, str]]]:
    """R1–R5 for a validated order-like body (order, refund); R4/R5 only if it has totals."""
    found = []
    items = doc["basketItems"]
    for index, item in enumerate(items):
        found += line_problems(item, f"basketItems[{index}]", policy, strict)
    if "amount" in doc:
        expected = sum((to_decimal(i["totalAmount"]) for i in items), Decimal(0))
        if to_decimal(doc["amount"]) != expected:
            found.append(("wrong_total_amount",
                          field("amount", f"expected the sum of totalAmount: {expected}")))
    if "vatAmount" in doc:
        expected = sum((to_decimal(i["totalVatAmount"]) for i in items), Decimal(0))
        if to_decimal(doc["vatAmount"]) != expected:
            found.append(("wrong_total_vat_amount",
                          field("vatAmount", f"expected the sum of totalVatAmount: {expected}")))
    return found


def check(doc: dict[str, Any], policy: str, strict: bool) -> None:
    """Raise the 422 of the first broken rule (R6 first: it is a plain validation error)."""
    if "amount" in doc and to_decimal(doc["amount"]) <= 0:
        raise validation([field("amount", "must be greater than 0")])
    if "amount" in doc and to_decimal(doc["vatAmount"]) > to_decimal(doc["amount"]):
        raise validation([field("vatAmount", "must not exceed amount")])
    bad_quantity = [field(f"basketItems[{i}].quantity", "must be greater than 0")
                    for i, item in enumerate(doc["basketItems"])
                    if to_decimal(item["quantity"]) <= 0]
    if bad_quantity:
        raise validation(bad_quantity)
    found = problems(doc, policy, strict)
    if found:
        code = found[0][0]
        raise ApiError(422, code, MESSAGES[code], [f for c, f in found if c == code])
