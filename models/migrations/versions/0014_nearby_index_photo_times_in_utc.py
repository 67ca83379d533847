"""nearby tickets by a box on latitude and longitude; photo times in UTC

The ticket page lists the tickets near this one: an index on (latitude, longitude) lets the database narrow them
to a box around the point. A photo's EXIF time was stored as the camera recorded it (local time); it is now
stored in UTC like every other time, so that it can be compared with the ticket's dispatch. The times already
stored are read as Beijing time (UTC+8), which is what the new code assumes when EXIF gives no offset.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BEIJING_OFFSET = timedelta(hours=8)   # China has one time zone and no daylight saving time
photos = sa.table('photos', sa.column('id', sa.Integer), sa.column('taken_at', sa.DateTime))


def _shift_taken_at(by: timedelta) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(photos.c.id, photos.c.taken_at).where(photos.c.taken_at.is_not(None)))
    for photo_id, taken_at in rows.all():
        connection.execute(photos.update().where(photos.c.id == photo_id).values(taken_at=taken_at + by))


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_latitude_longitude', ['latitude', 'longitude'], unique=False)
    _shift_taken_at(-BEIJING_OFFSET)


def downgrade() -> None:
    _shift_taken_at(BEIJING_OFFSET)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_latitude_longitude')
