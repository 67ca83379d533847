"""A resident's own data: what is held about them, and erasing their identity while the tickets stay."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from bot.cases.reporters import reported_by
from models import (
    CategoryCorrection,
    Draft,
    DraftStatus,
    InboundMessage,
    Notification,
    Photo,
    PhotoStatus,
    Resident,
    Ticket,
    TicketRating,
    TicketReporter,
)


@dataclass(frozen=True)
class Holdings:
    messages: int
    tickets: int
    photos: int
    drafts: int


def what_we_hold(resident_id: int, openid: str, *, session: Session) -> Holdings:
    def count(model: type, condition: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(model).where(condition)) or 0

    return Holdings(messages=count(InboundMessage, InboundMessage.openid == openid),
                    tickets=count(Ticket, reported_by(resident_id)),   # the ones they joined too
                    photos=count(Photo, (Photo.resident_id == resident_id) & (Photo.status != PhotoStatus.FAILED)),
                    drafts=count(Draft, (Draft.resident_id == resident_id) & (Draft.status == DraftStatus.OPEN)))


def do_erase_identity(resident_id: int, openid: str, *, session: Session) -> int:
    """Unlink the resident from tickets and photos, drop their messages, drafts and pending news, and
    replace the OpenID; return how many tickets were unlinked. The tickets stay for the departments."""
    # Session.execute is typed to return a Result; for an UPDATE without RETURNING it returns a CursorResult,
    # which has the rowcount (https://github.com/sqlalchemy/sqlalchemy/issues/9185).
    unlinked = cast(CursorResult[Any], session.execute(update(Ticket).where(Ticket.resident_id == resident_id)
                                                       .values(resident_id=None))).rowcount
    unlinked += cast(CursorResult[Any], session.execute(update(TicketReporter).where(
        TicketReporter.resident_id == resident_id).values(resident_id=None))).rowcount
    session.execute(update(TicketRating).where(TicketRating.resident_id == resident_id).values(resident_id=None))
    session.execute(update(Photo).where(Photo.resident_id == resident_id).values(resident_id=None))
    drafts = select(Draft.id).where(Draft.resident_id == resident_id)
    session.execute(update(Ticket).where(Ticket.draft_id.in_(drafts)).values(draft_id=None))
    session.execute(update(TicketReporter).where(TicketReporter.draft_id.in_(drafts)).values(draft_id=None))
    session.execute(update(Photo).where(Photo.draft_id.in_(drafts)).values(draft_id=None))
    session.execute(delete(CategoryCorrection).where(CategoryCorrection.draft_id.in_(drafts)))
    session.execute(delete(Draft).where(Draft.resident_id == resident_id))
    session.execute(delete(Notification).where(Notification.resident_id == resident_id))
    session.execute(update(Photo).where(Photo.inbound_message_id.in_(
        select(InboundMessage.id).where(InboundMessage.openid == openid))).values(inbound_message_id=None))
    session.execute(delete(InboundMessage).where(InboundMessage.openid == openid))
    session.execute(update(Resident).where(Resident.id == resident_id).values(
        openid=f"erased:{uuid.uuid4().hex}", subscribed=False, erase_requested_at=None, reason_for_ticket_id=None,
        offered_report="", last_ticket_id=None, last_submitted_at=None))
    return unlinked
