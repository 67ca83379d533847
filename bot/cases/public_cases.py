"""What the 办理公示 page reads: handled cases newest first, one case, open reports as map points and this month's
figures, each only through bot/cases/publication.py (listed tickets, masked words, public photos)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from bot.bulletin.periods import Period, month_of
from bot.cases.publication import HANDLED, masked, public_photos, public_reply, publicly_listed
from bot.cases.scoreboard_figures import Score, Totals
from bot.cases.scores import compute_scoreboard
from bot.cases.statuses import OPEN_STATES, status_label
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Photo, Ticket, TicketStatus

PER_PAGE = 20
MAX_PAGE = 500        # further back than 10,000 cases nobody pages; a larger number is read as the last useful one


@dataclass(frozen=True)
class PublicFilters:
    """The page's choices, already checked against the catalogue: unknown codes are dropped, not refused."""

    town: str = ""
    category: str = ""
    page: int = 1


@dataclass(frozen=True)
class PublicCase:
    """One ticket as the public sees it."""

    number: str
    category: str
    town: str
    place: str                     # masked: a resident may name their own building
    department: str
    description: str               # masked
    reported_at: datetime          # naive UTC
    handled_at: datetime | None
    status: str                    # Chinese
    handled: bool
    reply: str                     # masked
    merged: int                    # duplicates merged into it (they count with it)
    before: list[Photo] = field(default_factory=list)
    after: list[Photo] = field(default_factory=list)

    @property
    def took(self) -> timedelta | None:
        return self.handled_at - self.reported_at if self.handled_at else None


def read_filters(args: Mapping[str, str], catalogue: CatalogueSnapshot) -> PublicFilters:
    """The filters from a query string; what does not name a town, a category or a page is ignored."""
    town = args.get("town", "")
    category = args.get("category", "")
    try:
        page = min(max(int(args.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    return PublicFilters(town if town in catalogue.routing.town_names else "",
                         category if category in catalogue.categories else "", page)


def _chosen(filters: PublicFilters) -> list[ColumnElement[bool]]:
    where = [publicly_listed()]
    if filters.town:
        where.append(Ticket.town_code == filters.town)
    if filters.category:
        where.append(Ticket.category_code == filters.category)
    return where


def _handled_at() -> ColumnElement[datetime]:
    return func.coalesce(Ticket.resolved_at, Ticket.closed_at, Ticket.updated_at)


def handled_cases(filters: PublicFilters, catalogue: CatalogueSnapshot, *,
                  session: Session) -> tuple[list[PublicCase], int]:
    """A page of handled cases, most recently handled first, and how many there are in all."""
    where = [*_chosen(filters), Ticket.status.in_(HANDLED)]
    total = session.scalar(select(func.count(Ticket.id)).where(*where)) or 0
    tickets = list(session.scalars(
        select(Ticket).where(*where).order_by(_handled_at().desc(), Ticket.id.desc())
        .offset((filters.page - 1) * PER_PAGE).limit(PER_PAGE)
        .options(selectinload(Ticket.events), selectinload(Ticket.photos))))
    merged = _merged_counts([ticket.id for ticket in tickets], session=session)
    return [public_case(ticket, catalogue, merged.get(ticket.id, 0)) for ticket in tickets], total


def _merged_counts(ticket_ids: list[int], *, session: Session) -> dict[int, int]:
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Ticket.merged_into_id, func.count(Ticket.id))
        .where(Ticket.merged_into_id.in_(ticket_ids), Ticket.status == TicketStatus.MERGED)
        .group_by(Ticket.merged_into_id))
    return {main: count for main, count in rows if main is not None}


def public_case(ticket: Ticket, catalogue: CatalogueSnapshot, merged: int = 0) -> PublicCase:
    """The ticket as the public sees it; an open one without its reply, time taken or photos of the work."""
    handled = ticket.status in HANDLED
    before, after = public_photos(ticket)
    routing = catalogue.routing
    return PublicCase(
        number=ticket.number, category=catalogue.category_name(ticket.category_code),
        town=routing.town_names.get(ticket.town_code or "", ""),
        place=masked(ticket.location_label or ticket.place_text),
        department=routing.department_names.get(ticket.lead_department_code, ""),
        description=masked(ticket.description), reported_at=ticket.created_at,
        handled_at=(ticket.resolved_at or ticket.closed_at or ticket.updated_at) if handled else None,
        status=status_label(ticket.status) if handled else "办理中", handled=handled,
        reply=public_reply(ticket) if handled else "", merged=merged,
        before=before, after=after if handled else [])


def find_case(number: str, catalogue: CatalogueSnapshot, *, session: Session) -> PublicCase | str | None:
    """The case by its number; for a duplicate, the number of the case it was merged into; None if not public."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number, publicly_listed())
                            .options(selectinload(Ticket.events), selectinload(Ticket.photos)))
    if ticket is None:
        return None
    if ticket.status == TicketStatus.MERGED:
        main = session.scalar(select(Ticket.number).where(Ticket.id == ticket.merged_into_id, publicly_listed()))
        return main
    return public_case(ticket, catalogue, _merged_counts([ticket.id], session=session).get(ticket.id, 0))


@dataclass(frozen=True)
class OpenPoints:
    points: list[tuple[str, float, float, str]]    # number, latitude, longitude (GCJ-02), category code
    without_location: int
    truncated: bool


def open_points(filters: PublicFilters, limit: int, *, session: Session) -> OpenPoints:
    """Open reports (still to be worked) with a location, newest first, at most limit."""
    where = [*_chosen(filters), Ticket.status.in_(OPEN_STATES)]
    located = [Ticket.latitude.is_not(None), Ticket.longitude.is_not(None)]
    rows = session.execute(
        select(Ticket.number, Ticket.latitude, Ticket.longitude, Ticket.category_code)
        .where(*where, *located).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)).all()
    without = session.scalar(select(func.count(Ticket.id)).where(
        *where, Ticket.latitude.is_(None) | Ticket.longitude.is_(None))) or 0
    return OpenPoints([(row.number, row.latitude, row.longitude, row.category_code) for row in rows[:limit]],
                      without, len(rows) > limit)


@dataclass(frozen=True)
class MonthFigures:
    """The district's and each town's figures this month, as HQ's scores page counts them for the same days."""

    period: Period
    district: Totals
    towns: list[tuple[str, str, Score | None]]   # code, name, figures (None: nothing charged to it yet)


def month_figures(today: date, now: datetime, catalogue: CatalogueSnapshot, *, session: Session,
                  return_window: timedelta) -> MonthFigures:
    """This month's figures from the scoreboard (bot/cases/scores.py), towns in the catalogue's order."""
    period = month_of(today)
    board = compute_scoreboard(period.first_day, period.last_day, now, session=session, catalogue=catalogue,
                               return_window=return_window)
    by_town = {score.key: score for score in board.towns}
    return MonthFigures(period, board.totals, [(code, name, by_town.get(code))
                                               for code, name in catalogue.routing.town_names.items()])
