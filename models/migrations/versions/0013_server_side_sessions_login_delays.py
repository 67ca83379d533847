"""server-side sessions, login delays instead of a lockout

Portal sessions and login delays live in shared_state (or Redis); a staff account's session_generation ends every
session begun before a password change. The hard lockout (failed_logins, locked_until) is gone: it let anyone lock
a user out.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shared_state',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_shared_state'))
    )
    with op.batch_alter_table('shared_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_state_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('session_generation')

    with op.batch_alter_table('shared_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_state_expires_at'))

    op.drop_table('shared_state')
