"""Department, town and person scores (谁丢分、谁受责) over a period of district days."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.deadlines import overdue
from bot.cases.scoreboard_figures import Score, Scoreboard, Totals, rank
from bot.cases.statuses import Stage, states_in
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Ticket, TicketStatus

S = TicketStatus
DONE = states_in(Stage.RESOLVED, Stage.FINISHED)   # the department's work is done
FINISHED = states_in(Stage.FINISHED)


def period_bounds(first_day: date, last_day: date, catalogue: CatalogueSnapshot) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC for district days first_day..last_day inclusive."""
    zone = catalogue.calendar.zone
    start = datetime.combine(first_day, datetime.min.time(), zone)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
    return start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)


def compute_scoreboard(first_day: date, last_day: date, now: datetime, *, session: Session,
                       catalogue: CatalogueSnapshot) -> Scoreboard:
    """Figures for tickets received in the period, charged to the ticket's present lead department and town.

    Not yet to each department that held the ticket in turn: that needs a record of each dispatch's clock."""
    start, end = period_bounds(first_day, last_day, catalogue)
    names = catalogue.routing.department_names
    towns_named = catalogue.routing.town_names
    departments: dict[str, Score] = {}
    towns: dict[str, Score] = {}
    totals = Totals()
    by_category: dict[str, int] = {}
    for ticket in session.scalars(select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)):
        totals.reports += 1
        by_category[catalogue.category_name(ticket.category_code)] = \
            by_category.get(catalogue.category_name(ticket.category_code), 0) + 1
        # Dropped and held tickets are HQ's own figures, never a department's 受理.
        if ticket.status == S.MERGED:
            totals.merged += 1
            continue
        if ticket.status == S.REJECTED:
            totals.rejected += 1
            continue
        if ticket.held and ticket.status in (S.RECEIVED, S.REGISTERED):
            totals.held += 1
            continue
        if ticket.lead_department_code == catalogue.routing.hq_code:
            totals.hq_only += 1   # never dispatched: triage is HQ's own work, not a department's
            continue
        totals.dispatched += 1
        _count_work(totals, ticket, now)
        targets = [departments.setdefault(ticket.lead_department_code, Score(
            ticket.lead_department_code, names.get(ticket.lead_department_code, ticket.lead_department_code)))]
        if ticket.town_code:
            targets.append(towns.setdefault(ticket.town_code, Score(
                ticket.town_code, towns_named.get(ticket.town_code, ticket.town_code))))
        for score in targets:
            score.received += 1
            _count_work(score, ticket, now)
            if ticket.resolved_at and ticket.status in DONE:
                score.hours_to_resolve.append((ticket.resolved_at - ticket.created_at).total_seconds() / 3600)
            score.reopened += ticket.reopen_count > 0
    categories = sorted(by_category.items(), key=lambda item: -item[1])
    return Scoreboard(first_day, last_day, totals, rank(list(departments.values())), rank(list(towns.values())),
                      [], categories, [], [])


def _count_work(figures: Score | Totals, ticket: Ticket, now: datetime) -> None:
    """What the district's totals and each department's or town's score count alike."""
    if ticket.status in FINISHED:
        figures.closed += 1
    if ticket.resolved_at and ticket.status in DONE:
        figures.resolved += 1
        figures.on_time += ticket.resolved_at <= ticket.deadline_at
    figures.overdue += overdue(ticket, now)
    if ticket.rating:
        figures.rated += 1
        figures.satisfied += ticket.rating in (1, 2)
