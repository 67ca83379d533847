"""The resident's say on a resolved ticket: 1 满意, 2 基本满意, 3 不满意 (and why), in the chat."""
from __future__ import annotations

from sqlalchemy import select

from bot import texts
from bot.cases.workflow import RESIDENT, SYSTEM_ACTOR, Actor, Inputs, do_flag, do_transition
from bot.conversation.intents import rating_of
from bot.conversation.turn import Reply, Turn
from models import Ticket, TicketStatus

VERIFIED_BY_RESIDENT = "市民确认已解决"


def awaiting_rating(turn: Turn) -> Ticket | None:
    """The resident's latest resolved ticket that asked for their rating and has none yet."""
    return turn.session.scalar(select(Ticket).where(
        Ticket.resident_id == turn.resident.id, Ticket.status == TicketStatus.RESOLVED,
        Ticket.feedback_requested_at.is_not(None), Ticket.rating.is_(None)).order_by(Ticket.resolved_at.desc()))


def _resident_actor(turn: Turn) -> Actor:
    return Actor("resident", "", RESIDENT, "", resident_id=turn.resident.id)


def rate(turn: Turn) -> Reply:
    ticket = awaiting_rating(turn)
    assert ticket is not None  # the table routes a rating here only when a ticket awaits one
    rating = rating_of(turn.inbound.content)
    ticket.rating, ticket.rated_at = rating, turn.now
    if rating == 3:
        turn.resident.reason_for_ticket_id = ticket.id
        return Reply(texts.ASK_REASON)
    do_transition(ticket, _resident_actor(turn), "verify", now=turn.now, session=turn.session,
                  inputs=Inputs(note=f"{VERIFIED_BY_RESIDENT}（{'满意' if rating == 1 else '基本满意'}）"))
    do_transition(ticket, SYSTEM_ACTOR, "close", now=turn.now, session=turn.session,
                  inputs=Inputs(note="市民评价后结案"))
    return Reply(texts.RATED.format(number=ticket.number))


def reason(turn: Turn) -> Reply:
    """The words after 不满意: reopen to HQ the first time; a second time, ask HQ to review instead."""
    ticket = turn.session.get(Ticket, turn.resident.reason_for_ticket_id)
    assert ticket is not None  # the table routes here only while the resident owes a reason for their ticket
    turn.resident.reason_for_ticket_id = None
    words = turn.inbound.content.strip()[:500]
    ticket.rating_reason = words
    if ticket.reopen_count == 0 and ticket.status == TicketStatus.RESOLVED:
        do_transition(ticket, _resident_actor(turn), "reopen", now=turn.now, session=turn.session,
                      inputs=Inputs(note=f"市民不满意：{words}"), catalogue=turn.catalogue)
        return Reply(texts.REOPENED_BY_RESIDENT.format(number=ticket.number))
    ticket.needs_triage = True
    ticket.feedback_requested_at = None  # HQ decides now; the no-answer timeout must not close it
    do_flag(ticket, f"市民再次不满意：{words}。请指挥部复核", now=turn.now, session=turn.session,
            actor="resident")
    return Reply(texts.REVIEW_BY_HQ.format(number=ticket.number))
