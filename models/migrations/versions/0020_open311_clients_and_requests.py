"""open311 clients and requests

Clients of the Open311 GeoReport v2 server (/open311/v2): a name, the SHA-256 of the API key issued to it, the
residents row that stands for it as the reporter of its tickets, its own limit of reports per hour, when it was
created, last used and revoked. open311_requests records each report a client filed: the ticket it opened or
joined, the outcome, the requester's contact details (for staff only), and the token answered when the ticket
waited for HQ's review.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_sha256', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('reports_per_hour', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_open311_clients_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_clients')),
    sa.UniqueConstraint('key_sha256', name=op.f('uq_open311_clients_key_sha256')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_open311_clients_resident_id'))
    )
    op.create_table('open311_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['open311_clients.id'], name=op.f('fk_open311_requests_client_id_open311_clients')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_open311_requests_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_requests_token'))
    )
    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_requests_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open311_requests_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_requests_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_open311_requests_client_id'))
    op.drop_table('open311_requests')
    op.drop_table('open311_clients')
