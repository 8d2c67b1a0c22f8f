"""indexes for the staff list's pages and search

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00.000000

The orders list pages by (created_at, id) newest first, with or without a status: two
indexes in that order replace the single-column ones on created_at and status. Partial
matches of the search (a part of an order number or an e-mail) go through trigram
indexes, which exist on PostgreSQL only (the pg_trgm extension); on SQLite, a shop small
enough for it scans its orders, and this part does nothing.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TRIGRAM_COLUMNS = ('number', 'customer_email')


def upgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_created_at')
        batch_op.drop_index('ix_order_status')
        batch_op.create_index('ix_order_created_at_id',
                              [sa.text('created_at DESC'), sa.text('id DESC')], unique=False)
        batch_op.create_index('ix_order_status_created_at_id',
                              ['status', sa.text('created_at DESC'), sa.text('id DESC')],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in TRIGRAM_COLUMNS:
            op.create_index(f'ix_order_{column}_trgm', 'order',
                            [sa.text(f'lower({column}) gin_trgm_ops')],
                            postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for column in TRIGRAM_COLUMNS:
            op.drop_index(f'ix_order_{column}_trgm', table_name='order')
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_status_created_at_id')
        batch_op.drop_index('ix_order_created_at_id')
        batch_op.create_index('ix_order_status', ['status'], unique=False)
        batch_op.create_index('ix_order_created_at', ['created_at'], unique=False)
