"""reporters merged into one ticket

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 23:22:56.742582
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_reporters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_ticket_reporters_draft_id_drafts')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_ticket_reporters_resident_id_residents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_reporters_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_reporters')),
    sa.UniqueConstraint('ticket_id', 'draft_id', name=op.f('uq_ticket_reporters_ticket_id_draft_id'))
    )
    with op.batch_alter_table('ticket_reporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_reporters_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_reporters_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_reporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_reporters_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_reporters_resident_id'))

    op.drop_table('ticket_reporters')
