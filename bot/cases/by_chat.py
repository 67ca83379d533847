"""Staff acting by chat: who they are to the workflow, the tickets they may work, 我的待办, and a 办结 that waits for
its after-photo. Every step still goes through do_transition, with the same permissions as the portal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.cases.actors import Actor
from bot.cases.binding import forget_resolution
from bot.cases.change import Change
from bot.cases.lookups import visible_to
from bot.cases.statuses import CLOCK_STATES
from bot.cases.workflow import Inputs, TransitionRefused, check_transition, do_transition
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Department, Photo, StaffAccount, Ticket

WECHAT = "wechat"   # the audit event's channel for a step taken by chat
TODO_LIMIT = 10


def staff_actor(staff: StaffAccount, *, session: Session) -> tuple[Actor, Department]:
    """The workflow's actor for this staff member acting by chat, and their department."""
    department = session.scalars(select(Department).where(Department.code == staff.department_code)).one()
    return Actor(f"staff:{staff.username}", department.code, department.kind, staff.role, staff.id,
                 channel=WECHAT), department


def visible_ticket(number: str, department: Department, *, session: Session) -> Ticket | None:
    """The ticket with this number if the department may see it; None alike for "no such ticket" and "not yours"."""
    return session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.upper(), visible_to(department)))


@dataclass(frozen=True)
class TodoPage:
    tickets: list[Ticket]
    more: int


def todo(staff: StaffAccount, *, session: Session) -> TodoPage:
    """Tickets whose clock runs against the staff member's department and that are theirs or nobody's yet, the
    soonest deadline first (a paused clock — an extension awaiting HQ — after the running ones)."""
    mine = (Ticket.lead_department_code == staff.department_code, Ticket.status.in_(CLOCK_STATES),
            or_(Ticket.assignee_staff_id == staff.id, Ticket.assignee_staff_id.is_(None)))
    paused = case((Ticket.extension_asked_at.is_(None), 0), else_=1)
    tickets = list(session.scalars(select(Ticket).where(*mine).order_by(paused, Ticket.deadline_at, Ticket.id)
                                   .limit(TODO_LIMIT)))
    total = session.scalar(select(func.count(Ticket.id)).where(*mine)) or 0
    return TodoPage(tickets, total - len(tickets))


def do_start_resolve(staff: StaffAccount, actor: Actor, ticket: Ticket, note: str, *, now: datetime,
                     session: Session) -> None:
    """Check that this 办结 would be allowed once its photo comes, and remember it on the account until then.

    Raises TransitionRefused (the portal's reasons) when it would not: wrong state, another department, no note."""
    check_transition(Change(ticket, actor, now, Inputs(note=note), None, session), "resolve", photo_count=1)
    staff.resolving_ticket_id, staff.resolving_note, staff.resolving_since = ticket.id, note.strip(), now
    staff.resolving_photo_id = None


def resolution_waiting(staff: StaffAccount, *, now: datetime, minutes: int) -> bool:
    """Whether a 办结 by chat waits for its photo (and has not lapsed)."""
    return (staff.resolving_ticket_id is not None and staff.resolving_since is not None
            and now - staff.resolving_since <= timedelta(minutes=minutes))


@dataclass(frozen=True)
class Resolved:
    number: str
    refused: str = ""   # why the step was refused ("" when the ticket is resolved)


def do_resolve_with_photo(staff: StaffAccount, photo: Photo, *, now: datetime, session: Session,
                          catalogue: CatalogueSnapshot | None) -> Resolved | None:
    """The after-photo is stored: take the waiting 办结 with it, as the portal's resolve does. None when nothing
    waits for this photo any more (cancelled, unbound, or already done)."""
    if staff.resolving_photo_id != photo.id or staff.resolving_ticket_id is None or not staff.active \
            or not staff.wechat_openid:
        return None
    actor, department = staff_actor(staff, session=session)
    ticket = session.get(Ticket, staff.resolving_ticket_id)
    note = staff.resolving_note
    forget_resolution(staff)
    if ticket is None or visible_ticket(ticket.number, department, session=session) is None:
        return Resolved("", "工单已不在本部门")
    try:   # a refusal comes before the step changes anything; the caller discards the photo's files
        do_transition(ticket, actor, "resolve", now=now, session=session, inputs=Inputs(note=note),
                      photos=[photo], catalogue=catalogue)
    except TransitionRefused as exc:
        return Resolved(ticket.number, str(exc))
    return Resolved(ticket.number)

