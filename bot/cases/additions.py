"""A resident's late addition to the ticket they just filed: photos and words that came soon after 提交 join it,
as an event in its history the department sees (and a push to its WeCom group robot, when it has one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.cases.statuses import STATUSES, Stage
from bot.infra.db import enqueue_after_commit
from models import Draft, DraftStatus, Ticket, TicketEvent

TICKET_ADDITION = "ticket_addition"   # the job that tells the department (bot/tasks.py, bot/notify/departments.py)
ADDITION = "addition"                 # the event's action
WORDS_CHARS = 500


def may_add_to(ticket: Ticket | None) -> bool:
    """A ticket still being worked (or awaiting its reporters' verdict) can take an addition."""
    return ticket is not None and STATUSES[ticket.status].stage in (Stage.OPEN, Stage.RESOLVED)


def do_add_to_ticket(ticket: Ticket, draft: Draft, *, now: datetime, session: Session) -> TicketEvent:
    """Attach the draft's photos and words to the ticket as the resident's addition; the draft is done."""
    words = " ".join(draft.description.split())[:WORDS_CHARS]
    photos = list(draft.photos)
    said = [f"市民补充：{words}"] if words else []
    if photos:
        said.append(f"市民补充照片 {len(photos)} 张")
    event = TicketEvent(ticket_id=ticket.id, at=now, actor="resident", from_status=ticket.status,
                        to_status=ticket.status, reason="；".join(said) or "市民补充", action=ADDITION,
                        photos=photos)   # given before the flush: the event's seal covers its photos
    session.add(event)
    session.flush()
    for photo in photos:
        photo.ticket_id = ticket.id
    draft.status, draft.updated_at = DraftStatus.SUBMITTED, now
    ticket.updated_at = now
    enqueue_after_commit(session, TICKET_ADDITION, ticket.id, event.id)
    return event
