"""The public service requests an Open311 client may read: by number, service, date window, open or closed, a page
at a time; and the request a token stands for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cases.publication import CLOSED, OPEN, public_status, publicly_listed
from models import Open311Request, Ticket, TicketEvent, TicketStatus

WINDOW = timedelta(days=90)   # the spec's default range, and the widest one may ask for
PAGE_SIZE = 1000              # the spec's most requests in one answer
STATUSES_BY_PUBLIC = {state: [s for s in TicketStatus if public_status(s) == state] for state in (OPEN, CLOSED)}
# What a request's document reads: the events that told the reporters something (public_reply; the rest, most of a
# ticket's history, stays unread), and the photos.
_READ = (selectinload(Ticket.events.and_(TicketEvent.reply != "")), selectinload(Ticket.photos))


class QueryRefused(ValueError):
    """The query asks for what the spec does not allow (a range over 90 days, an end before its start)."""


@dataclass(frozen=True)
class RequestQuery:
    numbers: tuple[str, ...] = ()        # service_request_id: when given, every other filter is ignored
    codes: tuple[str, ...] = ()
    start: datetime | None = None        # naive UTC, like the columns
    end: datetime | None = None
    states: tuple[str, ...] = ()         # open, closed
    page: int = 1
    page_size: int = PAGE_SIZE


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The range a query covers: the last 90 days when neither end is given, else 90 days from the end given;
    a range of both ends may not span more than 90 days."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise QueryRefused("end_date 早于 start_date。")
    if end - start > WINDOW:
        raise QueryRefused("start_date 与 end_date 相隔不能超过 90 天。")
    return start, end


def public_requests(query: RequestQuery, now: datetime, *, session: Session) -> list[Ticket]:
    """The page of public tickets the query asks for, newest first."""
    statement = select(Ticket).where(publicly_listed())
    if query.numbers:
        statement = statement.where(Ticket.number.in_(query.numbers))
    else:
        start, end = window(query.start, query.end, now)
        statement = statement.where(Ticket.created_at >= start, Ticket.created_at <= end)
        if query.codes:
            statement = statement.where(Ticket.category_code.in_(query.codes))
        if query.states:
            statement = statement.where(Ticket.status.in_([s for state in query.states
                                                           for s in STATUSES_BY_PUBLIC[state]]))
    statement = (statement.order_by(Ticket.created_at.desc(), Ticket.id.desc())
                 .offset((query.page - 1) * query.page_size).limit(query.page_size)
                 .options(*_READ))
    return list(session.scalars(statement))


def public_request(number: str, *, session: Session) -> Ticket | None:
    return session.scalar(select(Ticket).where(publicly_listed(), Ticket.number == number).options(*_READ))


def token_ticket(token: str, *, session: Session) -> tuple[bool, Ticket | None]:
    """Whether the token was issued, and its ticket once the public may see it (after HQ's review lets it through)."""
    found = session.scalar(select(Open311Request).where(Open311Request.token == token))
    if found is None:
        return False, None
    ticket = session.scalar(select(Ticket).where(Ticket.id == found.ticket_id, publicly_listed()))
    return True, ticket
