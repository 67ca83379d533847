"""photo processing and the shared access token

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:38:46.175818
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wechat_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=600), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_wechat_tokens'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('display_key', sa.String(length=200), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('thumbnail_key', sa.String(length=200), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('source_format', sa.String(length=16), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('gps_latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('gps_longitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('taken_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_photos_phash'), ['phash'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_status'), ['status'], unique=False)
        batch_op.create_index('uq_photos_resident_media', ['resident_id', 'media_id'], unique=True)

def downgrade() -> None:
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index('uq_photos_resident_media')
        batch_op.drop_index(batch_op.f('ix_photos_status'))
        batch_op.drop_index(batch_op.f('ix_photos_phash'))
        batch_op.drop_column('processed_at')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('gps_longitude')
        batch_op.drop_column('gps_latitude')
        batch_op.drop_column('phash')
        batch_op.drop_column('source_format')
        batch_op.drop_column('height')
        batch_op.drop_column('width')
        batch_op.drop_column('thumbnail_key')
        batch_op.drop_column('display_key')
        batch_op.drop_column('attempts')
        batch_op.drop_column('note')

    op.drop_table('wechat_tokens')
