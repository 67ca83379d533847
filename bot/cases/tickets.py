"""Open tickets from complete drafts: the number, the route, the deadline and the first events."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.routing import RouteDecision, decide_route
from bot.cases.workflow import ROUTER_ACTOR, Inputs, do_transition
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.infra.db import enqueue_after_commit
from models import Department, Draft, DraftStatus, LocationSource, Ticket, TicketCounter, TicketEvent, TicketStatus

NUMBER_PREFIX = "JY"
TICKET_OPENED = "ticket_opened"  # the job that pushes a new ticket to its departments (bot/tasks.py)
BY_CHAT = "市民通过公众号提交"   # how the report came in, in the ticket's first event


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


def do_open_ticket(draft: Draft, *, catalogue: CatalogueSnapshot, now: datetime, session: Session,
                   hold_reason: str | None = None, received: str = BY_CHAT) -> Ticket:
    """Turn a complete draft into a routed ticket with its first events; the draft is marked submitted.

    A report whose category has a lead department is registered and dispatched by the router, through the
    workflow like any other transition. With a hold_reason (spam, abuse) it waits in HQ's triage queue instead.
    The departments' push goes out after commit."""
    if not draft.description.strip() or not draft.has_location:
        raise IncompleteDraft()
    category = draft.category_code or "other"
    place = catalogue.place_in(draft.place_text) if draft.place_text else None
    point_town = (catalogue.places.from_point(draft.latitude, draft.longitude)
                  if draft.latitude is not None and draft.longitude is not None else None)
    place_reason = _place_reason(draft, point_town, place.reason if place else "")
    decision = decide_route(category, draft.town_code, place_reason, catalogue.routing)
    deadline = catalogue.calendar.due_at(now, catalogue.categories[category].deadline)
    ticket = Ticket(
        number=next_ticket_number(catalogue.calendar.local(now), session=session),
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
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor="resident", from_status=None,
                            to_status=TicketStatus.RECEIVED, reason=received))
    if decision.lead_department_code != catalogue.routing.hq_code and not hold_reason:
        do_transition(ticket, ROUTER_ACTOR, "auto_register", now=now, session=session,
                      inputs=Inputs(note=f"自动立案：类别【{catalogue.category_name(category)}】"
                                         f"（置信度 {draft.category_confidence:.2f}）"))
        lead = session.scalar(select(Department).where(Department.code == decision.lead_department_code))
        do_transition(ticket, ROUTER_ACTOR, "auto_dispatch", now=now, session=session, catalogue=catalogue,
                      inputs=Inputs(note=_dispatch_reason(decision, catalogue), department=lead))
    for photo in draft.photos:
        photo.ticket_id = ticket.id
    draft.status = DraftStatus.SUBMITTED
    enqueue_after_commit(session, TICKET_OPENED, ticket.id)
    return ticket


def _place_reason(draft: Draft, point_town: str | None, text_reason: str) -> str:
    """Why the ticket is in its town, in words: the shared point or the photo's, then the place in the text."""
    point = {LocationSource.SHARED: "共享位置", LocationSource.PHOTO: "照片拍摄位置"}.get(draft.location_source, "定位")
    if draft.latitude is not None and point_town:
        return f"{point}落在该镇街范围内" + (f"；{text_reason}" if text_reason else "")
    if draft.latitude is not None:
        return f"{point}不在任何镇街范围内" + (f"；{text_reason}" if text_reason else "")
    return text_reason


def _dispatch_reason(decision: RouteDecision, catalogue: CatalogueSnapshot) -> str:
    names = catalogue.routing.department_names
    parts = [f"派往{names[decision.lead_department_code]}"]
    if decision.town_office_code:
        parts.append(f"抄送属地{names[decision.town_office_code]}")
    return "，".join(parts) + "。" + decision.reason
