"""category menu and corrections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:25:13.237721
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('category_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('predicted_code', sa.String(length=64), nullable=True),
    sa.Column('predicted_confidence', sa.Double(), nullable=False),
    sa.Column('chosen_code', sa.String(length=64), nullable=False),
    sa.Column('review', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_category_corrections_draft_id_drafts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_corrections'))
    )
    with op.batch_alter_table('category_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_corrections_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_category_corrections_review'), ['review'], unique=False)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_source', sa.String(length=16), nullable=False,
                                      server_default='model'))
        batch_op.add_column(sa.Column('menu', sa.JSON(), nullable=False, server_default='[]'))

def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('menu')
        batch_op.drop_column('category_source')

    with op.batch_alter_table('category_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_corrections_review'))
        batch_op.drop_index(batch_op.f('ix_category_corrections_draft_id'))

    op.drop_table('category_corrections')
