"""staff in wechat

A staff account can be bound to a WeChat OpenID with a one-time code (kept hashed, with the failed tries per
OpenID), can hold a 办结 waiting for its after-photo, and has an optional WeCom userid; staff notices have an outbox
of their own; each ticket event records the channel it came through ("wechat" for a staff command by chat).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 18:39:49
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_bind_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_bind_attempts'))
    )
    with op.batch_alter_table('staff_bind_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_bind_attempts_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_bind_attempts_openid'), ['openid'], unique=False)

    op.create_table('staff_bind_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_staff_bind_codes_staff_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_bind_codes'))
    )
    with op.batch_alter_table('staff_bind_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_bind_codes_code_sha256'), ['code_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_bind_codes_staff_id'), ['staff_id'], unique=False)

    op.create_table('staff_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('wechat', 'wecom', name='staffchannel', native_enum=False, length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'template_sent', 'waiting', 'dropped', name='staffnoticestatus', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_staff_notices_hold_id_holds')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_staff_notices_staff_id_staff_accounts')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_staff_notices_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notices'))
    )
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notices_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('wechat_bound_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('wecom_userid', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('resolving_ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolving_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('resolving_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolving_photo_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_staff_accounts_wechat_openid'), ['wechat_openid'])
        batch_op.create_foreign_key(batch_op.f('fk_staff_accounts_resolving_photo_id_photos'), 'photos', ['resolving_photo_id'], ['id'], use_alter=True)
        batch_op.create_foreign_key(batch_op.f('fk_staff_accounts_resolving_ticket_id_tickets'), 'tickets', ['resolving_ticket_id'], ['id'], use_alter=True)

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_accounts_resolving_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_staff_accounts_resolving_photo_id_photos'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_staff_accounts_wechat_openid'), type_='unique')
        batch_op.drop_column('resolving_photo_id')
        batch_op.drop_column('resolving_since')
        batch_op.drop_column('resolving_note')
        batch_op.drop_column('resolving_ticket_id')
        batch_op.drop_column('wecom_userid')
        batch_op.drop_column('wechat_bound_at')
        batch_op.drop_column('wechat_openid')

    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notices_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_staff_notices_status'))
        batch_op.drop_index(batch_op.f('ix_staff_notices_staff_id'))
        batch_op.drop_index(batch_op.f('ix_staff_notices_next_attempt_at'))

    op.drop_table('staff_notices')
    with op.batch_alter_table('staff_bind_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_bind_codes_staff_id'))
        batch_op.drop_index(batch_op.f('ix_staff_bind_codes_code_sha256'))

    op.drop_table('staff_bind_codes')
    with op.batch_alter_table('staff_bind_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_bind_attempts_openid'))
        batch_op.drop_index(batch_op.f('ix_staff_bind_attempts_at'))

    op.drop_table('staff_bind_attempts')
