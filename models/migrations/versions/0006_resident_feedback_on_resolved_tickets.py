"""resident feedback on resolved tickets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:16:17.248233
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_for_ticket_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_residents_reason_for_ticket_id_tickets'), 'tickets', ['reason_for_ticket_id'], ['id'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rating_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rated_at', sa.DateTime(), nullable=True))

def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('rated_at')
        batch_op.drop_column('rating_reason')
        batch_op.drop_column('rating')
        batch_op.drop_column('feedback_requested_at')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_residents_reason_for_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_column('reason_for_ticket_id')

