"""unverified notifications: size and digest of every body, an hourly budget

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:21:32.045409

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    op.create_table('unverified_window',
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('received_bytes', sa.BigInteger(), nullable=False),
    sa.Column('kept_rows', sa.Integer(), nullable=False),
    sa.Column('kept_bytes', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.Column('last_size', sa.Integer(), nullable=True),
    sa.Column('last_sha256', sa.String(length=64), nullable=True),
    sa.Column('last_reply_code', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('window_start', name=op.f('pk_unverified_window'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('body_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('body_head', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('raw_body', existing_type=sa.LargeBinary(), nullable=True)

    _measure_stored_bodies()
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('body_size', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('body_sha256', existing_type=sa.String(length=64),
                              nullable=False)


def _measure_stored_bodies():
    """Size and sha256 of the bodies already stored (every one of them was kept whole)."""
    notification = sa.table('notification', sa.column('id', sa.Integer()),
                            sa.column('raw_body', sa.LargeBinary()),
                            sa.column('body_size', sa.Integer()),
                            sa.column('body_sha256', sa.String()))
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(notification.c.id, notification.c.raw_body)
            .where(notification.c.id > last_id).order_by(notification.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, body in rows:
            body = bytes(body or b'')
            connection.execute(
                notification.update().where(notification.c.id == row_id)
                .values(body_size=len(body), body_sha256=hashlib.sha256(body).hexdigest()))
        last_id = rows[-1][0]


def downgrade():
    notification = sa.table('notification', sa.column('raw_body', sa.LargeBinary()),
                            sa.column('body_head', sa.LargeBinary()))
    # The old schema has no room for "not kept": what is left of such a body is its head.
    op.execute(notification.update().where(notification.c.raw_body.is_(None))
               .values(raw_body=sa.func.coalesce(notification.c.body_head, b'')))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('raw_body', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('body_head')
        batch_op.drop_column('body_sha256')
        batch_op.drop_column('body_size')

    op.drop_table('unverified_window')
