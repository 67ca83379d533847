"""tickets indexed by (updated_at, id): what changed since a time, in order

The departments' API pages GET /api/v1/tickets in this order, and `civicbot export` reads the tickets changed
since its last run through it, so each is a short range scan however many tickets there are.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 03:00:00
"""
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tickets_updated_at_id', 'tickets', ['updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_tickets_updated_at_id', table_name='tickets')
