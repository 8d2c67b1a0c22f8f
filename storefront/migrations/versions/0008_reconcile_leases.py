"""payments record what last checked them, and carry a reconcile runner's lease

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:00:00

``checked_by`` says what brought the last news (notification, reconcile, staff, buyer);
``lease_owner`` and ``lease_until`` let several reconcile runners share the work without
reading a payment twice.
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment') as batch:
        batch.add_column(sa.Column('checked_by', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('lease_owner', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('payment') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('lease_owner')
        batch.drop_column('checked_by')
