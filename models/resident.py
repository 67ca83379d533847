"""Residents and their conversation: one open draft report per resident."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Resident(Base):
    """A WeChat user of the account; the OpenID is only for replies, never shown to departments."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(nullable=True)  # to the minute (bot/conversation.py)
    blocked: Mapped[bool] = mapped_column(default=False)  # by HQ: answered politely, messages kept, not acted on
    erase_requested_at: Mapped[datetime | None] = mapped_column(nullable=True)  # 删除我的数据, awaiting 确认
    # Set after "3 不满意": the resident's next words are the reason, and reopen that ticket.
    reason_for_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", use_alter=True),
                                                             nullable=True)


class DraftStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Draft(Base):
    """A report being put together in the chat, kept in the database so it survives restarts."""

    __tablename__ = "drafts"
    __table_args__ = (
        # At most one open draft per resident; the index is the race-free check.
        Index("uq_drafts_one_open", "resident_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[DraftStatus] = mapped_column(
        Enum(DraftStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=DraftStatus.OPEN)
    step: Mapped[str] = mapped_column(String(32), default="collecting")
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category_confidence: Mapped[float] = mapped_column(default=0.0)
    category_source: Mapped[str] = mapped_column(String(16), default="model")  # model | resident
    menu: Mapped[list] = mapped_column(JSON, default=list)  # category codes of the last numbered menu shown
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    location_label: Mapped[str] = mapped_column(String(200), default="")
    location_source: Mapped[str] = mapped_column(String(16), default="")  # shared | text
    place_text: Mapped[str] = mapped_column(String(200), default="")
    town_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos = relationship("Photo", back_populates="draft", order_by="Photo.id")

    @property
    def has_location(self) -> bool:
        return self.latitude is not None or bool(self.place_text)

    def count_photos(self) -> int:
        """How many photos the draft holds: the count loaded with the draft (models/photo.py), unless the photos
        themselves are loaded, as after adding one, and so newer."""
        unloaded = inspect(self).unloaded
        if "photos" in unloaded and "photo_count" not in unloaded:
            return self.photo_count
        return len(self.photos)


class CategoryCorrection(Base):
    """A category the resident chose or corrected: reviewed ones can be folded into the training corpus."""

    __tablename__ = "category_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    predicted_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    predicted_confidence: Mapped[float] = mapped_column(default=0.0)
    chosen_code: Mapped[str] = mapped_column(String(64))
    review: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | accepted | rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
