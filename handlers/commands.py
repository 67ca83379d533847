"""Typed commands: 提交, 取消, 帮助, 查询 <编号>, 我的, and the 我要反映 menu."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import logging

from bot import texts
from bot.cases.limits import reports_in_last_hour
from bot.cases.duplicates import do_join, find_duplicate
from bot.infra.observability import ticket_number
from bot.cases.workflow import OPEN_STATES
from bot.cases.tickets import do_open_ticket, find_resident_ticket, recent_resident_tickets
from handlers.draft import missing_parts, understand
from models import DraftStatus

if TYPE_CHECKING:
    from bot.conversation.table import Turn

MAX_PHOTO_LINKS = 3
log = logging.getLogger(__name__)
QUERY_COMMAND = re.compile(r"^\s*查询\s*[:：]?\s*(\S+)\s*$")


def submit(turn: Turn) -> str:
    """Open a ticket from a complete draft, or say what is missing."""
    draft = turn.draft
    missing = missing_parts(draft)
    if missing:
        return texts.cannot_submit(missing)
    understand(turn)
    knowledge = turn.knowledge
    limit = turn.settings["limits"]["reports_per_hour"]
    if reports_in_last_hour(turn.resident.id, turn.now, session=turn.session) >= limit:
        return texts.RATE_LIMITED.format(limit=limit)
    hold = knowledge.screen.reason_to_hold(draft.description)
    if not hold:
        found = find_duplicate(draft, draft.category_code or "other", turn.now, turn.settings, session=turn.session)
        if found:
            ticket, reason = found
            count, again = do_join(draft, ticket, reason, turn.now, session=turn.session)
            turn.draft = None
            log.info("report joined %s (%d reporters, %s)", ticket.number, count, reason)
            return (texts.ALREADY_REPORTED if again else texts.JOINED).format(count=count, number=ticket.number)
    ticket = do_open_ticket(draft, knowledge=knowledge, now=turn.now, session=turn.session, hold_reason=hold)
    ticket_number.set(ticket.number)
    log.info("ticket opened: %s to %s", ticket.category_code, ticket.lead_department_code)
    turn.draft = None
    turn.enqueue("ticket_opened", ticket.id)
    return texts.submitted(
        number=ticket.number, category_name=knowledge.category_name(ticket.category_code),
        department_name=knowledge.routing.department_names[ticket.lead_department_code],
        town_name=knowledge.places.town_name(ticket.town_code),
        deadline_local=knowledge.calendar.local(ticket.deadline_at), needs_triage=ticket.needs_triage)


def nothing_to_submit(turn: Turn) -> str:
    return texts.NOTHING_TO_SUBMIT


def cancel(turn: Turn) -> str:
    turn.close_draft(DraftStatus.CANCELLED)
    return texts.CANCELLED


def nothing_to_cancel(turn: Turn) -> str:
    return texts.NOTHING_TO_CANCEL


def help_(turn: Turn) -> str:
    return texts.HELP


def start_report(turn: Turn) -> str:
    return texts.START_REPORT


def query(turn: Turn) -> str:
    """Show one ticket's status, only to the resident who reported it."""
    match = QUERY_COMMAND.match(turn.inbound.content)
    if not match:
        return texts.QUERY_USAGE
    number = match.group(1)
    ticket = find_resident_ticket(number, turn.resident.id, session=turn.session)
    if ticket is None:
        return texts.QUERY_NOT_FOUND.format(number=number)
    knowledge = turn.knowledge
    links = [turn.photo_url(p.id) for p in ticket.photos if p.status == "stored"][:MAX_PHOTO_LINKS] \
        if turn.photo_url else []
    return texts.ticket_status(
        number=ticket.number, status=ticket.status.value, photo_links=links,
        category_name=knowledge.category_name(ticket.category_code),
        department_name=knowledge.routing.department_names[ticket.lead_department_code],
        town_name=knowledge.places.town_name(ticket.town_code),
        deadline_local=knowledge.calendar.local(ticket.deadline_at),
        overdue=ticket.deadline_at < turn.now and ticket.status in OPEN_STATES)


def mine(turn: Turn) -> str:
    limit = turn.settings["conversation"]["recent_tickets"]
    tickets = recent_resident_tickets(turn.resident.id, limit, session=turn.session)
    if not tickets:
        return texts.NO_TICKETS
    knowledge = turn.knowledge
    return texts.ticket_list([(t.number, knowledge.category_name(t.category_code), t.status.value,
                               knowledge.calendar.local(t.deadline_at)) for t in tickets])
