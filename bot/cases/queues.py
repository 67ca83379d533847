"""Ticket lists for the portal and exports: queues (tabs), filters, search by number, pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.cases.tickets import visible_to
from bot.cases.workflow import OPEN_STATES
from models import Department, Ticket, TicketStatus

S = TicketStatus
PAGE_SIZE = 50

# Tab → (title, condition builder). "now" and the warning window make due-soon and overdue.
TABS = {
    "new": "新派遣",
    "in_progress": "处置中",
    "due_soon": "即将到期",
    "overdue": "已超期",
    "returned": "退回",
    "resolved": "待核查",
    "triage": "待分拨",
    "all": "全部",
}
HQ_TABS = ("triage", "resolved", "overdue", "due_soon", "returned", "all")
DEPARTMENT_TABS = ("new", "in_progress", "due_soon", "overdue", "returned", "all")


@dataclass
class Filters:
    tab: str = "all"
    category: str = ""
    town: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    number: str = ""
    page: int = 1


def tabs_for(department: Department) -> tuple[str, ...]:
    return HQ_TABS if department.kind == "hq" else DEPARTMENT_TABS


def _tab_condition(tab: str, now: datetime, warn: timedelta):
    open_states = [s.value for s in OPEN_STATES]
    return {
        "new": Ticket.status == S.DISPATCHED,
        "in_progress": Ticket.status.in_([S.IN_PROGRESS, S.REOPENED]),
        "due_soon": and_(Ticket.status.in_(open_states), Ticket.deadline_at >= now, Ticket.deadline_at < now + warn),
        "overdue": and_(Ticket.status.in_(open_states), Ticket.deadline_at < now),
        "returned": Ticket.status == S.RETURNED,
        "resolved": Ticket.status == S.RESOLVED,
        "triage": or_(and_(Ticket.status.in_(open_states),
                           or_(Ticket.needs_triage.is_(True), Ticket.status.in_([S.RECEIVED, S.RETURNED]))),
                      # a resolution the resident rejected twice waits for HQ's review
                      and_(Ticket.status == S.RESOLVED, Ticket.needs_triage.is_(True))),
    }.get(tab)


def ticket_query(department: Department, filters: Filters, *, now: datetime, warn: timedelta,
                 local_offset: timedelta) -> Select:
    """The filtered, visible tickets, newest first (without paging)."""
    query = select(Ticket).where(visible_to(department))
    condition = _tab_condition(filters.tab, now, warn)
    if condition is not None:
        query = query.where(condition)
    if filters.number:
        query = query.where(Ticket.number.contains(filters.number.strip().upper()))
    if filters.category:
        query = query.where(Ticket.category_code == filters.category)
    if filters.town:
        query = query.where(Ticket.town_code == filters.town) if filters.town != "none" else \
            query.where(Ticket.town_code.is_(None))
    if filters.status:
        query = query.where(Ticket.status == S(filters.status))
    # Dates are the district's calendar days; the database stores UTC.
    if filters.date_from:
        query = query.where(Ticket.created_at >= datetime.combine(filters.date_from, datetime.min.time()) - local_offset)
    if filters.date_to:
        query = query.where(Ticket.created_at < datetime.combine(filters.date_to + timedelta(days=1),
                                                                 datetime.min.time()) - local_offset)
    return query.order_by(Ticket.id.desc())


def page_of(query: Select, page: int, *, session: Session) -> tuple[list[Ticket], bool]:
    """One page of tickets and whether there is a next one (no COUNT over the whole table)."""
    rows = list(session.scalars(query.offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def tab_counts(department: Department, *, now: datetime, warn: timedelta, session: Session) -> dict[str, int]:
    """How many tickets each tab holds, in one pass over the visible tickets."""
    conditions = {tab: _tab_condition(tab, now, warn) for tab in tabs_for(department)}
    conditions = {tab: condition for tab, condition in conditions.items() if condition is not None}
    row = session.execute(select(*(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(tab)
                                   for tab, condition in conditions.items()))
                          .select_from(Ticket).where(visible_to(department))).one()
    return {tab: int(getattr(row, tab)) for tab in conditions}
