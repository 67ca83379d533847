"""Page through the tickets a department may see in the order they last changed, with a cursor to carry on from.

The order is (updated_at, id), oldest change first: a ticket that changes while a client pages moves to the end and is
met again there, which is what a client keeping its own copy in step needs; none is skipped. The cursor is opaque to
clients (URL-safe base64 of the last ticket's change time and id), so its form may change without breaking them."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.cases.lookups import visible_to
from models import Department, Ticket, TicketStatus

MAX_LIMIT = 500          # the hard cap of one page, whatever the client asks
# A change is stamped with the time its transaction began and seen once it commits, a few seconds later at most:
# a cursor at the end of the list stays this far back, so a change committed late is still handed out (with the
# others of those seconds again; a syncing client takes a ticket it already has as it takes any change).
SETTLE = timedelta(seconds=30)
DEFAULT_LIMIT = 100
CURSOR_VERSION = "1"


class BadPaging(ValueError):
    """A cursor, limit or time the client sent that cannot be read; the message is the Chinese answer (400)."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last ticket's change time (naive UTC, as stored) and id."""

    updated_at: datetime
    ticket_id: int


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_position: Position | None   # where the next request carries on (at the end: SETTLE back at the latest)
    has_more: bool


def encode_cursor(position: Position) -> str:
    raw = f"{CURSOR_VERSION}|{position.updated_at.isoformat(timespec='microseconds')}|{position.ticket_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Position:
    """The position a cursor this server gave stands for; BadPaging for anything else."""
    problem = BadPaging("cursor 参数无效：请使用上一页响应中的 next_cursor 原样传回。")
    if not text or len(text) > 100 or not text.isascii():
        raise problem
    try:
        version, moment, ticket_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split("|")
        if version != CURSOR_VERSION or not ticket_id.isdigit() or len(ticket_id) > 18:
            raise problem
        updated_at = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise problem from exc
    if updated_at.tzinfo is not None:
        raise problem
    return Position(updated_at, int(ticket_id))


def parse_since(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 time (a date alone is its midnight; no offset means the district's time) as naive UTC."""
    try:
        moment = datetime.fromisoformat(text.strip()) if text.isascii() and len(text) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or not 2000 <= moment.year <= 9000:
        raise BadPaging("since 参数应为 ISO 8601 时间，例如 2026-12-01T08:00:00+08:00。")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_limit(text: str) -> int:
    """?limit=: 1 to MAX_LIMIT tickets, DEFAULT_LIMIT when not given."""
    if not text:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_LIMIT):
        raise BadPaging(f"limit 参数应为 1 到 {MAX_LIMIT} 之间的整数。")
    return int(text)


def department_ticket_page(department: Department, now: datetime, *, session: Session, limit: int = DEFAULT_LIMIT,
                           after: Position | None = None, since: datetime | None = None,
                           status: str | None = None) -> Page:
    """Up to `limit` tickets the department may see, changed after `after` and not before `since`, oldest change
    first; on the last page the next position is no later than SETTLE before `now`."""
    limit = min(max(limit, 1), MAX_LIMIT)
    query = (select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.photos),
                                    selectinload(Ticket.notifications), selectinload(Ticket.reporters))
             .where(visible_to(department)))
    if status:
        query = query.where(Ticket.status == TicketStatus(status))
    if since is not None:
        query = query.where(Ticket.updated_at >= since)
    if after is not None:
        # The ">=" alone bounds the index range (SQLite and PostgreSQL both search it rather than scan it);
        # the rest leaves out the ticket the cursor stands at and those before it at the same moment.
        query = query.where(Ticket.updated_at >= after.updated_at,
                            or_(Ticket.updated_at > after.updated_at, Ticket.id > after.ticket_id))
    rows = list(session.scalars(query.order_by(Ticket.updated_at, Ticket.id).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    position = Position(rows[-1].updated_at, rows[-1].id) if rows else after
    # Only at the end: a full page always moves on, so that a client never asks for the same page for ever.
    if not has_more and position is not None and position.updated_at >= now - SETTLE:
        position = Position(now - SETTLE, 0)
    return Page(rows, position, has_more)
