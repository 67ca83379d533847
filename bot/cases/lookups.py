"""Find tickets: a resident's own, and those a department may see; and the ticket as departments see it."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from bot.cases.reporters import reported_by
from bot.catalogue.snapshot import CatalogueSnapshot
from models import CoHandler, Department, DepartmentKind, PhotoStatus, Ticket, TicketStatus, Town

# JY, the district day and the day's sequence (four digits, more on a day past 9,999), whatever joins them:
# full-width or other dashes, spaces, or 一 typed for a dash.
_NUMBER_IN_TEXT = re.compile(r"JY[\W_一]{0,3}(\d{8})[\W_一]{0,3}(\d{4,6})(?!\d)")


def ticket_number_in(text: str) -> str | None:
    """The ticket number a resident typed, as stored (JY-YYYYMMDD-NNNN), however they wrote it; None if none."""
    found = _NUMBER_IN_TEXT.search(unicodedata.normalize("NFKC", text).upper())
    return f"JY-{found.group(1)}-{found.group(2)}" if found else None


def split_ticket_number(text: str) -> tuple[str | None, str]:
    """The ticket number at the start of a command's words, and the words after it (as typed); (None, text) if none.

    The number is read as ticket_number_in reads it (full width, dashes, lower case); the rest keeps its own
    punctuation, since NFKC is applied one character at a time to find where the number ends."""
    folded = [unicodedata.normalize("NFKC", char).upper() for char in text]
    found = _NUMBER_IN_TEXT.match("".join(folded).lstrip())
    if not found:
        return None, text.strip()
    skipped = len("".join(folded)) - len("".join(folded).lstrip())
    end, length = 0, 0
    while end < len(folded) and length < skipped + found.end():   # back from folded to typed positions
        length += len(folded[end])
        end += 1
    return f"JY-{found.group(1)}-{found.group(2)}", text[end:].strip(" \t\n:：,，;；")


def find_resident_ticket(number: str, resident_id: int, *, session: Session) -> Ticket | None:
    """The ticket with this number, only if this resident reported it."""
    return session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.upper(),
                                               reported_by(resident_id)))


def recent_resident_tickets(resident_id: int, limit: int, *, session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(reported_by(resident_id))
                                .order_by(Ticket.id.desc()).limit(limit)))


def visible_to(department: Department) -> ColumnElement[bool]:
    """The SQL condition for the tickets a department may see: HQ all; a department those it leads or helps on
    (协办); a town office also those in its town."""
    if department.kind == DepartmentKind.HQ:
        return true()
    helping = Ticket.id.in_(select(CoHandler.ticket_id).where(CoHandler.department_code == department.code))
    if department.kind == DepartmentKind.TOWN:
        towns = select(Town.code).where(Town.office_code == department.code)
        return or_(Ticket.town_code.in_(towns), Ticket.lead_department_code == department.code, helping)
    return or_(Ticket.lead_department_code == department.code, helping)


def department_may_see(department: Department, ticket: Ticket, *, session: Session) -> bool:
    return session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, visible_to(department))) is not None


def department_tickets(department: Department, *, session: Session, status: str | None = None,
                       limit: int = 500) -> list[Ticket]:
    """Tickets the department may see, newest first."""
    query = select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.photos))
    query = query.where(visible_to(department))
    if status:
        query = query.where(Ticket.status == TicketStatus(status))
    return list(session.scalars(query.order_by(Ticket.id.desc()).limit(limit)))


def ticket_as_dict(ticket: Ticket, catalogue: CatalogueSnapshot) -> dict[str, Any]:
    """The ticket as departments see it: never the resident's OpenID."""
    local = catalogue.calendar.local
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "category": ticket.category_code,
        "category_name": catalogue.category_name(ticket.category_code),
        "description": ticket.description,
        "lead_department": ticket.lead_department_code,
        "town": ticket.town_code,
        "town_name": catalogue.places.town_name(ticket.town_code),
        "needs_triage": ticket.needs_triage,
        "reporters": 1 + len(ticket.reporters),
        "route_reason": ticket.route_reason,
        "location": {"latitude": ticket.latitude, "longitude": ticket.longitude,
                     "label": ticket.location_label, "place": ticket.place_text},
        "photos": [{"id": p.id, "status": p.status, "note": p.note if p.status == PhotoStatus.FAILED else "",
                    "display": f"/api/v1/photos/{p.id}/display" if p.status == PhotoStatus.STORED else None,
                    "thumbnail": f"/api/v1/photos/{p.id}/thumbnail" if p.status == PhotoStatus.STORED else None}
                   for p in ticket.photos],
        "deadline": local(ticket.deadline_at).isoformat(),
        "created_at": local(ticket.created_at).isoformat(),
        "updated_at": local(ticket.updated_at).isoformat(),
        "notifications": [{"kind": n.kind, "status": n.status, "attempts": n.attempts,
                           "sent_at": local(n.sent_at).isoformat() if n.sent_at else None}
                          for n in ticket.notifications],
        "events": [{"at": local(e.at).isoformat(), "actor": e.actor,
                    "from": e.from_status.value if e.from_status else None, "to": e.to_status.value,
                    "reason": e.reason} for e in ticket.events],
    }
