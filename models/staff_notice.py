"""The outbox of messages to staff about tickets (dispatched, urged, due soon): written with the change, sent by a job
through WeChat (a bound staff member) or 企业微信 (a WeCom userid)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class StaffChannel(enum.StrEnum):
    WECHAT = "wechat"   # the official account, to the OpenID the staff member bound
    WECOM = "wecom"     # the WeCom application, to the staff member's userid


class StaffNoticeStatus(enum.StrEnum):
    PENDING = "pending"              # due to be sent (again)
    SENT = "sent"                    # as a customer-service (or WeCom application) message
    TEMPLATE_SENT = "template_sent"  # outside WeChat's 48 h window, as the configured template message
    WAITING = "waiting"              # outside the window, no template: released at the staff member's next message
    DROPPED = "dropped"              # the account was deactivated or unbound before it went out


class StaffNotice(Base):
    """One notice to one staff member through one channel about one ticket."""

    __tablename__ = "staff_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), nullable=True)   # the turn it is about
    channel: Mapped[StaffChannel] = mapped_column(enum_column(StaffChannel))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[StaffNoticeStatus] = mapped_column(enum_column(StaffNoticeStatus),
                                                      default=StaffNoticeStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
