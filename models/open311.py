"""Open311 clients (their API keys, hashed) and the service requests they submitted: which ticket, which token."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Open311Client(Base):
    """A program that files reports through /open311/v2 (a FixMyStreet, an app): its key, and the reporter row that
    stands for it on its tickets. Only the key's SHA-256 is stored; the key is shown once, when it is created."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The residents row the client's reports are filed under: limits, duplicates and HQ's block work on it as on a
    # resident's, while no notice is ever written for it (bot/cases/notices.py).
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), unique=True)
    reports_per_hour: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written back at most once a minute, so a busy client does not write on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Open311Request(Base):
    """One POST requests a client made: the ticket it opened or joined, and the token it was answered with when the
    ticket waited for HQ's review."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_clients.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    token: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))      # bot.cases.reports.Outcome's value
    contact: Mapped[str] = mapped_column(Text, default="")   # the requester's name, e-mail and phone, for staff only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
