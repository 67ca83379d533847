"""every reporter's rating, late additions

Each resident attached to a ticket answers "是否已解决？" for themselves (ticket_ratings); a resident's last 提交
is remembered so a photo or words sent soon after can be added to that ticket.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('asked_again_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_ticket_ratings_resident_id_residents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_ratings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_ratings')),
    sa.UniqueConstraint('ticket_id', 'resident_id', 'asked_at', name=op.f('uq_ticket_ratings_ticket_id_resident_id_asked_at'))
    )
    with op.batch_alter_table('ticket_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_ratings_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_ratings_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_submitted_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_residents_last_ticket_id_tickets'), 'tickets', ['last_ticket_id'], ['id'])

    # The first reporters' answers so far become their rows. A resolution still waiting for answers has no verdict
    # yet: the ticket's rating is set again when the answers decide it (a 3 whose reason is owed waits in its row).
    op.execute("""
        INSERT INTO ticket_ratings (ticket_id, resident_id, asked_at, rating, reason, rated_at)
        SELECT id, resident_id, COALESCE(feedback_requested_at, rated_at, updated_at), rating, rating_reason, rated_at
        FROM tickets WHERE rating IS NOT NULL AND resident_id IS NOT NULL
    """)
    op.execute("""
        UPDATE tickets SET rating = NULL, rated_at = NULL
        WHERE status = 'resolved' AND feedback_requested_at IS NOT NULL AND rating IS NOT NULL
    """)


def downgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_residents_last_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_column('last_submitted_at')
        batch_op.drop_column('last_ticket_id')

    with op.batch_alter_table('ticket_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_ratings_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_ratings_resident_id'))

    op.drop_table('ticket_ratings')
