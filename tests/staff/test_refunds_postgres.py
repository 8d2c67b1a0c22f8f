"""Two staff members refunding the same order at the same moment, on PostgreSQL.

An order has at most one pending refund (a partial unique index), and what is refundable
is read again once a refund holds that slot, before it is sent; so whichever way the two
requests interleave, Invoicebox receives exactly one refund. The other request is told
why nothing was sent: another refund held the slot, nothing was left, or what was left
changed under it; it leaves no refund behind.
"""

from __future__ import annotations

import threading

import pytest

from storefront.config import normalise_database_url
from storefront.extensions import db
from storefront.models import Refund, StaffUser
from storefront.payments import RefundError, RefundSelection, create_refund

from .live import NOWHERE, ShopOnSandbox


@pytest.mark.postgres
def test_concurrent_refunds_of_everything_make_one_refund(make_app, postgres_url, sandbox):
    shop = ShopOnSandbox(make_app(SQLALCHEMY_DATABASE_URI=normalise_database_url(postgres_url),
                                  INVOICEBOX_API_URL=sandbox.url, STOREFRONT_PUBLIC_URL=NOWHERE),
                         sandbox)
    number = shop.paid_order({"CB-ETH-250": 2, "MUG-CER-300": 1})
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def refund_everything(token: str) -> None:
        with shop.app.test_request_context(headers={"Accept-Language": "en"}):
            order, staff = shop.order(number), db.session.execute(db.select(StaffUser)).scalar_one()
            barrier.wait()
            try:
                outcomes.append(create_refund(order, RefundSelection(everything=True),
                                              "Returned", token, staff).status)
            except RefundError as error:
                outcomes.append(str(error))

    threads = [threading.Thread(target=refund_everything, args=(f"concurrent-token-{n:06d}",))
               for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert "created" in outcomes and len(outcomes) == 2
    [other] = [o for o in outcomes if o != "created"]
    assert any(reason in other for reason in (
        "still waiting for Invoicebox", "Nothing is left to refund",
        "Another refund of this order is being issued", "changed while this refund")), other
    assert len(shop.sandbox_refunds(number)) == 1
    assert all(amount == 0 for amount, _ in shop.refundable(number).values())
    with shop.app.app_context():
        statuses = db.session.execute(db.select(Refund.status)).scalars().all()
        assert statuses == ["created"]
        assert shop.order(number).status == "refunded"
