"""company lookups: the registry cache and the lookup counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_cache',
    sa.Column('vat_number', sa.String(length=12), nullable=False),
    sa.Column('record', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('vat_number', name=op.f('pk_company_cache'))
    )
    op.create_table('lookup_counter',
    sa.Column('bucket', sa.String(length=80), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', name=op.f('pk_lookup_counter'))
    )
    with op.batch_alter_table('lookup_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_counter_window_start'), ['window_start'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_counter_window_start'))

    op.drop_table('lookup_counter')
    op.drop_table('company_cache')
