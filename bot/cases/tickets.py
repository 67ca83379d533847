"""Open tickets from complete drafts: number, route, deadline, audit events; and look tickets up."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.catalogue.snapshot import Knowledge
from bot.cases.routing import RouteDecision, decide_route
from models import (Department, Draft, DraftStatus, Ticket, TicketCounter, TicketEvent, TicketReporter, TicketStatus,
                    Town)

NUMBER_PREFIX = "JY"


class IncompleteDraft(Exception):
    """The draft lacks a description or a location."""


def next_ticket_number(local_day: datetime, *, session: Session) -> str:
    """Issue JY-YYYYMMDD-NNNN, counting per district day; the counter row serialises concurrent submits."""
    day = local_day.strftime("%Y%m%d")
    bumped = session.execute(update(TicketCounter).where(TicketCounter.day == day)
                             .values(last=TicketCounter.last + 1).returning(TicketCounter.last)).scalar()
    if bumped is None:
        try:
            with session.begin_nested():
                session.add(TicketCounter(day=day, last=1))
            bumped = 1
        except IntegrityError:  # another worker opened the day first
            bumped = session.execute(update(TicketCounter).where(TicketCounter.day == day)
                                     .values(last=TicketCounter.last + 1).returning(TicketCounter.last)).scalar_one()
    return f"{NUMBER_PREFIX}-{day}-{bumped:04d}"


def do_open_ticket(draft: Draft, *, knowledge: Knowledge, now: datetime, session: Session,
                   hold_reason: str | None = None) -> Ticket:
    """Turn a complete draft into a routed ticket with its first events; the draft is marked submitted.

    With a hold_reason (spam, abuse) the ticket waits in HQ's triage queue instead of being dispatched."""
    if not draft.description.strip() or not draft.has_location:
        raise IncompleteDraft()
    category = draft.category_code or "other"
    place = knowledge.place_in(draft.description)
    place_reason = _place_reason(draft, place.reason if place else "")
    decision = decide_route(category, draft.town_code, place_reason, knowledge.routing)
    deadline = knowledge.calendar.due_at(now, knowledge.categories[category].deadline)
    ticket = Ticket(
        number=next_ticket_number(knowledge.calendar.local(now), session=session),
        resident_id=draft.resident_id, draft_id=draft.id, description=draft.description,
        category_code=category, category_confidence=draft.category_confidence,
        latitude=draft.latitude, longitude=draft.longitude, location_label=draft.location_label,
        place_text=draft.place_text, town_code=decision.town_code,
        lead_department_code=decision.lead_department_code,
        status=TicketStatus.RECEIVED, needs_triage=decision.needs_triage or bool(hold_reason),
        route_reason=(f"【待审核：{hold_reason}】" if hold_reason else "") + decision.reason,
        held=bool(hold_reason), deadline_at=deadline, created_at=now, updated_at=now)
    session.add(ticket)
    session.flush()
    _record(ticket, None, TicketStatus.RECEIVED, "resident", "市民通过公众号提交", now, session=session)
    if decision.lead_department_code != knowledge.routing.hq_code and not hold_reason:
        _record(ticket, TicketStatus.RECEIVED, TicketStatus.REGISTERED, "system:router",
                f"自动立案：类别【{knowledge.category_name(category)}】（置信度 {draft.category_confidence:.2f}）",
                now, session=session)
        _record(ticket, TicketStatus.REGISTERED, TicketStatus.DISPATCHED, "system:router",
                _dispatch_reason(decision, knowledge), now, session=session)
        ticket.status = TicketStatus.DISPATCHED
    for photo in draft.photos:
        photo.ticket_id = ticket.id
    draft.status = DraftStatus.SUBMITTED
    return ticket


def _place_reason(draft: Draft, text_reason: str) -> str:
    if draft.latitude is not None and draft.town_code and draft.location_source == "shared":
        return "共享位置落在该镇街范围内" if not text_reason else f"共享位置；{text_reason}"
    if draft.latitude is not None and not draft.town_code:
        return "共享位置不在任何镇街范围内" + (f"；{text_reason}" if text_reason else "")
    return text_reason


def _dispatch_reason(decision: RouteDecision, knowledge: Knowledge) -> str:
    names = knowledge.routing.department_names
    parts = [f"派往{names[decision.lead_department_code]}"]
    if decision.town_office_code:
        parts.append(f"抄送属地{names[decision.town_office_code]}")
    return "，".join(parts) + "。" + decision.reason


def _record(ticket: Ticket, before: TicketStatus | None, after: TicketStatus, actor: str, reason: str,
            now: datetime, *, session: Session) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor, from_status=before, to_status=after,
                            reason=reason))


def _reported_by(resident_id: int):
    """Tickets the resident opened, or joined as another reporter of the same problem."""
    joined = select(TicketReporter.ticket_id).where(TicketReporter.resident_id == resident_id)
    return or_(Ticket.resident_id == resident_id, Ticket.id.in_(joined))


def find_resident_ticket(number: str, resident_id: int, *, session: Session) -> Ticket | None:
    """The ticket with this number, only if this resident reported it."""
    return session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.upper(),
                                               _reported_by(resident_id)))


def recent_resident_tickets(resident_id: int, limit: int, *, session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(_reported_by(resident_id))
                                .order_by(Ticket.id.desc()).limit(limit)))


def visible_to(department: Department):
    """The SQL condition for the tickets a department may see: HQ all; a department those it leads;
    a town office those in its town (and any it leads by a routing override)."""
    if department.kind == "hq":
        return true()
    if department.kind == "town":
        towns = select(Town.code).where(Town.office_code == department.code)
        return or_(Ticket.town_code.in_(towns), Ticket.lead_department_code == department.code)
    return Ticket.lead_department_code == department.code


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


def ticket_as_dict(ticket: Ticket, knowledge: Knowledge) -> dict:
    """The ticket as departments see it: never the resident's OpenID."""
    local = knowledge.calendar.local
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "category": ticket.category_code,
        "category_name": knowledge.category_name(ticket.category_code),
        "description": ticket.description,
        "lead_department": ticket.lead_department_code,
        "town": ticket.town_code,
        "town_name": knowledge.places.town_name(ticket.town_code),
        "needs_triage": ticket.needs_triage,
        "reporters": 1 + len(ticket.reporters),
        "route_reason": ticket.route_reason,
        "location": {"latitude": ticket.latitude, "longitude": ticket.longitude,
                     "label": ticket.location_label, "place": ticket.place_text},
        "photos": [{"id": p.id, "status": p.status, "note": p.note if p.status == "failed" else "",
                    "display": f"/api/v1/photos/{p.id}/display" if p.status == "stored" else None,
                    "thumbnail": f"/api/v1/photos/{p.id}/thumbnail" if p.status == "stored" else None}
                   for p in ticket.photos],
        "deadline": local(ticket.deadline_at).isoformat(),
        "created_at": local(ticket.created_at).isoformat(),
        "notifications": [{"kind": n.kind, "status": n.status, "attempts": n.attempts,
                           "sent_at": local(n.sent_at).isoformat() if n.sent_at else None}
                          for n in ticket.notifications],
        "events": [{"at": local(e.at).isoformat(), "actor": e.actor,
                    "from": e.from_status.value if e.from_status else None, "to": e.to_status.value,
                    "reason": e.reason} for e in ticket.events],
    }
