"""languages and consent: English product names, the order's language, 152-FZ consent

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('description_en', sa.Text(), server_default='',
                                      nullable=False))
    # Until now the description was the English one: keep it as such. The seed command
    # fills in the Russian descriptions and English names of the catalog's products.
    op.execute("UPDATE product SET description_en = description")

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='ru',
                                      nullable=False))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('language')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('description_en')
        batch_op.drop_column('name_en')
