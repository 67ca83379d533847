"""case holds extensions co-handling assignment priority

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:30:27.387012
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('co_handlers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_co_handlers_department_code_departments')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_co_handlers_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_co_handlers')),
    sa.UniqueConstraint('ticket_id', 'department_code', name=op.f('uq_co_handlers_ticket_id_department_code'))
    )
    with op.batch_alter_table('co_handlers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_co_handlers_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_co_handlers_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('assignee_staff_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('deadline_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end', sa.Enum('resolved', 'returned', 'reassigned', 'withdrawn', name='holdend', native_enum=False, length=16), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('return_accepted', sa.Boolean(), nullable=True),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_staff_id'], ['staff_accounts.id'], name=op.f('fk_holds_assignee_staff_id_staff_accounts')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_holds_department_code_departments')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_holds_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('extension_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('extension', 'long_term', name='extensionkind', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_deadline_at', sa.DateTime(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('asked_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_extension_requests_hold_id_holds')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_extension_requests_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_requests'))
    )
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_requests_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extension_requests_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replies', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_staff_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Enum('normal', 'urgent', name='priority', native_enum=False, length=16), nullable=False,
                                      server_default='normal'))
        batch_op.add_column(sa.Column('urged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('extension_asked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('long_term', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_tickets_assignee_staff_id'), ['assignee_staff_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_assignee_staff_id_staff_accounts'), 'staff_accounts', ['assignee_staff_id'], ['id'])

    # A ticket a department holds today gets its turn, from its dispatch (or creation) to now, with today's deadline.
    op.execute("""
        INSERT INTO holds (ticket_id, department_code, started_at, deadline_at, ended_at, "end", return_reason,
                           reopened)
        SELECT t.id, t.lead_department_code,
               COALESCE((SELECT MAX(e.at) FROM ticket_events e WHERE e.ticket_id = t.id
                         AND e.action IN ('dispatch', 'auto_dispatch', 'reopen')), t.created_at),
               t.deadline_at,
               CASE WHEN t.status IN ('resolved', 'verified', 'closed') THEN COALESCE(t.resolved_at, t.updated_at) END,
               CASE WHEN t.status IN ('resolved', 'verified', 'closed') THEN 'resolved' END,
               '', false
        FROM tickets t
        WHERE t.status IN ('dispatched', 'in_progress', 'reopened', 'resolved', 'verified', 'closed')
    """)


def downgrade() -> None:
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('replies')

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('reply')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_assignee_staff_id_staff_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_staff_id'))
        batch_op.drop_column('long_term')
        batch_op.drop_column('extension_asked_at')
        batch_op.drop_column('urged_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('assignee_staff_id')

    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_requests_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_extension_requests_hold_id'))

    op.drop_table('extension_requests')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_holds_started_at'))
        batch_op.drop_index(batch_op.f('ix_holds_department_code'))

    op.drop_table('holds')
    with op.batch_alter_table('co_handlers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_co_handlers_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_co_handlers_department_code'))

    op.drop_table('co_handlers')
