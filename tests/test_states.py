"""The shop's status vocabulary: the named sets read off the transition tables, the one
mapping from the gateway's statuses, and no gateway status spelled out anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storefront.states import (
    ORDER_CANCELABLE,
    ORDER_HELD,
    ORDER_OPEN,
    ORDER_PAID,
    ORDER_PAYABLE,
    ORDER_REFUNDABLE,
    ORDER_REVERSIBLE,
    ORDER_SHIPPABLE,
    PAYMENT_HELD,
    PAYMENT_PAYABLE,
    REFUND_FINAL,
    REFUND_OPEN,
    REFUND_PAID_OUT,
    REFUND_TAKES_AMOUNT,
    SHIPMENT_COUNTED,
    SHIPMENT_OPEN,
    InvalidTransition,
    OrderStatus,
    PaymentStatus,
    RefundRequestStatus,
    RefundStatus,
    ShipmentStatus,
    payment_status_for,
    refund_status_for,
    shipment_status_for,
    transition,
)

STOREFRONT = Path(__file__).resolve().parents[1] / "storefront"
GATEWAY_STATUSES = ("created", "pending", "completed", "canceled", "cancelled", "expired", "hold",
                    "draft")


def test_the_named_sets():
    order, payment, refund = OrderStatus, PaymentStatus, RefundStatus
    assert PAYMENT_PAYABLE == {payment.PENDING, payment.CREATED}
    assert ORDER_PAYABLE == {order.NEW, order.AWAITING_PAYMENT}
    assert ORDER_OPEN == {order.NEW, order.AWAITING_PAYMENT, order.EXPIRED}
    # Undeliverable (shipment control): the money was taken, and it goes back by refund.
    assert ORDER_PAID == {order.PAID, order.AWAITING_SHIPMENT, order.PARTIALLY_REFUNDED,
                          order.REFUNDED, order.UNDELIVERABLE}
    assert ORDER_CANCELABLE == {order.NEW, order.AWAITING_PAYMENT, order.EXPIRED}
    assert ORDER_REFUNDABLE == {order.PAID, order.PARTIALLY_REFUNDED, order.UNDELIVERABLE}
    assert REFUND_FINAL == {refund.COMPLETED, refund.CANCELED, refund.REJECTED}
    assert REFUND_OPEN == {refund.PENDING, refund.DRAFT, refund.CREATED}
    assert REFUND_PAID_OUT == {refund.CREATED, refund.COMPLETED}
    # What a buyer may still ask for subtracts these refunds' lines.
    assert REFUND_TAKES_AMOUNT == {refund.PENDING, refund.DRAFT, refund.CREATED,
                                   refund.COMPLETED}

    assert PAYMENT_HELD == {payment.HOLD} and ORDER_HELD == {order.AWAITING_SHIPMENT}
    assert ORDER_REVERSIBLE == {order.AWAITING_SHIPMENT}
    assert ORDER_SHIPPABLE == {order.PAID, order.PARTIALLY_REFUNDED, order.AWAITING_SHIPMENT}
    shipment = ShipmentStatus
    assert SHIPMENT_OPEN == {shipment.SENDING, shipment.DRAFT, shipment.PROCESSING}
    assert SHIPMENT_COUNTED == SHIPMENT_OPEN | {shipment.COMPLETED}


def test_a_refund_request_is_answered_once_and_reopens_only_from_issued():
    from types import SimpleNamespace

    request = SimpleNamespace(status=RefundRequestStatus.OPEN.value)
    assert transition(request, RefundRequestStatus.ISSUED)
    assert transition(request, RefundRequestStatus.OPEN)  # its refund was never made
    assert transition(request, RefundRequestStatus.DECLINED)
    with pytest.raises(InvalidTransition):
        transition(request, RefundRequestStatus.OPEN)
    with pytest.raises(InvalidTransition):
        transition(request, RefundRequestStatus.ISSUED)


@pytest.mark.parametrize(("gateway", "shop"), [
    ("created", PaymentStatus.CREATED), ("completed", PaymentStatus.COMPLETED),
    ("success", PaymentStatus.COMPLETED), ("canceled", PaymentStatus.CANCELED),
    ("cancelled", PaymentStatus.CANCELED), ("expired", PaymentStatus.EXPIRED),
    ("hold", PaymentStatus.HOLD), ("draft", None), ("paid", None), (None, None),
])
def test_a_gateway_order_status_in_the_shops_words(gateway, shop):
    assert payment_status_for(gateway) is shop


@pytest.mark.parametrize(("gateway", "shop"), [
    ("draft", ShipmentStatus.DRAFT), ("pending", ShipmentStatus.PROCESSING),
    ("completed", ShipmentStatus.COMPLETED), ("canceled", ShipmentStatus.CANCELED),
    (None, ShipmentStatus.DRAFT), ("shipped", None),
])
def test_a_gateway_shipment_status_in_the_shops_words(gateway, shop):
    assert shipment_status_for(gateway) is shop


@pytest.mark.parametrize(("gateway", "shop"), [
    ("created", RefundStatus.CREATED), ("completed", RefundStatus.COMPLETED),
    ("canceled", RefundStatus.CANCELED), ("cancelled", RefundStatus.CANCELED),
    ("draft", RefundStatus.DRAFT), ("rejected", None), (None, None),
])
def test_a_gateway_refund_status_in_the_shops_words(gateway, shop):
    assert refund_status_for(gateway) is shop


def test_no_gateway_status_is_spelled_out_outside_the_client_and_states():
    """A new ``"completed"`` in a service module would be a second vocabulary. Even the
    words people read for a status live in states.py, beside the status."""
    pattern = re.compile("[\"']({})[\"']".format("|".join(GATEWAY_STATUSES)))
    found = [
        f"{path.relative_to(STOREFRONT.parent)}:{number}: {line.strip()}"
        for path in sorted(STOREFRONT.rglob("*.py"))
        if path.parent.name != "versions" and "invoicebox" not in path.parts
        and path.name != "states.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []



def test_a_refused_guarantee_has_its_own_status_and_ends_canceled():
    from storefront.states import (
        ORDER_TRANSITIONS,
        ORDER_UNDELIVERABLE,
        UNDELIVERABLE_AFTER,
        can_transition,
    )

    order = OrderStatus
    assert can_transition(order.AWAITING_SHIPMENT, order.HOLD_UNDELIVERABLE)
    assert ORDER_TRANSITIONS[order.HOLD_UNDELIVERABLE] == {order.CANCELED}
    for source, target in UNDELIVERABLE_AFTER.items():
        assert can_transition(source, target)
    assert ORDER_UNDELIVERABLE == {order.UNDELIVERABLE, order.HOLD_UNDELIVERABLE}
    # Neither paid nor refundable (the money was only reserved), nor cancelable by staff or
    # buyer, nor shippable: only the runner's DELETE ends it.
    for named in (ORDER_PAID, ORDER_REFUNDABLE, ORDER_CANCELABLE, ORDER_REVERSIBLE,
                  ORDER_SHIPPABLE, ORDER_HELD, ORDER_OPEN, ORDER_PAYABLE):
        assert order.HOLD_UNDELIVERABLE not in named
    assert order.CANCELED not in ORDER_PAID
