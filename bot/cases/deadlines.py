"""Deadlines at work (限期整改): flag tickets about to fall due, escalate overdue ones to HQ; nothing dropped."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.ratings import do_decide_unanswered
from bot.cases.staff_notices import StaffNoticeKind, do_queue_staff_notices
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES
from bot.cases.workflow import do_flag
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Ticket, TicketStatus

log = logging.getLogger(__name__)


class Clocked(Protocol):
    """What overdue() reads: a Ticket, or a row of these columns (the scoreboard reads rows)."""

    @property
    def status(self) -> TicketStatus: ...
    @property
    def deadline_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def extension_asked_at(self) -> datetime | None: ...


def overdue(ticket: Clocked, now: datetime) -> bool:
    """Past the deadline of the department that holds it, or resolved after it; not while it waits on HQ
    (held, returned, or an extension awaiting HQ's decision, during which the clock stands still)."""
    if ticket.status in OPEN_STATES:
        stopped = ticket.extension_asked_at
        return ticket.status in CLOCK_STATES and ticket.deadline_at < (stopped or now)
    return ticket.resolved_at is not None and ticket.resolved_at > ticket.deadline_at


def do_check_deadlines(now: datetime, warn_within: timedelta, *, session: Session,
                       catalogue: CatalogueSnapshot | None = None) -> tuple[int, int]:
    """Return (warned, escalated). Each ticket is warned once and escalated once; the events say so, and the staff
    who work a ticket due soon hear of it (once per department's turn)."""
    running = list(CLOCK_STATES)
    # Every job worker runs this check: rows another worker is flagging right now are its to flag, not ours.
    due_soon = session.scalars(select(Ticket).where(
        Ticket.status.in_(running), Ticket.extension_asked_at.is_(None), Ticket.warned_at.is_(None),
        Ticket.deadline_at >= now,
        Ticket.deadline_at < now + warn_within).with_for_update(skip_locked=True)).all()
    for ticket in due_soon:
        ticket.warned_at = now
        do_flag(ticket, "即将到期，请抓紧处置", now=now, session=session)
        do_queue_staff_notices(ticket, StaffNoticeKind.DUE_SOON, now=now, session=session, catalogue=catalogue)
    overdue = session.scalars(select(Ticket).where(
        Ticket.status.in_(running), Ticket.extension_asked_at.is_(None), Ticket.escalated_at.is_(None),
        Ticket.deadline_at < now)
        .with_for_update(skip_locked=True)).all()
    for ticket in overdue:
        ticket.escalated_at = now
        ticket.warned_at = ticket.warned_at or now
        do_flag(ticket, "已超过处理时限，升级至区创城指挥部督办", now=now, session=session)
    if due_soon or overdue:
        log.info("deadlines: %d due soon, %d escalated as overdue", len(due_soon), len(overdue))
    return len(due_soon), len(overdue)


def do_close_unanswered(now: datetime, answer_within: timedelta, *, session: Session,
                        catalogue: CatalogueSnapshot | None = None) -> int:
    """Resolutions whose reporters did not all answer in time are decided with the answers given: verified and
    closed, or reopened when someone said it was not fixed (bot/cases/ratings.py; reopening reads the catalogue)."""
    return do_decide_unanswered(now, answer_within, session=session, catalogue=catalogue)
