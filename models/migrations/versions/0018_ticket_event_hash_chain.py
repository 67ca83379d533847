"""ticket event hash chain, daily audit anchors

Each ticket event carries the hash of the previous event of its ticket (prev_hash) and its own hash over that and
its sealed fields (models/sealing.py), and a few hex digits of each field's own hash so that a broken seal can
say which field changed, so that the history the weekly 通报 blames by cannot be quietly rewritten;
a unique index on (ticket_id, prev_hash) keeps a chain from forking. Events already stored are sealed here, in
id order per ticket, with the same function the application uses: a database migrated to this revision verifies
at once, with no window in which old events sit unsealed. audit_anchors holds the daily hash over every
ticket's chain head.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 00:10:00
"""
from alembic import op
import sqlalchemy as sa

from models.sealing import chain_hash, event_fields, field_digests


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('number', sa.String))
photos = sa.table('photos', sa.column('id', sa.Integer), sa.column('event_id', sa.Integer))
events = sa.table(
    'ticket_events', sa.column('id', sa.Integer), sa.column('ticket_id', sa.Integer),
    sa.column('at', sa.DateTime), sa.column('actor', sa.String), sa.column('from_status', sa.String),
    sa.column('to_status', sa.String), sa.column('reason', sa.Text), sa.column('reply', sa.Text),
    sa.column('action', sa.String), sa.column('department_code', sa.String), sa.column('channel', sa.String),
    sa.column('prev_hash', sa.String), sa.column('hash', sa.String), sa.column('field_digests', sa.String))


def _seal_stored_events() -> None:
    connection = op.get_bind()
    photo_ids: dict[int, list[int]] = {}
    for event_id, photo_id in connection.execute(sa.select(photos.c.event_id, photos.c.id)
                                                 .where(photos.c.event_id.is_not(None))):
        photo_ids.setdefault(event_id, []).append(photo_id)
    rows = connection.execute(sa.select(events, tickets.c.number).join(tickets, tickets.c.id == events.c.ticket_id)
                              .order_by(events.c.ticket_id, events.c.id)).all()
    sealed, ticket_id, prev_hash = [], None, ""
    for row in rows:
        if row.ticket_id != ticket_id:
            ticket_id, prev_hash = row.ticket_id, ""
        fields = event_fields(row, row.number, photo_ids.get(row.id, []))
        digest = chain_hash(prev_hash, fields)
        sealed.append({"event_id": row.id, "prev": prev_hash, "digest": digest, "digests": field_digests(fields)})
        prev_hash = digest
    if sealed:
        connection.execute(events.update().where(events.c.id == sa.bindparam("event_id"))
                           .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest"),
                                   field_digests=sa.bindparam("digests")), sealed)


def upgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('field_digests', sa.String(length=64), nullable=True))
    _seal_stored_events()
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('uq_ticket_events_ticket_id_prev_hash', ['ticket_id', 'prev_hash'], unique=True)

    op.create_table('audit_anchors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('heads_hash', sa.String(length=64), nullable=False),
    sa.Column('changed', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_anchors_prev_hash'))
    )
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_anchors_day'), ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_anchors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_anchors_day'))
    op.drop_table('audit_anchors')
    # Dropped in place (SQLite 3.35+), not by copying the table: photos refer to the events, and SQLite's
    # foreign keys refuse to drop a table they point into.
    with op.batch_alter_table('ticket_events', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('uq_ticket_events_ticket_id_prev_hash')
        batch_op.drop_column('field_digests')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
