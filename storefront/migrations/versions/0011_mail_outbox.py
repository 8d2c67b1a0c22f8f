"""mail outbox: messages queued with the change they tell about, sent by the runner

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00

One row per message, unique by ``dedupe_key`` (kind and the order, refund or request it
is about), so a message is queued once however often its change is applied. The partial
index ``outbox_message_due`` keeps the runner's search to the undelivered rows.
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

UNDELIVERED = "sent_at IS NULL AND failed_at IS NULL"


def upgrade():
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('lease_owner', sa.String(length=80), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('failed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['order.id'],
                                name=op.f('fk_outbox_message_order_id_order')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key')),
    )
    op.create_index(op.f('ix_outbox_message_order_id'), 'outbox_message', ['order_id'])
    op.create_index('outbox_message_due', 'outbox_message', ['next_attempt_at'],
                    postgresql_where=sa.text(UNDELIVERED), sqlite_where=sa.text(UNDELIVERED))


def downgrade():
    op.drop_index('outbox_message_due', table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_order_id'), table_name='outbox_message')
    op.drop_table('outbox_message')
