"""blocking, erasure requests, held tickets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 23:19:06.503140
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('erase_requested_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=False, server_default=sa.false()))

def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('held')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('erase_requested_at')
        batch_op.drop_column('blocked')

