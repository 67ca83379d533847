"""Submit a report, whatever the channel: the per-hour limit, moderation, duplicates, then a routed ticket."""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases.duplicates import do_join, do_split, find_duplicate
from bot.cases.flooding import flood_reason
from bot.cases.tickets import BY_CHAT, do_open_ticket
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.infra.observability import ticket_number
from models import Draft, Ticket, TicketReporter

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    OPENED = "opened"        # a new ticket, routed (or in HQ's triage when the route is unclear)
    HELD = "held"            # a new ticket that waits for HQ's review: it looked like spam or abuse
    JOINED = "joined"        # the problem already has an open ticket: the resident joined it
    REPEATED = "repeated"    # the resident had reported that open ticket already
    LIMITED = "limited"      # over the per-hour limit: nothing opened, the draft is kept


@dataclass(frozen=True)
class Submission:
    outcome: Outcome
    ticket: Ticket | None = None
    reporters: int = 1       # how many residents have reported the ticket


def submit_report(draft: Draft, *, catalogue: CatalogueSnapshot, settings: Settings, now: datetime,
                  session: Session, received: str = BY_CHAT) -> Submission:
    """Turn a complete draft into a ticket, or join it to the open ticket of the same problem.

    Every channel calls this, so none skips a rule; `received` says which in the new ticket's first event. The draft
    must be complete (tickets.IncompleteDraft otherwise).
    """
    limit = settings.limits.reports_per_hour
    if reports_in_last_hour(draft.resident_id, now, session=session) >= limit:
        return Submission(Outcome.LIMITED)
    hold = catalogue.screen.reason_to_hold(draft.description, draft.category_code)
    if not hold:
        found = find_duplicate(draft, draft.category_code or "other", now, settings, session=session)
        if found:
            ticket, reason = found
            ticket_number.set(ticket.number)
            count, again = do_join(draft, ticket, reason, now, session=session)
            log.info("report joined %s (%d reporters, %s)", ticket.number, count, reason)
            return Submission(Outcome.REPEATED if again else Outcome.JOINED, ticket, count)
        # Repetition is flooding across reports and time, not within one message; a repeat that joins is harmless.
        hold = flood_reason(draft, catalogue.screen, now, session=session)
    ticket = do_open_ticket(draft, catalogue=catalogue, now=now, session=session, hold_reason=hold,
                            received=received)
    ticket_number.set(ticket.number)
    log.info("ticket opened: %s %s to %s", ticket.number, ticket.category_code, ticket.lead_department_code)
    return Submission(Outcome.HELD if hold else Outcome.OPENED, ticket)


def split_reporter(reporter: TicketReporter, *, catalogue: CatalogueSnapshot, now: datetime,
                   session: Session) -> Ticket:
    """HQ undoes a wrong join: that reporter's report becomes a ticket of its own, opened as any report is."""
    return do_open_ticket(do_split(reporter, session=session), catalogue=catalogue, now=now, session=session)


def reports_in_last_hour(resident_id: int, now: datetime, *, session: Session) -> int:
    return session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.resident_id == resident_id, Ticket.created_at > now - timedelta(hours=1))).scalar_one()
