"""Staff notices about tickets (dispatched to their department, assigned to them, urged, due soon, reopened, a
request to help as 协办): outbox rows written with the change, one per staff member and channel, delivered after
commit by bot/notify/staff.py.

Who hears: the assignee when the ticket has one (it is theirs to work), otherwise every active member of the lead
department with a channel — any of them may 接单, and the one on the street should know first. A dispatch always
reaches the whole department, since a hand-over clears the assignee; a 协办 request reaches the department just
asked to help. Nobody is told of what they did themselves."""
from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from bot import staff_texts
from bot.cases.holds import open_hold
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.infra.db import enqueue_after_commit
from models import (
    Category,
    Department,
    StaffAccount,
    StaffChannel,
    StaffNotice,
    StaffNoticeStatus,
    Ticket,
)

DELIVER_STAFF = "deliver_staff_notices"   # the job that sends due staff notices (bot/notify/staff.py)
DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")   # only when no catalogue is at hand (its calendar names the zone)


class StaffNoticeKind(enum.StrEnum):
    DISPATCHED = "dispatched"   # a new turn for the department: 派遣, 改派, or a correction that moves the lead
    ASSIGNED = "assigned"       # the department's admin named them
    URGED = "urged"             # HQ's 督办
    DUE_SOON = "due_soon"       # within deadlines.warn_hours of the deadline; once per turn
    REOPENED = "reopened"       # not fixed after all (the reporter's 不满意, or HQ's check): the work comes back
    CO_HANDLER = "co_handler"   # HQ asked their department to help (协办) with another department's ticket


def do_queue_staff_notices(ticket: Ticket, kind: StaffNoticeKind, *, now: datetime, session: Session,
                           catalogue: CatalogueSnapshot | None = None, note: str = "",
                           actor_staff_id: int | None = None) -> list[StaffNotice]:
    """Write the notices of this step in the caller's transaction; delivery runs after commit."""
    hold = open_hold(ticket)
    if kind == StaffNoticeKind.DISPATCHED and (hold is None or hold.started_at != now):
        return []   # the step did not hand the ticket to a department (a correction that kept the lead)
    if kind == StaffNoticeKind.DUE_SOON and hold is not None and hold.id is not None and session.scalar(
            select(StaffNotice.id).where(StaffNotice.hold_id == hold.id, StaffNotice.kind == kind).limit(1)):
        return []   # once per turn, though an extension may warn again in the portal
    people = [person for person in _recipients(ticket, kind, session=session) if person.id != actor_staff_id]
    if not people:
        return []
    text = _text(ticket, kind, note, catalogue, session=session)
    session.flush()   # the hold's id
    notices = [StaffNotice(ticket_id=ticket.id, staff_id=person.id, hold_id=hold.id if hold else None,
                           channel=channel, kind=kind, text=text, created_at=now, next_attempt_at=now)
               for person in people for channel in _channels(person)]
    session.add_all(notices)
    enqueue_after_commit(session, DELIVER_STAFF)
    return notices


def _recipients(ticket: Ticket, kind: StaffNoticeKind, *, session: Session) -> list[StaffAccount]:
    reachable = or_(StaffAccount.wechat_openid.is_not(None), StaffAccount.wecom_userid != "")
    query = select(StaffAccount).where(StaffAccount.active.is_(True), reachable)
    if kind == StaffNoticeKind.CO_HANDLER:
        query = query.where(StaffAccount.department_code == ticket.co_handlers[-1].department_code)
    elif ticket.assignee_staff_id is not None:
        query = query.where(StaffAccount.id == ticket.assignee_staff_id)
    else:
        query = query.where(StaffAccount.department_code == ticket.lead_department_code)
    return list(session.scalars(query.order_by(StaffAccount.id)))


def _channels(person: StaffAccount) -> list[StaffChannel]:
    """Each channel the person has set up: a bound WeChat, a WeCom userid, or both (they chose both)."""
    return ([StaffChannel.WECHAT] if person.wechat_openid else []) + \
        ([StaffChannel.WECOM] if person.wecom_userid else [])


def _text(ticket: Ticket, kind: StaffNoticeKind, note: str, catalogue: CatalogueSnapshot | None, *,
          session: Session) -> str:
    if catalogue is not None:
        category = catalogue.category_name(ticket.category_code)
        deadline = catalogue.calendar.local(ticket.deadline_at)
    else:
        category = session.scalar(select(Category.name).where(Category.code == ticket.category_code)) or ""
        deadline = ticket.deadline_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(DISTRICT_ZONE)
    department = session.scalar(select(Department.name).where(Department.code == ticket.lead_department_code))
    return staff_texts.notice(kind, number=ticket.number, department=department or "", category=category,
                              place=ticket.location_label or ticket.place_text, description=ticket.description,
                              deadline=deadline.strftime("%m月%d日 %H:%M"), note=note)


def do_release_waiting_staff(connection: Connection, staff_id: int, now: datetime) -> int:
    """The staff member wrote to the account, so WeChat's 48-hour window is open again: what waited is due."""
    return connection.execute(_RELEASE_WAITING, {"for_staff": staff_id, "at": now}).rowcount


# SQLAlchemy types a mapped class's __table__ as any FromClause; a declarative class's is always a Table.
_NOTICES: Table = StaffNotice.__table__  # type: ignore[assignment]
_RELEASE_WAITING = (update(_NOTICES).where(_NOTICES.c.staff_id == bindparam("for_staff"),
                                           _NOTICES.c.channel == StaffChannel.WECHAT,
                                           _NOTICES.c.status == StaffNoticeStatus.WAITING)
                    .values(status=StaffNoticeStatus.PENDING, next_attempt_at=bindparam("at")))
