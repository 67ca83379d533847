"""Photos residents send: recorded against the draft at once, fetched and cleaned by a job, carried onto the ticket."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class PhotoStatus(enum.StrEnum):
    RECORDED = "recorded"   # the MediaId is known; the job has not stored it yet
    STORED = "stored"       # cleaned copies are in storage
    FAILED = "failed"       # could not be fetched or was refused (see note)
    COPYING = "copying"     # a copy for another ticket of the same report, waiting for its original to be stored


class PhotoKind(enum.StrEnum):
    REPORT = "report"       # sent by a resident
    AFTER = "after"         # the department's after-photo
    ON_SITE = "on_site"     # HQ's photo from its on-site check (核查); never sent to residents


class Photo(Base):
    """A WeChat image: MediaId and PicUrl at first; after the job, stored display and thumbnail copies.

    status: recorded → stored, or failed (with note) when the image could not be fetched or was refused.
    """

    __tablename__ = "photos"
    __table_args__ = (
        # The same MediaId from the same resident is one photo, however often it arrives.
        Index("uq_photos_resident_media", "resident_id", "media_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    kind: Mapped[PhotoKind] = mapped_column(enum_column(PhotoKind), default=PhotoKind.REPORT)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"), nullable=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), nullable=True)
    media_id: Mapped[str] = mapped_column(String(128))
    pic_url: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[PhotoStatus] = mapped_column(enum_column(PhotoStatus), default=PhotoStatus.RECORDED, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    display_key: Mapped[str] = mapped_column(String(200), default="")
    thumbnail_key: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    source_format: Mapped[str] = mapped_column(String(16), default="")
    phash: Mapped[str] = mapped_column(String(16), default="", index=True)
    gps_latitude: Mapped[float | None] = mapped_column(nullable=True)   # GCJ-02, converted from the EXIF WGS-84
    gps_longitude: Mapped[float | None] = mapped_column(nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(nullable=True)   # UTC, from EXIF (Beijing time without offset)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)

