"""The database itself refuses a fee that is not less than its refund, on SQLite and
PostgreSQL alike (``fee_less_than_refund``), whatever the code above it does."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.models import Refund

from .helpers import make_order


@pytest.mark.parametrize("fee", [0, -1, 10000, 10001])
@pytest.mark.parametrize("database", ["app", "pg_app"])
def test_a_fee_must_be_more_than_nothing_and_less_than_its_refund(request, database, fee):
    app = request.getfixturevalue(database)
    with app.app_context():
        order = make_order()
        db.session.flush()
        refund = Refund(order_id=order.id, payment_id=order.payments[0].id,
                        merchant_order_id=f"R-{order.number}-1", amount=10000, vat_amount=0,
                        fee_amount=fee, fee_vat_amount=0, fee_reason="Fee")
        db.session.add(refund)
        with pytest.raises(IntegrityError, match="fee_less_than_refund"):
            db.session.flush()
        db.session.rollback()
        refund = Refund(order_id=order.id, payment_id=order.payments[0].id,
                        merchant_order_id=f"R-{order.number}-2", amount=10000, vat_amount=0,
                        fee_amount=9999, fee_vat_amount=0, fee_reason="Fee")
        order = make_order()
        db.session.flush()
        refund.order_id, refund.payment_id = order.id, order.payments[0].id
        db.session.add(refund)
        db.session.commit()  # the largest fee there can be
