"""shipments of paid orders, their lines, and the shipped count of each order line

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:00:00

``order_line.shipped_quantity`` counts the units in shipments that count; the CHECK
``order_line_shipped_within_quantity`` keeps it within the line's quantity, so no unit is
shipped twice. ``one_sending_shipment`` lets one shipment of an order await its answer at a
time.
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SENDING = "status = 'sending'"


def upgrade():
    with op.batch_alter_table('order_line') as batch:
        batch.add_column(sa.Column('shipped_quantity', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.create_check_constraint(
            'order_line_shipped_within_quantity',
            'shipped_quantity >= 0 AND shipped_quantity <= quantity')

    op.create_table(
        'shipment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('invoicebox_shipment_id', sa.String(length=36), nullable=True),
        sa.Column('form_token', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('document_number', sa.String(length=36), nullable=False),
        sa.Column('document_date', sa.Date(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('vat_amount', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('request_id', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('completed_at', sa.DateTime(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.Column('lease_owner', sa.String(length=80), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['order.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('form_token'),
        sa.UniqueConstraint('invoicebox_shipment_id'),
    )
    op.create_index('ix_shipment_order_id', 'shipment', ['order_id'])
    op.create_index('one_sending_shipment', 'shipment', ['order_id'], unique=True,
                    postgresql_where=sa.text(SENDING), sqlite_where=sa.text(SENDING))

    op.create_table(
        'shipment_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=500), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('vat', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id']),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shipment_line_shipment_id', 'shipment_line', ['shipment_id'])


def downgrade():
    op.drop_index('ix_shipment_line_shipment_id', table_name='shipment_line')
    op.drop_table('shipment_line')
    op.drop_index('one_sending_shipment', table_name='shipment')
    op.drop_index('ix_shipment_order_id', table_name='shipment')
    op.drop_table('shipment')
    with op.batch_alter_table('order_line') as batch:
        batch.drop_constraint('order_line_shipped_within_quantity', type_='check')
        batch.drop_column('shipped_quantity')
