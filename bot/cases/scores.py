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
BATCH = 5000                                       # rows fetched at a time: memory stays flat however long the period


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
                      board.overdue_cases, urged, board.overdue_turns, board.overdue_still_open)


def _totals(start: datetime, end: datetime, now: datetime, *, session: Session,
            catalogue: CatalogueSnapshot) -> tuple[Totals, list[tuple[str, int]]]:
    """The district's figures for the reports received in the period."""
    totals = Totals()
    by_category: dict[str, int] = defaultdict(int)
    # Only the columns counted, as plain rows (Core, on the session's connection: no ORM loading) streamed in
    # batches: a month of a busy district is tens of thousands of tickets, and whole ORM objects cost more to build
    # than everything counted from them.
    tickets = session.connection().execute(
        select(Ticket.category_code, Ticket.status, Ticket.held, Ticket.lead_department_code, Ticket.resolved_at,
               Ticket.deadline_at, Ticket.extension_asked_at, Ticket.rating)
        .where(Ticket.created_at >= start, Ticket.created_at < end).execution_options(yield_per=BATCH))
    for ticket in tickets:
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


# A turn that ran late: days late (as the 通报 rounds them), when it began, hold, ticket, department, still open.
_Late = tuple[float, datetime, int, int, str, bool]


class _Board:
    def __init__(self) -> None:
        self.departments: dict[str, Score] = {}
        self.towns: dict[str, Score] = {}
        self.people: dict[str, Score] = {}
        self.overdue_cases: list[OverdueCase] = []
        self.overdue_turns = self.overdue_still_open = 0


def _score(scores: dict[str, Score], key: str, name: str) -> Score:
    """The row for key, begun the first time it is charged."""
    score = scores.get(key)
    if score is None:
        score = scores[key] = Score(key, name)
    return score


def _turns(start: datetime, end: datetime, now: datetime, urges: list[Any], *, session: Session,
           catalogue: CatalogueSnapshot, return_window: timedelta) -> _Board:
    """Charge each turn begun in the period to its department, its ticket's town and its assignee."""
    names, town_names = catalogue.routing.department_names, catalogue.routing.town_names
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
    # Every account (a district has hundreds), so the turns can be read as a stream: username and shown name by id.
    people = {person.id: (person.username, f"{person.display_name or person.username}"
                                           f"（{names.get(person.department_code, '')}）")
              for person in session.execute(select(StaffAccount.id, StaffAccount.username, StaffAccount.display_name,
                                                   StaffAccount.department_code))}
    board = _Board()
    late_turns: list[_Late] = []
    # The columns the figures need, as plain rows streamed like the tickets above; what the 通报 shows of an overdue
    # ticket is read for the worst only.
    turns = session.connection().execute(
        select(Hold.id, Hold.department_code, Hold.assignee_staff_id, Hold.started_at, Hold.deadline_at,
               Hold.ended_at, Hold.end, Hold.return_accepted, Hold.reopened, Hold.ticket_id,
               Ticket.status, Ticket.town_code, Ticket.extension_asked_at, Ticket.rating)
        .join(Ticket, Ticket.id == Hold.ticket_id)
        .where(Hold.started_at >= start, Hold.started_at < end).execution_options(yield_per=BATCH))
    for (hold_id, department, assignee, started, deadline, ended, outcome, return_accepted, reopened, ticket_id,
         status, town, extension_asked_at, rating) in turns:   # unpacked: a row's attributes cost more to read
        targets = [_score(board.departments, department, names.get(department, department))]
        if town:
            targets.append(_score(board.towns, town, town_names.get(town) or town))
        person = people.get(assignee) if assignee else None
        if person is not None:
            targets.append(_score(board.people, *person))
        # A resolved or returned turn always has ended_at; `ended is not None` says so to the type checker.
        returned = outcome == HoldEnd.RETURNED
        justified = returned and bool(return_accepted) and ended is not None and ended - started <= return_window
        late_by = _late_by(status, deadline, ended, outcome, extension_asked_at, now)
        resolved = outcome == HoldEnd.RESOLVED and ended is not None
        stood = resolved and not reopened   # the resolution the case ended with
        until = ended or now
        urged = sum(1 for urge in urged_on.get(ticket_id, ())
                    if urge.department_code == department and started <= urge.at <= until)
        extensions_asked, extensions_granted = asked.get(hold_id, 0), granted.get(hold_id, 0)
        for score in targets:
            score.returns += returned
            score.returns_justified += justified
            score.extensions_asked += extensions_asked
            score.extensions_granted += extensions_granted
            score.urged += urged
            if justified:
                continue
            score.received += 1
            score.overdue += late_by is not None
            if resolved and ended is not None:
                score.resolved += 1
                score.on_time += ended <= deadline
                score.reopened += reopened
                score.hours_to_resolve.append((ended - started).total_seconds() / 3600)
            if stood:
                score.closed += status in FINISHED
                if rating:
                    score.rated += 1
                    score.satisfied += rating in (1, 2)
        if late_by is not None and not justified:
            late_turns.append((round(late_by.total_seconds() / 86400, 1), started, hold_id, ticket_id, department,
                               ended is None))
    board.overdue_cases = _worst_overdue(late_turns, session=session, catalogue=catalogue)
    board.overdue_turns, board.overdue_still_open = len(late_turns), sum(late[5] for late in late_turns)
    return board


def _worst_overdue(late_turns: list[_Late], *, session: Session, catalogue: CatalogueSnapshot) -> list[OverdueCase]:
    """The WORST_OVERDUE turns that ran furthest past their deadlines (equal ones in the order they began), with
    what the 通报 shows of their tickets."""
    worst = sorted(late_turns, key=lambda late: (-late[0], late[1], late[2]))[:WORST_OVERDUE]
    tickets = {ticket.id: ticket for ticket in session.execute(
        select(Ticket.id, Ticket.number, Ticket.category_code, Ticket.location_label, Ticket.place_text,
               Ticket.town_code).where(Ticket.id.in_({late[3] for late in worst})))}
    names, town_names = catalogue.routing.department_names, catalogue.routing.town_names
    cases = []
    for days, _, _, ticket_id, department, still_open in worst:
        ticket = tickets[ticket_id]
        cases.append(OverdueCase(
            ticket.number, catalogue.category_name(ticket.category_code),
            ticket.location_label or ticket.place_text or town_names.get(ticket.town_code or "", "（未定）"),
            names.get(department, department), days, still_open))
    return cases


def _late_by(status: TicketStatus, deadline: datetime, ended: datetime | None, end: HoldEnd | None,
             extension_asked_at: datetime | None, now: datetime) -> timedelta | None:
    """How far past its deadline the turn ran, if it did: still running, or ended after the deadline."""
    if ended is None:
        if status not in CLOCK_STATES:
            return None
        stopped = extension_asked_at or now   # the clock stands still while HQ decides an extension
        return stopped - deadline if stopped > deadline else None
    if end == HoldEnd.WITHDRAWN:
        return None   # HQ dropped the case as a duplicate or not to be handled
    return ended - deadline if ended > deadline else None
