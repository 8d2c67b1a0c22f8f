"""stock and delivery: product stock, the catalog version, the order's delivery and shortage, reversals

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stock', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_product_stock_not_negative'), 'stock >= 0')

    op.create_table(
        'catalog_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # The one row every change of what the catalog shows counts up.
    op.execute("INSERT INTO catalog_version (id, version) VALUES (1, 0)")

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_method', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('delivery_address', sa.String(length=1000),
                                      nullable=True))
        batch_op.add_column(sa.Column('short_of_stock', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))

    op.create_table(
        'reversal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('refund_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'],
                                name=op.f('fk_reversal_order_id_order')),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'],
                                name=op.f('fk_reversal_payment_id_payment')),
        sa.ForeignKeyConstraint(['refund_id'], ['refund.id'],
                                name=op.f('fk_reversal_refund_id_refund')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reversal')),
        sa.UniqueConstraint('order_id', name=op.f('uq_reversal_order_id')),
    )


def downgrade():
    op.drop_table('reversal')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('short_of_stock')
        batch_op.drop_column('delivery_address')
        batch_op.drop_column('delivery_method')

    op.drop_table('catalog_version')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_stock_not_negative'), type_='check')
        batch_op.drop_column('stock')
