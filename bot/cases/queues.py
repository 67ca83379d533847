"""Ticket lists for the portal and exports: queues (tabs), filters, search by number, sort orders, pages."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.cases.lookups import visible_to
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES, Tab, statuses_in_tab
from models import Category, Department, DepartmentKind, Ticket, TicketStatus, Town

PAGE_SIZE = 50
# Beyond any real list (500,000 tickets), and small enough that the offset stays a 64-bit integer.
MAX_PAGE = 10_000
TAB_TITLES = {
    Tab.NEW: "新派遣",
    Tab.IN_PROGRESS: "处置中",
    Tab.DUE_SOON: "即将到期",
    Tab.OVERDUE: "已超期",
    Tab.RETURNED: "退回",
    Tab.RESOLVED: "待核查",
    Tab.TRIAGE: "待分拨",
    Tab.URGED: "督办",
    Tab.EXTENSIONS: "延期审批",
    Tab.MINE: "我的工单",
    Tab.ALL: "全部",
}
HQ_TABS = (Tab.TRIAGE, Tab.EXTENSIONS, Tab.RESOLVED, Tab.OVERDUE, Tab.DUE_SOON, Tab.URGED, Tab.RETURNED, Tab.ALL)
DEPARTMENT_TABS = (Tab.MINE, Tab.NEW, Tab.IN_PROGRESS, Tab.URGED, Tab.DUE_SOON, Tab.OVERDUE, Tab.RETURNED, Tab.ALL)
S = TicketStatus


class Sort(enum.StrEnum):
    """The orders a list can be read in; each ends on the ticket id, so a page never shifts between requests."""

    NEWEST = "newest"
    OLDEST = "oldest"
    DEADLINE = "deadline"
    CATEGORY = "category"
    TOWN = "town"


SORT_TITLES = {
    Sort.NEWEST: "最新受理在前",
    Sort.OLDEST: "最早受理在前",
    Sort.DEADLINE: "处理时限最近在前",
    Sort.CATEGORY: "按类别",
    Sort.TOWN: "按属地",
}


@dataclass
class Filters:
    tab: Tab = Tab.ALL
    category: str = ""
    town: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    number: str = ""
    sort: Sort = Sort.NEWEST
    page: int = 1


def tabs_for(department: Department) -> tuple[Tab, ...]:
    return HQ_TABS if department.kind == DepartmentKind.HQ else DEPARTMENT_TABS


def _tab_condition(tab: Tab, now: datetime, warn: timedelta, staff_id: int | None) -> ColumnElement[bool] | None:
    """The SQL condition for a tab: the statuses the status table puts in it, or a condition on time or triage."""
    statuses = statuses_in_tab(tab)
    if statuses:
        return Ticket.status.in_(statuses)
    open_states = list(OPEN_STATES)
    # An extension awaiting HQ stops the clock: such a ticket is neither due soon nor overdue meanwhile.
    running = and_(Ticket.status.in_(list(CLOCK_STATES)), Ticket.extension_asked_at.is_(None))
    return {
        Tab.DUE_SOON: and_(running, Ticket.deadline_at >= now, Ticket.deadline_at < now + warn),
        Tab.OVERDUE: and_(running, Ticket.deadline_at < now),
        Tab.URGED: and_(Ticket.status.in_(open_states), Ticket.urged_at.is_not(None)),
        Tab.EXTENSIONS: Ticket.extension_asked_at.is_not(None),
        Tab.MINE: and_(Ticket.status.in_(open_states), Ticket.assignee_staff_id == (staff_id or -1)),
        Tab.TRIAGE: or_(and_(Ticket.status.in_(open_states),
                             or_(Ticket.needs_triage.is_(True), Ticket.status.in_([S.RECEIVED, S.RETURNED]))),
                        # a resolution the resident rejected twice waits for HQ's review
                        and_(Ticket.status == S.RESOLVED, Ticket.needs_triage.is_(True))),
    }.get(tab)


def ticket_query(department: Department, filters: Filters, *, now: datetime, warn: timedelta,
                 local_offset: timedelta, staff_id: int | None = None) -> Select[Ticket]:
    """The filtered, visible tickets in the filters' order (without paging); "mine" is staff_id's."""
    query = select(Ticket).where(visible_to(department))
    condition = _tab_condition(filters.tab, now, warn, staff_id)
    if condition is not None:
        query = query.where(condition)
    if filters.number:
        query = query.where(Ticket.number.contains(filters.number.strip().upper(), autoescape=True))
    if filters.category:
        query = query.where(Ticket.category_code == filters.category)
    if filters.town:
        query = query.where(Ticket.town_code == filters.town) if filters.town != "none" else \
            query.where(Ticket.town_code.is_(None))
    if filters.status:
        query = query.where(Ticket.status == S(filters.status))
    # Dates are the district's calendar days; the database stores UTC.
    if filters.date_from:
        query = query.where(Ticket.created_at >= datetime.combine(filters.date_from, datetime.min.time())
                            - local_offset)
    if filters.date_to:
        query = query.where(Ticket.created_at < datetime.combine(filters.date_to + timedelta(days=1),
                                                                 datetime.min.time()) - local_offset)
    return query.order_by(*_order(filters.sort))


def _order(sort: Sort) -> tuple[ColumnElement[Any], ...]:
    """ORDER BY terms for a sort, ending on the id (the order tickets were opened in). Category and town follow the
    catalogue's order, as the filter menus list them, read by subqueries so that the query still selects from
    tickets alone (the export relies on it); tickets without a town come last."""
    if sort == Sort.OLDEST:
        return (Ticket.id.asc(),)
    if sort == Sort.DEADLINE:
        return Ticket.deadline_at.asc(), Ticket.id.asc()
    if sort == Sort.CATEGORY:
        position = select(Category.position).where(Category.code == Ticket.category_code).scalar_subquery()
        return position.asc(), Ticket.id.desc()
    if sort == Sort.TOWN:
        town = select(Town.id).where(Town.code == Ticket.town_code).scalar_subquery()
        return case((Ticket.town_code.is_(None), 1), else_=0), town.asc(), Ticket.id.desc()
    return (Ticket.id.desc(),)


def page_of(query: Select[Ticket], page: int, *, session: Session) -> tuple[list[Ticket], bool]:
    """One page of tickets and whether there is a next one (no COUNT over the whole table)."""
    page = min(max(page, 1), MAX_PAGE)
    rows = list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def tab_counts(department: Department, *, now: datetime, warn: timedelta, session: Session,
               staff_id: int | None = None) -> dict[str, int]:
    """How many tickets each tab holds, in one pass over the visible tickets."""
    every_tab = {tab: _tab_condition(tab, now, warn, staff_id) for tab in tabs_for(department)}
    conditions = {tab: condition for tab, condition in every_tab.items() if condition is not None}
    row = session.execute(select(*(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(tab)
                                   for tab, condition in conditions.items()))
                          .select_from(Ticket).where(visible_to(department))).one()
    return {tab: int(getattr(row, tab)) for tab in conditions}
