"""Department, town and person scores (谁丢分、谁受责) over a period of district days, each turn charged to its holder.

The rules, in the order they are applied (README.md, "How the scores are counted", names the test for each):
- The district's totals count the reports received in the period; held, rejected, merged and HQ-only tickets
  have their own columns and never count as a department's work.
- A department (and the ticket's town, and the staff member it was assigned to) is charged for each turn it
  held a ticket (each dispatch to it) that began in the period, not for tickets it leads today.
- A 回退 within [workflow] return_window_hours that HQ accepted (by sending the ticket elsewhere or dropping it)
  is not the department's fault: that turn is left out of its figures except as a justified return.
- Overdue is charged to the holder of the deadline that ran out: a turn that ended (resolved, returned,
  reassigned) after its deadline, or is still running past it. The deadline in force is the turn's own:
  extensions HQ granted move it; a clock stopped for HQ's decision on an extension is not running.
- A turn whose resolution was reopened counts as rework for that department; the next turn is a new one.
- Ratings and closure belong to the turn whose resolution stood.
- 督办 received are the urgings HQ issued during the department's turn.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.deadlines import overdue
from bot.cases.scoreboard_figures import OverdueCase, Score, Scoreboard, Totals, UrgeRecord, rank
from bot.cases.statuses import CLOCK_STATES, Stage, states_in
from bot.catalogue.snapshot import CatalogueSnapshot
from models import ExtensionRequest, Hold, HoldEnd, StaffAccount, Ticket, TicketEvent, TicketStatus

S = TicketStatus
DONE = states_in(Stage.RESOLVED, Stage.FINISHED)   # the department's work is done
FINISHED = states_in(Stage.FINISHED)
WORST_OVERDUE = 20                                 # the 通报 lists this many overdue cases


def period_bounds(first_day: date, last_day: date, catalogue: CatalogueSnapshot) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC for district days first_day..last_day inclusive."""
    zone = catalogue.calendar.zone
    start = datetime.combine(first_day, datetime.min.time(), zone)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
    return start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)


def compute_scoreboard(first_day: date, last_day: date, now: datetime, *, session: Session,
                       catalogue: CatalogueSnapshot, return_window: timedelta) -> Scoreboard:
    """Everything the scoreboard, its CSV and the 通报 show for the period; return_window is
    [workflow] return_window_hours, which every caller passes so that page, CSV and 通报 agree."""
    start, end = period_bounds(first_day, last_day, catalogue)
    totals, categories = _totals(start, end, now, session=session, catalogue=catalogue)
    urges = _urges(start, session=session)
    totals.urges = sum(1 for urge in urges if urge.at < end)
    board = _turns(start, end, now, urges, session=session, catalogue=catalogue, return_window=return_window)
    names = catalogue.routing.department_names
    local = catalogue.calendar.local
    urged = [UrgeRecord(urge.number, names.get(urge.department_code or "", urge.department_code or ""),
                        local(urge.at).strftime("%Y-%m-%d %H:%M"), urge.reason)
             for urge in urges if urge.at < end]
    return Scoreboard(first_day, last_day, totals, rank(list(board.departments.values())),
                      rank(list(board.towns.values())), rank(list(board.people.values())), categories,
                      sorted(board.overdue_cases, key=lambda case: -case.days_overdue)[:WORST_OVERDUE], urged)


def _totals(start: datetime, end: datetime, now: datetime, *, session: Session,
            catalogue: CatalogueSnapshot) -> tuple[Totals, list[tuple[str, int]]]:
    """The district's figures for the reports received in the period."""
    totals = Totals()
    by_category: dict[str, int] = defaultdict(int)
    for ticket in session.scalars(select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)):
        totals.reports += 1
        by_category[catalogue.category_name(ticket.category_code)] += 1
        if ticket.status == S.MERGED:
            totals.merged += 1
        elif ticket.status == S.REJECTED:
            totals.rejected += 1
        elif ticket.held and ticket.status in (S.RECEIVED, S.REGISTERED):
            totals.held += 1
        elif ticket.lead_department_code == catalogue.routing.hq_code:
            totals.hq_only += 1   # never dispatched: triage is HQ's own work, not a department's
        else:
            totals.dispatched += 1
            if ticket.status in FINISHED:
                totals.closed += 1
            if ticket.resolved_at and ticket.status in DONE:
                totals.resolved += 1
                totals.on_time += ticket.resolved_at <= ticket.deadline_at
            totals.overdue += overdue(ticket, now)
            if ticket.rating:
                totals.rated += 1
                totals.satisfied += ticket.rating in (1, 2)
    return totals, sorted(by_category.items(), key=lambda item: -item[1])


def _urges(start: datetime, *, session: Session) -> list[Any]:
    """Every 督办 since the period began (a turn begun in the period may be urged after it), oldest first."""
    return list(session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.department_code, TicketEvent.reason,
               Ticket.number).join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.action == "urge", TicketEvent.at >= start).order_by(TicketEvent.at)))


class _Board:
    def __init__(self) -> None:
        self.departments: dict[str, Score] = {}
        self.towns: dict[str, Score] = {}
        self.people: dict[str, Score] = {}
        self.overdue_cases: list[OverdueCase] = []


def _turns(start: datetime, end: datetime, now: datetime, urges: list[Any], *, session: Session,
           catalogue: CatalogueSnapshot, return_window: timedelta) -> _Board:
    """Charge each turn begun in the period to its department, its ticket's town and its assignee."""
    names, town_names = catalogue.routing.department_names, catalogue.routing.town_names
    turns = session.execute(
        select(Hold.id, Hold.department_code, Hold.assignee_staff_id, Hold.started_at, Hold.deadline_at,
               Hold.ended_at, Hold.end, Hold.return_accepted, Hold.reopened, Hold.ticket_id,
               Ticket.number, Ticket.status, Ticket.town_code, Ticket.category_code, Ticket.location_label,
               Ticket.place_text, Ticket.extension_asked_at, Ticket.rating)
        .join(Ticket, Ticket.id == Hold.ticket_id)
        .where(Hold.started_at >= start, Hold.started_at < end)).all()
    asked: dict[int, int] = defaultdict(int)
    granted: dict[int, int] = defaultdict(int)
    for hold_id, was_granted in session.execute(
            select(ExtensionRequest.hold_id, ExtensionRequest.granted).join(Hold, Hold.id == ExtensionRequest.hold_id)
            .where(Hold.started_at >= start, Hold.started_at < end)):
        asked[hold_id] += 1
        granted[hold_id] += bool(was_granted)
    urged_on: dict[int, list[Any]] = defaultdict(list)
    for urge in urges:
        urged_on[urge.ticket_id].append(urge)
    staff = {s.id: s for s in session.scalars(select(StaffAccount).where(
        StaffAccount.id.in_({turn.assignee_staff_id for turn in turns if turn.assignee_staff_id})))}
    board = _Board()
    for turn in turns:
        targets = [board.departments.setdefault(turn.department_code, Score(
            turn.department_code, names.get(turn.department_code, turn.department_code)))]
        if turn.town_code:
            targets.append(board.towns.setdefault(turn.town_code, Score(
                turn.town_code, town_names.get(turn.town_code, turn.town_code))))
        person = staff.get(turn.assignee_staff_id) if turn.assignee_staff_id else None
        if person is not None:
            shown = f"{person.display_name or person.username}（{names.get(person.department_code, '')}）"
            targets.append(board.people.setdefault(person.username, Score(person.username, shown)))
        returned = turn.end == HoldEnd.RETURNED
        justified = returned and bool(turn.return_accepted) and turn.ended_at - turn.started_at <= return_window
        late_by = _late_by(turn, now)
        stood = turn.end == HoldEnd.RESOLVED and not turn.reopened   # the resolution the case ended with
        until = turn.ended_at or now
        urged = sum(1 for urge in urged_on.get(turn.ticket_id, ())
                    if urge.department_code == turn.department_code and turn.started_at <= urge.at <= until)
        for score in targets:
            score.returns += returned
            score.returns_justified += justified
            score.extensions_asked += asked[turn.id]
            score.extensions_granted += granted[turn.id]
            score.urged += urged
            if justified:
                continue
            score.received += 1
            score.overdue += late_by is not None
            if turn.end == HoldEnd.RESOLVED:
                score.resolved += 1
                score.on_time += turn.ended_at <= turn.deadline_at
                score.reopened += turn.reopened
                score.hours_to_resolve.append((turn.ended_at - turn.started_at).total_seconds() / 3600)
            if stood:
                score.closed += turn.status in FINISHED
                if turn.rating:
                    score.rated += 1
                    score.satisfied += turn.rating in (1, 2)
        if late_by is not None and not justified:
            board.overdue_cases.append(OverdueCase(
                turn.number, catalogue.category_name(turn.category_code),
                turn.location_label or turn.place_text or town_names.get(turn.town_code or "", "（未定）"),
                names.get(turn.department_code, turn.department_code), round(late_by.total_seconds() / 86400, 1),
                turn.ended_at is None))
    return board


def _late_by(turn: Any, now: datetime) -> timedelta | None:
    """How far past its deadline the turn ran, if it did: still running, or ended after the deadline."""
    if turn.ended_at is None:
        if turn.status not in CLOCK_STATES:
            return None
        stopped = turn.extension_asked_at or now   # the clock stands still while HQ decides an extension
        return stopped - turn.deadline_at if stopped > turn.deadline_at else None
    if turn.end == HoldEnd.WITHDRAWN:
        return None   # HQ dropped the case as a duplicate or not to be handled
    return turn.ended_at - turn.deadline_at if turn.ended_at > turn.deadline_at else None
