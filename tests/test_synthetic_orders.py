"""The benchmarks' bulk loader (``scripts/synthetic_orders.py``) writes rows the shop's
schema accepts and the shop reads: `make bench-scale` and `make bench` depend on it, and a
migration that adds a required column must not leave it behind."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

from storefront.extensions import db
from storefront.models import Notification, Order

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import synthetic_orders  # noqa: E402

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("mix", synthetic_orders.MIXES)
def test_the_loader_fills_the_current_schema(pg_app, postgres_url, mix):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        with synthetic_orders.indexes_rebuilt(conn):  # as both benchmarks load
            ids = synthetic_orders.load_orders(conn, 300, mix=mix, merchant_id="merchant-1")
        bodies = synthetic_orders.notification_bodies(conn, ids, "merchant-1")
    assert len(ids) == 300
    with pg_app.app_context():
        assert db.session.execute(db.select(db.func.count(Order.id))).scalar_one() == 300
        notifications = db.session.execute(db.select(Notification)).scalars().all()
        for row in notifications:  # what the staff timeline reads of each
            assert row.body_size == len(row.raw_body) and len(row.body_sha256) == 64
        if mix == "unpaid":
            assert notifications == [] and len(bodies) == 300
        else:
            assert notifications, "a realistic mix has paid orders and their notifications"
