"""The outbox of messages to residents about their tickets: written with the change, delivered by a job."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, exists
from sqlalchemy.orm import Mapped, column_property, mapped_column

from models.base import Base, utcnow
from models.resident import Resident


class Notification(Base):
    """status: pending → sent; or template_sent (outside WeChat's 48 h window, template configured);
    or waiting (outside the window, no template: delivered at the resident's next message)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


# Loaded with the resident: each message from a resident with notices waiting for WeChat's 48-hour window
# releases them, and checking with an UPDATE of its own cost every other message a statement.
Resident.has_waiting_notices = column_property(
    exists().where(Notification.resident_id == Resident.id, Notification.status == "waiting"))
