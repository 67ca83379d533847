"""account events sealed into one hash chain

Staff account events (created, deactivated, password reset, role, TOTP, login delays, API tokens) get the same
seal as ticket events (models/sealing.py): prev_hash, hash and per-field digests, one chain over the table, a
unique prev_hash so it cannot fork. Stored events are sealed here in id order with the application's function.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 03:00:00
"""
from alembic import op
import sqlalchemy as sa

from models.sealing import account_event_fields, chain_hash, field_digests


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

events = sa.table(
    'account_events', sa.column('id', sa.Integer), sa.column('at', sa.DateTime), sa.column('actor', sa.String),
    sa.column('target', sa.String), sa.column('department_code', sa.String), sa.column('action', sa.String),
    sa.column('detail', sa.Text), sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
    sa.column('field_digests', sa.String))


def _seal_stored_events() -> None:
    connection = op.get_bind()
    sealed, prev_hash = [], ""
    for row in connection.execute(sa.select(events).order_by(events.c.id)):
        fields = account_event_fields(row)
        digest = chain_hash(prev_hash, fields)
        sealed.append({"event_id": row.id, "prev": prev_hash, "digest": digest, "digests": field_digests(fields)})
        prev_hash = digest
    if sealed:
        connection.execute(events.update().where(events.c.id == sa.bindparam("event_id"))
                           .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest"),
                                   field_digests=sa.bindparam("digests")), sealed)


def upgrade() -> None:
    with op.batch_alter_table('account_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('field_digests', sa.String(length=64), nullable=True))
    _seal_stored_events()
    with op.batch_alter_table('account_events', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_account_events_prev_hash'), ['prev_hash'])


def downgrade() -> None:
    with op.batch_alter_table('account_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_account_events_prev_hash'), type_='unique')
        batch_op.drop_column('field_digests')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
