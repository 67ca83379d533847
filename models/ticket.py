"""Tickets, their audit trail of events, and the per-day ticket number counter."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow

if TYPE_CHECKING:
    from models.notification import Notification
    from models.photo import Photo


class TicketStatus(enum.StrEnum):
    RECEIVED = "received"          # 受理
    REGISTERED = "registered"      # 立案
    DISPATCHED = "dispatched"      # 派遣
    IN_PROGRESS = "in_progress"    # 处置
    RESOLVED = "resolved"          # 处置完成
    VERIFIED = "verified"          # 核查
    CLOSED = "closed"              # 结案
    REJECTED = "rejected"          # 不予受理
    RETURNED = "returned"          # 退回
    MERGED = "merged"              # 重复
    REOPENED = "reopened"          # 重开


class Priority(enum.StrEnum):
    NORMAL = "normal"              # 一般
    URGENT = "urgent"              # 紧急


class HoldEnd(enum.StrEnum):
    """How a department's hold on a ticket ended."""

    RESOLVED = "resolved"          # it finished the work (处置完成)
    RETURNED = "returned"          # it gave the ticket back to HQ (回退)
    REASSIGNED = "reassigned"      # HQ moved the ticket to another department, or re-dispatched it
    WITHDRAWN = "withdrawn"        # HQ merged or rejected the ticket while the department held it


class ExtensionKind(enum.StrEnum):
    EXTENSION = "extension"        # 延期: more time, a new date
    LONG_TERM = "long_term"        # 挂账: cannot be done soon (needs a budget or another authority)


class Ticket(Base):
    """A submitted report, routed to a lead department and a town office, with a deadline."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_latitude_longitude", "latitude", "longitude"),   # nearby: a box first
        # The departments' API pages in this order; the exchange file reads what changed since a time through it.
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    category_confidence: Mapped[float] = mapped_column(default=0.0)
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    location_label: Mapped[str] = mapped_column(String(200), default="")
    place_text: Mapped[str] = mapped_column(String(200), default="")
    town_code: Mapped[str | None] = mapped_column(ForeignKey("towns.code"), nullable=True, index=True)
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), index=True)
    needs_triage: Mapped[bool] = mapped_column(default=False, index=True)
    held: Mapped[bool] = mapped_column(default=False)  # looked like spam or abuse: HQ reviews before routing
    route_reason: Mapped[str] = mapped_column(Text, default="")
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    warned_at: Mapped[datetime | None] = mapped_column(nullable=True)      # due-soon warning given
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)   # overdue, flagged to HQ
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reopen_count: Mapped[int] = mapped_column(default=0)
    feedback_requested_at: Mapped[datetime | None] = mapped_column(nullable=True)  # asked "是否已解决？"
    rating: Mapped[int | None] = mapped_column(nullable=True)   # 1 满意, 2 基本满意, 3 不满意
    rating_reason: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    assignee_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), nullable=True, index=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    urged_at: Mapped[datetime | None] = mapped_column(nullable=True)          # HQ's 督办 not yet answered
    extension_asked_at: Mapped[datetime | None] = mapped_column(nullable=True)  # awaiting HQ: the clock is paused
    long_term: Mapped[bool] = mapped_column(default=False)                    # 挂账 granted

    events: Mapped[list[TicketEvent]] = relationship("TicketEvent", back_populates="ticket", order_by="TicketEvent.id")
    photos: Mapped[list[Photo]] = relationship("Photo", order_by="Photo.id",
                                               foreign_keys="Photo.ticket_id")
    notifications: Mapped[list[Notification]] = relationship("Notification", order_by="Notification.id")
    reporters: Mapped[list[TicketReporter]] = relationship("TicketReporter", order_by="TicketReporter.id")
    holds: Mapped[list[Hold]] = relationship("Hold", order_by="Hold.id")
    co_handlers: Mapped[list[CoHandler]] = relationship("CoHandler", order_by="CoHandler.id")
    extension_requests: Mapped[list[ExtensionRequest]] = relationship("ExtensionRequest",
                                                                      order_by="ExtensionRequest.id")


class TicketEvent(Base):
    """One step of a ticket's history: who moved it from which state to which, and why."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_action_at", "action", "at"),   # the 督办 since a day (scores)
        # Two events claiming the same predecessor would fork the ticket's hash chain: the second is refused.
        Index("uq_ticket_events_ticket_id_prev_hash", "ticket_id", "prev_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))  # "resident", "system:router", "staff:<id>"
    from_status: Mapped[TicketStatus | None] = mapped_column(enum_column(TicketStatus), nullable=True)
    to_status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")   # what the reporters were told in words (public)
    action: Mapped[str] = mapped_column(String(32), default="")
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the actor's, or the new lead
    channel: Mapped[str] = mapped_column(String(16), default="")   # "" the portal (or the system), "wechat" by chat
    # The ticket's hash chain (models/sealing.py seals each event as it is inserted). Nullable only so that a
    # row written around the ORM is stored and then reported by `civicbot audit verify`, not silently refused.
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    field_digests: Mapped[str | None] = mapped_column(String(64), nullable=True)   # which field changed, if one does

    ticket: Mapped[Ticket] = relationship("Ticket", back_populates="events")
    photos: Mapped[list[Photo]] = relationship("Photo", order_by="Photo.id", foreign_keys="Photo.event_id")


class TicketCounter(Base):
    """The last ticket sequence number issued on a day (YYYYMMDD, district time)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class TicketReporter(Base):
    """Another resident who reported the same problem: their report joined this ticket instead of a new one."""

    __tablename__ = "ticket_reporters"
    __table_args__ = (UniqueConstraint("ticket_id", "draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketRating(Base):
    """One resident's answer to "是否已解决？" about one resolution of a ticket.

    Everyone attached to the ticket (the first reporter and those whose reports joined it) is asked, and each
    answer is kept here; `asked_at` is the resolution's `feedback_requested_at`, so a later resolution asks afresh.
    The ticket's own `rating` is the verdict the answers led to (bot/cases/ratings.py)."""

    __tablename__ = "ticket_ratings"
    __table_args__ = (UniqueConstraint("ticket_id", "resident_id", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    asked_at: Mapped[datetime]
    rating: Mapped[int | None] = mapped_column(nullable=True)   # 1 满意, 2 基本满意, 3 不满意; None: not yet
    reason: Mapped[str] = mapped_column(Text, default="")      # what they said was still wrong
    rated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    asked_again_at: Mapped[datetime | None] = mapped_column(nullable=True)   # an unclear answer was asked about


class Hold(Base):
    """One department's turn at a ticket (a dispatch): the deadline it held and how the turn ended.

    Scores charge each turn to its department (谁丢分、谁受责), not the ticket to whoever leads it now."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    assignee_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    deadline_at: Mapped[datetime]                       # the deadline in force (an extension or HQ moves it)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    end: Mapped[HoldEnd | None] = mapped_column(enum_column(HoldEnd), nullable=True)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    return_accepted: Mapped[bool | None] = mapped_column(nullable=True)   # HQ's next step agreed with the return
    reopened: Mapped[bool] = mapped_column(default=False)   # its resolution was reopened (rework)


class ExtensionRequest(Base):
    """A department's 延期 or 挂账 application and HQ's decision."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), index=True)
    kind: Mapped[ExtensionKind] = mapped_column(enum_column(ExtensionKind))
    reason: Mapped[str] = mapped_column(Text)
    proposed_deadline_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    asked_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    granted: Mapped[bool | None] = mapped_column(nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class CoHandler(Base):
    """A department HQ asked to help on a ticket (协办): it sees and comments; the lead stays accountable."""

    __tablename__ = "co_handlers"
    __table_args__ = (UniqueConstraint("ticket_id", "department_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
