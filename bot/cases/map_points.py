"""Tickets as points on the map: the lists' filters, only the columns a marker needs, overdue by the deadlines rule."""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.orm import Session

from bot.cases.deadlines import overdue
from bot.cases.queues import Filters, Sort, ticket_query
from bot.cases.statuses import OPEN_STATES, STATUSES, Stage
from models import Department, Ticket, TicketStatus


class Marker(enum.StrEnum):
    """How a ticket's marker is drawn: by who has to act on it next (the legend names each)."""

    WAITING = "waiting"      # HQ has to place it: received, registered, returned
    WORKING = "working"      # a department holds it and its deadline runs
    RESOLVED = "resolved"    # done by the department, waiting to be verified
    FINISHED = "finished"    # verified or closed
    DROPPED = "dropped"      # rejected or merged into another ticket


MARKER_TITLES = {
    Marker.WAITING: "待分派",
    Marker.WORKING: "处置中",
    Marker.RESOLVED: "待核查",
    Marker.FINISHED: "已办结",
    Marker.DROPPED: "不予受理或已合并",
}


def marker_of(status: TicketStatus) -> Marker:
    info = STATUSES[status]
    if info.stage == Stage.OPEN:
        return Marker.WORKING if info.clock_runs else Marker.WAITING
    return {Stage.RESOLVED: Marker.RESOLVED, Stage.FINISHED: Marker.FINISHED}.get(info.stage, Marker.DROPPED)


@dataclass(frozen=True)
class Point:
    number: str
    latitude: float
    longitude: float
    status: TicketStatus
    category_code: str
    overdue: bool            # still open and past the deadline of the department that holds it


@dataclass(frozen=True)
class MapPoints:
    points: list[Point]      # newest first
    without_location: int    # tickets the filters choose that have no coordinates (a place named in words only)
    truncated: bool          # more tickets with coordinates than the limit: only the newest are in points


def map_points(department: Department, filters: Filters, *, now: datetime, warn: timedelta,
               local_offset: timedelta, limit: int, session: Session, staff_id: int | None = None) -> MapPoints:
    """The tickets the department may see that the filters choose, as points, newest first, at most `limit`.

    A ticket resolved late is not marked overdue here: the map shows what still needs doing."""
    listed = ticket_query(department, replace(filters, sort=Sort.NEWEST, page=1), now=now, warn=warn,
                          local_offset=local_offset, staff_id=staff_id)
    located = listed.where(Ticket.latitude.is_not(None), Ticket.longitude.is_not(None))
    rows = session.execute(located.with_only_columns(
        Ticket.number, Ticket.latitude, Ticket.longitude, Ticket.status, Ticket.category_code, Ticket.deadline_at,
        Ticket.resolved_at, Ticket.extension_asked_at).limit(limit + 1)).all()
    unlocated = listed.where(Ticket.latitude.is_(None) | Ticket.longitude.is_(None)).order_by(None)
    without = session.scalar(unlocated.with_only_columns(func.count(Ticket.id))) or 0
    points = [Point(row.number, row.latitude, row.longitude, row.status, row.category_code,
                    row.status in OPEN_STATES and overdue(row, now)) for row in rows[:limit]]
    return MapPoints(points, without, len(rows) > limit)

