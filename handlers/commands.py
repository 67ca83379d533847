"""Typed commands: 提交, 取消, 帮助, 查询 <编号>, 我的, and the 我要反映 menu."""
from __future__ import annotations

from bot import texts
from bot.cases.deadlines import overdue
from bot.cases.lookups import find_resident_ticket, recent_resident_tickets, ticket_number_in
from bot.cases.reports import Outcome, submit_report
from bot.cases.statuses import status_label
from bot.conversation.intents import QUERY_COMMAND
from bot.conversation.turn import Reply, Turn
from handlers.draft import missing_parts, understand
from handlers.place import conflict_question, where
from models import DraftStatus, PhotoKind, PhotoStatus, Step

MAX_PHOTO_LINKS = 3


def submit(turn: Turn) -> Reply:
    """Open a ticket from a complete draft (or join the open ticket of the same problem), or say what is missing."""
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    missing = missing_parts(draft)
    if missing:
        return Reply(texts.cannot_submit(missing))
    found = where(turn)
    if not found.has_point and found.words is None:  # a place kept from before the words had to resolve
        return Reply(texts.cannot_submit(["location"]))
    if found.conflict:  # the resident says which place is right before it becomes a ticket
        return Reply(conflict_question(turn, found))
    understand(turn)  # the words may have changed since the last summary; the category chosen stays
    submission = submit_report(turn.orm_draft(), catalogue=turn.catalogue, settings=turn.settings, now=turn.now,
                               session=turn.session)
    if submission.outcome == Outcome.LIMITED:
        return Reply(texts.RATE_LIMITED.format(limit=turn.settings.limits.reports_per_hour,
                                               minutes=turn.settings.conversation.draft_timeout_minutes))
    turn.draft = None  # submitted, whether as a ticket of its own or joined to another
    ticket = submission.ticket
    assert ticket is not None  # every outcome but LIMITED comes with its ticket
    turn.resident.last_ticket_id, turn.resident.last_submitted_at = ticket.id, turn.now   # for a late addition
    if submission.outcome in (Outcome.JOINED, Outcome.REPEATED):
        said = texts.ALREADY_REPORTED if submission.outcome == Outcome.REPEATED else texts.JOINED
        return Reply(said.format(count=submission.reporters, number=ticket.number), Step.IDLE)
    catalogue = turn.catalogue
    return Reply(texts.submitted(
        number=ticket.number, category_name=catalogue.category_name(ticket.category_code),
        department_name=catalogue.routing.department_names[ticket.lead_department_code],
        town_name=catalogue.places.town_name(ticket.town_code),
        deadline_local=catalogue.calendar.local(ticket.deadline_at), needs_triage=ticket.needs_triage), Step.IDLE)


def nothing_to_submit(turn: Turn) -> Reply:
    return Reply(texts.NOTHING_TO_SUBMIT)


def cancel(turn: Turn) -> Reply:
    turn.close_draft(DraftStatus.CANCELLED)
    return Reply(texts.CANCELLED, Step.IDLE)


def nothing_to_cancel(turn: Turn) -> Reply:
    return Reply(texts.NOTHING_TO_CANCEL)


def help_(turn: Turn) -> Reply:
    return Reply(texts.HELP)


def start_report(turn: Turn) -> Reply:
    return Reply(texts.START_REPORT)


def query(turn: Turn) -> Reply:
    """Show one ticket's status, only to the resident who reported it."""
    match = QUERY_COMMAND.match(turn.inbound.content)
    if not match:
        return Reply(texts.QUERY_USAGE)
    number = ticket_number_in(match.group(1)) or match.group(1)
    ticket = find_resident_ticket(number, turn.resident.id, session=turn.session)
    if ticket is None:
        return Reply(texts.QUERY_NOT_FOUND.format(number=number))
    catalogue = turn.catalogue
    stored = [p for p in ticket.photos if p.status == PhotoStatus.STORED]
    # Their own photos and the department's after-photos; never another reporter's photos or HQ's check photos.
    own = [p for p in stored if p.kind == PhotoKind.REPORT and p.resident_id == turn.resident.id]
    after = [p for p in stored if p.kind == PhotoKind.AFTER]
    link = turn.photo_url

    def links(photos):
        return [link(p.id) for p in photos][:MAX_PHOTO_LINKS] if link else []

    replies = [event.reply for event in ticket.events if event.reply]
    return Reply(texts.ticket_status(
        number=ticket.number, status_name=status_label(ticket.status), photo_links=links(own),
        department_links=links(after), reply=replies[-1] if replies else "",
        category_name=catalogue.category_name(ticket.category_code),
        department_name=catalogue.routing.department_names[ticket.lead_department_code],
        town_name=catalogue.places.town_name(ticket.town_code),
        deadline_local=catalogue.calendar.local(ticket.deadline_at),
        overdue=overdue(ticket, turn.now)))


def mine(turn: Turn) -> Reply:
    limit = turn.settings.conversation.recent_tickets
    tickets = recent_resident_tickets(turn.resident.id, limit, session=turn.session)
    if not tickets:
        return Reply(texts.NO_TICKETS)
    catalogue = turn.catalogue
    return Reply(texts.ticket_list([(t.number, catalogue.category_name(t.category_code), status_label(t.status),
                                     catalogue.calendar.local(t.deadline_at)) for t in tickets]))
