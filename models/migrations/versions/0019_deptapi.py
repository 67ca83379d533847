"""the departments' API pages tickets by (updated_at, id)

An index in that order, so that each page of GET /api/v1/tickets is a short range scan however many tickets there
are.

Revision ID: 0019_deptapi
Revises: 0018
Create Date: 2026-12-06 03:00:00
"""
from alembic import op


revision = '0019_deptapi'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tickets_updated_at_id', 'tickets', ['updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_tickets_updated_at_id', table_name='tickets')
