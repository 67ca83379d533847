"""Daily anchors of the audit trail: a hash over every ticket's chain head, itself chained to the previous anchor."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditAnchor(Base):
    """Every ticket's chain head at one moment (bot/cases/audit.py).

    A ticket's chain alone cannot show that its last events were deleted; the anchor can. `changed` lists the
    heads that moved since the previous anchor as JSON [[ticket number, event id, event hash], …], so that
    verification names the ticket whose anchored event is gone; `heads_hash` covers all heads at once."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), index=True)    # the district's date, YYYY-MM-DD
    at: Mapped[datetime]
    last_event_id: Mapped[int] = mapped_column(default=0)
    tickets: Mapped[int] = mapped_column(default=0)
    events: Mapped[int] = mapped_column(default=0)
    heads_hash: Mapped[str] = mapped_column(String(64))
    changed: Mapped[str] = mapped_column(Text, default="[]")
    # Unique: two workers anchoring at once cannot both follow the same anchor; the second one's insert fails.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
