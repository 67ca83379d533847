"""Who reported a ticket: the first reporter and the residents whose duplicate reports joined it."""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models import Ticket, TicketReporter


def reporter_ids(ticket: Ticket, *, session: Session) -> list[int]:
    """Everyone to tell about this ticket: the first reporter and those who joined."""
    joined = session.scalars(select(TicketReporter.resident_id).where(TicketReporter.ticket_id == ticket.id))
    first = [ticket.resident_id] if ticket.resident_id else []
    return list(dict.fromkeys(first + [resident_id for resident_id in joined if resident_id is not None]))


def reported_by(resident_id: int) -> ColumnElement[bool]:
    """The SQL condition for tickets the resident opened, or joined as another reporter of the same problem."""
    joined = select(TicketReporter.ticket_id).where(TicketReporter.resident_id == resident_id)
    return or_(Ticket.resident_id == resident_id, Ticket.id.in_(joined))
