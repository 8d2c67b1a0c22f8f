"""buyers' refund requests: one open request per order, lines by order line

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:00:00

A request refunds nothing by itself; staff answer it by issuing a refund (``refund_id``)
or declining it (``answer``). The partial unique index ``one_open_refund_request`` keeps
an order to one open request at a time.
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade():
    op.create_table(
        'refund_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('refund_id', sa.Integer(), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'],
                                name=op.f('fk_refund_request_order_id_order')),
        sa.ForeignKeyConstraint(['refund_id'], ['refund.id'],
                                name=op.f('fk_refund_request_refund_id_refund')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'],
                                name=op.f('fk_refund_request_staff_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_request')),
        sa.UniqueConstraint('refund_id', name=op.f('uq_refund_request_refund_id')),
    )
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_request_order_id'), ['order_id'],
                              unique=False)
        batch_op.create_index('ix_refund_request_status_created_at', ['status', 'created_at'],
                              unique=False)
        batch_op.create_index('one_open_refund_request', ['order_id'], unique=True,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))

    op.create_table(
        'refund_request_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0',
                           name=op.f('ck_refund_request_line_quantity_positive')),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'],
                                name=op.f('fk_refund_request_line_order_line_id_order_line')),
        sa.ForeignKeyConstraint(['request_id'], ['refund_request.id'],
                                name=op.f('fk_refund_request_line_request_id_refund_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_request_line')),
        sa.UniqueConstraint('request_id', 'order_line_id',
                            name=op.f('uq_refund_request_line_request_id')),
    )
    with op.batch_alter_table('refund_request_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_request_line_request_id'), ['request_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('refund_request_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_request_line_request_id'))
    op.drop_table('refund_request_line')
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_index('one_open_refund_request')
        batch_op.drop_index('ix_refund_request_status_created_at')
        batch_op.drop_index(batch_op.f('ix_refund_request_order_id'))
    op.drop_table('refund_request')
