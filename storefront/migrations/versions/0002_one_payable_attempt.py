"""one payable attempt per order, one pending refund per order; when the shop last checked

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00

The partial unique indexes make the database refuse a second payable (pending or
created) Invoicebox order for one shop order, and a second refund of one order while an
earlier one still waits for Invoicebox's answer. A database that already holds such
pairs cannot take the indexes; the upgrade then stops and names the orders, which staff
settle first (sync or cancel the extra attempts).
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

PAYABLE = "status IN ('pending', 'created')"
PENDING = "status = 'pending'"


def upgrade():
    _refuse_duplicates("payment", PAYABLE)
    _refuse_duplicates("refund", PENDING)
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
        batch_op.create_index('one_payable_attempt', ['order_id'], unique=True,
                              postgresql_where=sa.text(PAYABLE), sqlite_where=sa.text(PAYABLE))
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index('one_pending_refund', ['order_id'], unique=True,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunds_checked_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('refunds_checked_at')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('one_pending_refund')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('one_payable_attempt')
        batch_op.drop_column('checked_at')


def _refuse_duplicates(table, condition):
    rows = op.get_bind().execute(sa.text(
        f'SELECT o.number FROM "{table}" t JOIN "order" o ON o.id = t.order_id '
        f"WHERE t.{condition} GROUP BY o.number HAVING count(*) > 1"
    )).scalars().all()
    if rows:
        raise RuntimeError(
            f"orders with more than one {table} where {condition}: {', '.join(rows)}; "
            "sync or cancel the extra ones, then upgrade again")
