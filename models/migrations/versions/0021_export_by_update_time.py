"""tickets by update time: the exchange file's incremental selection and its order

`civicbot export --since T` reads the tickets changed since T in the order (updated_at, number): an index on the
two lets a nightly run read only what changed, already sorted, instead of every ticket.

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
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_updated_at_number', ['updated_at', 'number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_updated_at_number')
