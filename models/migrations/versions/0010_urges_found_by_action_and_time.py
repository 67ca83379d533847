"""urges found by action and time

The scoreboard reads every 督办 since a period began (action = 'urge', at >= start): without this index that is a
scan of the whole event log, which grows with every step of every ticket for as long as the district runs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:50:00.000000
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_action_at', ['action', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_action_at')
