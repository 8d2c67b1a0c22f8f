"""the event of an order canceled by staff is named order_canceled

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:30:00

Its kind was ``canceled``, which spells like a payment status; every event kind now has a
name of its own (``storefront.payments.events.EventKind``).
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE order_event SET kind = 'order_canceled' WHERE kind = 'canceled'")


def downgrade():
    op.execute("UPDATE order_event SET kind = 'canceled' WHERE kind = 'order_canceled'")
