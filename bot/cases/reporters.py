"""Who reported a ticket: the first reporter and the residents whose duplicate reports joined it."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Ticket, TicketReporter


def reporter_ids(ticket: Ticket, *, session: Session) -> list[int]:
    """Everyone to tell about this ticket: the first reporter and those who joined."""
    joined = session.scalars(select(TicketReporter.resident_id).where(TicketReporter.ticket_id == ticket.id,
                                                                      TicketReporter.resident_id.is_not(None)))
    return list(dict.fromkeys(([ticket.resident_id] if ticket.resident_id else []) + list(joined)))


def reporter_count(ticket: Ticket, *, session: Session) -> int:
    """How many different residents reported the problem (a resident reporting twice counts once)."""
    return max(1, len(reporter_ids(ticket, session=session)))


def reported_by(resident_id: int):
    """The SQL condition for tickets the resident opened, or joined as another reporter of the same problem."""
    joined = select(TicketReporter.ticket_id).where(TicketReporter.resident_id == resident_id)
    return or_(Ticket.resident_id == resident_id, Ticket.id.in_(joined))
