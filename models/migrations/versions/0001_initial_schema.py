"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 22:13:36.284539
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('wecom_webhook', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code'))
    )
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('msg_id', sa.BigInteger(), nullable=True),
    sa.Column('create_time', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('openid', 'dedupe_key', name=op.f('uq_inbound_messages_openid_dedupe_key'))
    )
    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents')),
    sa.UniqueConstraint('openid', name=op.f('uq_residents_openid'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('ticket_counters',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_ticket_counters'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_api_tokens_department_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_api_tokens_token_sha256'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('lead_department_code', sa.String(length=64), nullable=False),
    sa.Column('deadline', sa.String(length=16), nullable=False),
    sa.Column('national_code', sa.String(length=8), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('hints', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['lead_department_code'], ['departments.code'], name=op.f('fk_categories_lead_department_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'submitted', 'cancelled', 'expired', name='draftstatus', native_enum=False, length=16), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=True),
    sa.Column('category_confidence', sa.Double(), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('location_label', sa.String(length=200), nullable=False),
    sa.Column('location_source', sa.String(length=16), nullable=False),
    sa.Column('place_text', sa.String(length=200), nullable=False),
    sa.Column('town_code', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_drafts_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts'))
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drafts_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('uq_drafts_one_open', ['resident_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('towns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('short_names', sa.JSON(), nullable=False),
    sa.Column('office_code', sa.String(length=64), nullable=False),
    sa.Column('boundary', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['office_code'], ['departments.code'], name=op.f('fk_towns_office_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_towns')),
    sa.UniqueConstraint('code', name=op.f('uq_towns_code'))
    )
    op.create_table('gazetteer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('town_code', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['town_code'], ['towns.code'], name=op.f('fk_gazetteer_town_code_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gazetteer')),
    sa.UniqueConstraint('name', name=op.f('uq_gazetteer_name'))
    )
    op.create_table('routing_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_code', sa.String(length=64), nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_routing_overrides_category_code_categories')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_routing_overrides_department_code_departments')),
    sa.ForeignKeyConstraint(['town_code'], ['towns.code'], name=op.f('fk_routing_overrides_town_code_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_overrides')),
    sa.UniqueConstraint('town_code', 'category_code', name=op.f('uq_routing_overrides_town_code_category_code'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.Column('category_confidence', sa.Double(), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('location_label', sa.String(length=200), nullable=False),
    sa.Column('place_text', sa.String(length=200), nullable=False),
    sa.Column('town_code', sa.String(length=64), nullable=True),
    sa.Column('lead_department_code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('received', 'registered', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'rejected', 'returned', 'merged', 'reopened', name='ticketstatus', native_enum=False, length=16), nullable=False),
    sa.Column('needs_triage', sa.Boolean(), nullable=False),
    sa.Column('route_reason', sa.Text(), nullable=False),
    sa.Column('deadline_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_tickets_category_code_categories')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_tickets_draft_id_drafts')),
    sa.ForeignKeyConstraint(['lead_department_code'], ['departments.code'], name=op.f('fk_tickets_lead_department_code_departments')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_tickets_resident_id_residents')),
    sa.ForeignKeyConstraint(['town_code'], ['towns.code'], name=op.f('fk_tickets_town_code_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_lead_department_code'), ['lead_department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_needs_triage'), ['needs_triage'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_town_code'), ['town_code'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('pic_url', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_photos_draft_id_drafts')),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_messages.id'], name=op.f('fk_photos_inbound_message_id_inbound_messages')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_photos_resident_id_residents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_photos_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('from_status', sa.Enum('received', 'registered', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'rejected', 'returned', 'merged', 'reopened', name='ticketstatus', native_enum=False, length=16), nullable=True),
    sa.Column('to_status', sa.Enum('received', 'registered', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'rejected', 'returned', 'merged', 'reopened', name='ticketstatus', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))

    op.drop_table('ticket_events')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_photos_resident_id'))
        batch_op.drop_index(batch_op.f('ix_photos_draft_id'))

    op.drop_table('photos')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_town_code'))
        batch_op.drop_index(batch_op.f('ix_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_tickets_resident_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_needs_triage'))
        batch_op.drop_index(batch_op.f('ix_tickets_lead_department_code'))
        batch_op.drop_index(batch_op.f('ix_tickets_created_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_category_code'))

    op.drop_table('tickets')
    op.drop_table('routing_overrides')
    op.drop_table('gazetteer')
    op.drop_table('towns')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index('uq_drafts_one_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_drafts_resident_id'))

    op.drop_table('drafts')
    op.drop_table('categories')
    op.drop_table('api_tokens')
    op.drop_table('ticket_counters')
    op.drop_table('settings')
    op.drop_table('residents')
    op.drop_table('inbound_messages')
    op.drop_table('departments')
