"""Department and town scores (谁丢分、谁受责) over a period: received, closed, on time, overdue, speed, reopens."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from bot.cases.statuses import OPEN_STATES, Stage, states_in
from models import Ticket, TicketStatus

S = TicketStatus
DONE = states_in(Stage.RESOLVED, Stage.FINISHED)   # the department's work is done
FINISHED = states_in(Stage.FINISHED)
# A ticket's figures as compute_scores selects them: lead, town, status, created, deadline, resolved, escalated,
# reopens, rating.
TicketFigures = Row[str, str | None, TicketStatus, datetime, datetime, datetime | None, datetime | None, int,
                    int | None]


@dataclass
class Score:
    key: str
    name: str
    received: int = 0
    closed: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue: int = 0
    reopened: int = 0
    hours_to_resolve: list[float] = field(default_factory=list)
    rated: int = 0
    satisfied: int = 0                  # rated 1 满意 or 2 基本满意

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.received if self.received else None

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.hours_to_resolve) if self.hours_to_resolve else None


def compute_scores(start: datetime, end: datetime, now: datetime, *, session: Session,
                   department_names: dict[str, str], town_names: dict[str, str]) -> tuple[list[Score], list[Score]]:
    """Scores per lead department and per town for tickets received in [start, end) (naive UTC)."""
    rows = session.execute(select(
        Ticket.lead_department_code, Ticket.town_code, Ticket.status, Ticket.created_at, Ticket.deadline_at,
        Ticket.resolved_at, Ticket.escalated_at, Ticket.reopen_count, Ticket.rating).where(
        Ticket.created_at >= start, Ticket.created_at < end, Ticket.status != S.MERGED))
    departments: dict[str, Score] = {}
    towns: dict[str, Score] = {}
    for row in rows:
        targets = [departments.setdefault(row.lead_department_code, Score(
            row.lead_department_code, department_names.get(row.lead_department_code, row.lead_department_code)))]
        if row.town_code:
            targets.append(towns.setdefault(row.town_code, Score(row.town_code,
                                                                 town_names.get(row.town_code, row.town_code))))
        for score in targets:
            _count(score, row, now)
    order = lambda score: (-(score.received), score.key)  # noqa: E731
    return sorted(departments.values(), key=order), sorted(towns.values(), key=order)


def _count(score: Score, row: TicketFigures, now: datetime) -> None:
    score.received += 1
    if row.status in FINISHED:
        score.closed += 1
    if row.resolved_at and row.status in DONE:
        score.resolved += 1
        score.on_time += row.resolved_at <= row.deadline_at
        score.hours_to_resolve.append((row.resolved_at - row.created_at).total_seconds() / 3600)
    late_open = row.status in OPEN_STATES and row.deadline_at < now
    late_done = row.resolved_at is not None and row.resolved_at > row.deadline_at
    score.overdue += bool(late_open or late_done or row.escalated_at)
    score.reopened += row.reopen_count > 0
    if row.rating:
        score.rated += 1
        score.satisfied += row.rating in (1, 2)
