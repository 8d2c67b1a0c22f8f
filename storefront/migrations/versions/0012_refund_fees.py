"""refunds may keep a fee: a draft at Invoicebox finished by a correction order

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:00:00

``fee_amount`` / ``fee_vat_amount`` / ``fee_reason`` say what is kept (less than the
refund, by a CHECK); ``correction_merchant_order_id`` and ``correction_order_id`` name the
correction order that keeps it, ``correction_sent_at`` when it was last sent; a reconcile
runner finishing a draft leases it with ``lease_owner`` / ``lease_until``.
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refund') as batch:
        batch.add_column(sa.Column('fee_amount', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fee_vat_amount', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fee_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('correction_merchant_order_id', sa.String(length=100),
                                   nullable=True))
        batch.add_column(sa.Column('correction_order_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('correction_sent_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('lease_owner', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch.create_unique_constraint(op.f('uq_refund_correction_merchant_order_id'),
                                       ['correction_merchant_order_id'])
        batch.create_unique_constraint(op.f('uq_refund_correction_order_id'), ['correction_order_id'])
        batch.create_check_constraint(
            op.f('ck_refund_fee_less_than_refund'),
            'fee_amount IS NULL OR (fee_amount > 0 AND fee_amount < amount)')


def downgrade():
    with op.batch_alter_table('refund') as batch:
        batch.drop_constraint(op.f('ck_refund_fee_less_than_refund'), type_='check')
        batch.drop_constraint(op.f('uq_refund_correction_order_id'), type_='unique')
        batch.drop_constraint(op.f('uq_refund_correction_merchant_order_id'), type_='unique')
        for column in ('lease_until', 'lease_owner', 'correction_sent_at', 'correction_order_id',
                       'correction_merchant_order_id', 'fee_reason', 'fee_vat_amount',
                       'fee_amount'):
            batch.drop_column(column)
