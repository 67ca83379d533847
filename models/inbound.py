"""The inbound message log: every delivery from WeChat, recorded once with the reply it got."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class InboundMessage(Base):
    """One message or event; (openid, dedupe_key) is unique so re-deliveries are recognised."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("openid", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(100))
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(32), default="")
    msg_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    create_time: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply: Mapped[str] = mapped_column(Text, default="")
    # Deliveries that reached the claim: the first, and re-deliveries that came before it was answered (a sign
    # of slow answers). Re-deliveries of an answered message are replayed without a write; /metrics counts them.
    deliveries: Mapped[int] = mapped_column(default=1)
    # Set when answering failed unexpectedly: the message is kept here for an operator to replay.
    error: Mapped[str] = mapped_column(Text, default="")
