"""Photos residents send: recorded against the draft, carried onto the ticket."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Photo(Base):
    """A WeChat image message: its MediaId (fetched later by a job) and PicUrl."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), nullable=True)
    media_id: Mapped[str] = mapped_column(String(128))
    pic_url: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="recorded")  # recorded → fetched later
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft = relationship("Draft", back_populates="photos")
    ticket = relationship("Ticket", back_populates="photos")
