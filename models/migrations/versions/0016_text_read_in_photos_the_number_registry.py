"""text read in photos, the number registry

The text OCR read in each photo (photo_readings), and each phone number or id printed on flyers
(flyer_numbers, with the status staff set) with the photos it was read in (number_sightings); a draft of a
photo alone keeps what its text says (drafts.photo_proposal) for the resident to confirm.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flyer_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('new', 'warned', 'stop_requested', 'stopped', name='numberstatus', native_enum=False, length=16), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('status_changed_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flyer_numbers')),
    sa.UniqueConstraint('value', name=op.f('uq_flyer_numbers_value'))
    )
    with op.batch_alter_table('flyer_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flyer_numbers_status'), ['status'], unique=False)

    op.create_table('number_sightings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number_id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('printed', sa.String(length=100), nullable=False),
    sa.Column('box', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['number_id'], ['flyer_numbers.id'], name=op.f('fk_number_sightings_number_id_flyer_numbers')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_number_sightings_photo_id_photos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_sightings'))
    )
    with op.batch_alter_table('number_sightings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_number_sightings_number_id'), ['number_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_number_sightings_photo_id'), ['photo_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_number_sightings_seen_at'), ['seen_at'], unique=False)
        batch_op.create_index('uq_number_sightings_number_photo', ['number_id', 'photo_id'], unique=True)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_proposal', sa.Text(), nullable=False, server_default=''))

    op.create_table('photo_readings',
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lines', sa.Text(), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_photo_readings_photo_id_photos')),
    sa.PrimaryKeyConstraint('photo_id', name=op.f('pk_photo_readings'))
    )


def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('photo_proposal')
    op.drop_table('photo_readings')
    with op.batch_alter_table('number_sightings', schema=None) as batch_op:
        batch_op.drop_index('uq_number_sightings_number_photo')
        batch_op.drop_index(batch_op.f('ix_number_sightings_seen_at'))
        batch_op.drop_index(batch_op.f('ix_number_sightings_photo_id'))
        batch_op.drop_index(batch_op.f('ix_number_sightings_number_id'))

    op.drop_table('number_sightings')
    with op.batch_alter_table('flyer_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flyer_numbers_status'))

    op.drop_table('flyer_numbers')
