"""Residents and their conversation: one open draft report per resident."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from models.photo import Photo


class Resident(Base):
    """A WeChat user of the account; the OpenID is only for replies, never shown to departments."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(nullable=True)  # the last message (not event)
    blocked: Mapped[bool] = mapped_column(default=False)  # by HQ: answered politely, messages kept, not acted on
    erase_requested_at: Mapped[datetime | None] = mapped_column(nullable=True)  # 删除我的数据, awaiting 确认
    # Set after "3 不满意": the resident's next words are the reason, and reopen that ticket.
    reason_for_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", use_alter=True),
                                                             nullable=True)
    # After a question that describes a problem, or an emergency: the words the bot offered to file as a report.
    # It stands for the resident's next message only ("1" / "是" takes it up; anything else lets it go).
    offered_report: Mapped[str] = mapped_column(Text, default="")
    # The ticket their last 提交 opened or joined, and when: a photo or words soon after may be added to it.
    last_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", use_alter=True), nullable=True)
    last_submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)


class DraftStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Step(enum.StrEnum):
    """Where a resident's conversation stands; the conversation's table (bot/conversation/table.py) moves it."""

    IDLE = "idle"                    # no open draft
    COLLECTING = "collecting"        # a draft is open and gathering description, place and photos
    CHOOSING = "choosing_category"   # a numbered category menu is waiting for the resident's pick
    SPLIT_OFFERED = "split_offered"  # several problems found: asked whether to file each as a ticket of its own
    SPLIT_AGREED = "split_agreed"    # the resident agreed: 提交 files one ticket per problem
    ADDING = "adding"                # soon after 提交: asked whether this photo or text belongs to that ticket


class CategorySource(enum.StrEnum):
    MODEL = "model"          # the classifier's guess
    RESIDENT = "resident"    # picked or corrected by the resident: never overwritten by the classifier


class LocationSource(enum.StrEnum):
    NONE = ""
    SHARED = "shared"        # a location message
    PHOTO = "photo"          # the GPS in a photo's EXIF, when nothing was shared


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
    step: Mapped[Step] = mapped_column(Enum(Step, native_enum=False, length=32,
                                            values_callable=lambda e: [m.value for m in e]), default=Step.COLLECTING)
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category_confidence: Mapped[float] = mapped_column(default=0.0)
    category_source: Mapped[CategorySource] = mapped_column(enum_column(CategorySource), default=CategorySource.MODEL)
    menu: Mapped[list[str]] = mapped_column(JSON, default=list)  # category codes of the last numbered menu shown
    # A photo alone, whose text proposed the category (bot/cases/photo_text.py): the description a "1" takes.
    photo_proposal: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    location_label: Mapped[str] = mapped_column(String(200), default="")
    location_source: Mapped[LocationSource] = mapped_column(enum_column(LocationSource), default=LocationSource.NONE)
    place_text: Mapped[str] = mapped_column(String(200), default="")
    town_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list[Photo]] = relationship("Photo", order_by="Photo.id")

    @property
    def has_location(self) -> bool:
        return self.latitude is not None or bool(self.place_text)


class CorrectionReview(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FOLDED = "folded"        # accepted and appended to the training corpus


class CategoryCorrection(Base):
    """A category the resident chose or corrected: reviewed ones can be folded into the training corpus."""

    __tablename__ = "category_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    predicted_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    predicted_confidence: Mapped[float] = mapped_column(default=0.0)
    chosen_code: Mapped[str] = mapped_column(String(64))
    review: Mapped[CorrectionReview] = mapped_column(enum_column(CorrectionReview), default=CorrectionReview.PENDING,
                                                     index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
