"""Other tickets near a ticket's place — open, or received lately — that the viewer may see: one problem's cluster."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.cases.geometry import metres_between, tickets_in_box
from bot.cases.lookups import visible_to
from bot.cases.statuses import OPEN_STATES
from models import Department, Ticket, TicketStatus

NEARBY_LIMIT = 20   # the nearest ones; a page of more would hide the ticket itself


@dataclass(frozen=True)
class NearbyTicket:
    number: str
    category_code: str
    status: TicketStatus
    metres: float
    created_at: datetime


def nearby_tickets(ticket: Ticket, viewer: Department, *, metres: float, days: int, now: datetime,
                   session: Session, limit: int = NEARBY_LIMIT) -> list[NearbyTicket]:
    """Tickets of any category within `metres` of this one's point, open or received in the last `days`, that
    `viewer` may see, nearest first. The database narrows them to a box on the (latitude, longitude) index; the
    exact distance is measured here. A merged ticket is left out: it is listed on the ticket it joined.

    Who may see them is asked of the box's few candidates in a second read: in one query SQLite would rather
    walk the viewer's department index (tens of thousands of rows) than the box."""
    if ticket.latitude is None or ticket.longitude is None:
        return []
    point = (ticket.latitude, ticket.longitude)
    rows = session.execute(
        select(Ticket.id, Ticket.number, Ticket.category_code, Ticket.status, Ticket.latitude, Ticket.longitude,
               Ticket.created_at)
        .where(tickets_in_box(point, metres), Ticket.id != ticket.id, Ticket.status != TicketStatus.MERGED,
               or_(Ticket.status.in_(list(OPEN_STATES)), Ticket.created_at >= now - timedelta(days=days)))).all()
    within = {row.id: metres_between(point, (row.latitude, row.longitude)) for row in rows}
    within = {ticket_id: distance for ticket_id, distance in within.items() if distance <= metres}
    if not within:
        return []
    seen = set(session.scalars(select(Ticket.id).where(Ticket.id.in_(list(within)), visible_to(viewer))))
    found = [NearbyTicket(row.number, row.category_code, row.status, within[row.id], row.created_at)
             for row in rows if row.id in seen]
    return sorted(found, key=lambda near: (near.metres, near.number))[:limit]
