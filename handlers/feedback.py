"""The resident's say on a resolved ticket, in the chat: a rating in their own words (asked again once when unclear),
and why when it is not fixed. Every resident attached to the ticket answers for themselves; bot/cases/ratings.py
records each answer and applies the rule that closes or reopens the ticket."""
from __future__ import annotations

from bot import texts
from bot.cases.ratings import Verdict, awaiting, do_ask_again, do_give_reason, do_rate
from bot.conversation.intents import Intent
from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from bot.understanding.ratings import rating_in
from handlers.text import THANKS, greet
from models import Step, Ticket

VERIFIED_BY_RESIDENT = "市民确认已解决"
# Words that read as a report count as a rating only when short ("又来了", "花塔村那个摊还在摆"): a longer
# message is a new report, whatever words of satisfaction it holds.
SHORT_ANSWER_CHARS = 20


def heard_as_rating(turn: Turn, intent: Intent) -> bool:
    """Whether the message answers the rating one of the resident's resolved tickets waits for: its words give a
    rating, or it is small talk while no draft is open (then the question is asked again, once)."""
    words = turn.inbound.content
    if intent in (Intent.DESCRIBE, Intent.VOICE) and len(normalise(words)) > SHORT_ANSWER_CHARS:
        return False
    if rating_in(words) is None and (intent not in (Intent.SMALL_TALK, Intent.CHOOSE) or turn.step != Step.IDLE):
        return False
    return awaiting(turn.resident.id, session=turn.session) is not None


def rate(turn: Turn) -> Reply:
    ticket = awaiting(turn.resident.id, session=turn.session)
    assert ticket is not None  # the table routes a rating here only when a ticket awaits one
    rating = rating_in(turn.inbound.content)
    if rating is None:
        if not do_ask_again(ticket, turn.resident.id, now=turn.now, session=turn.session):
            return greet(turn)   # asked twice already: the answer window's end decides
        thanked = any(word in turn.inbound.content.lower() for word in THANKS)
        return Reply((texts.YOU_ARE_WELCOME if thanked else "") + texts.ASK_RATING_AGAIN.format(number=ticket.number))
    verdict = do_rate(ticket, turn.resident.id, rating, now=turn.now, session=turn.session, catalogue=turn.catalogue)
    if verdict == Verdict.ASK_REASON:
        turn.resident.reason_for_ticket_id = ticket.id
        return Reply(texts.ASK_REASON)
    return Reply(_outcome(verdict, ticket))


def reason(turn: Turn) -> Reply:
    """The words after 不满意: they reopen the ticket, send it to HQ's review, or join its history."""
    ticket = turn.session.get(Ticket, turn.resident.reason_for_ticket_id)
    assert ticket is not None  # the table routes here only while the resident owes a reason for their ticket
    turn.resident.reason_for_ticket_id = None
    verdict = do_give_reason(ticket, turn.resident.id, turn.inbound.content, now=turn.now, session=turn.session,
                             catalogue=turn.catalogue)
    return Reply(_outcome(verdict, ticket))


def _outcome(verdict: Verdict, ticket: Ticket) -> str:
    said = {Verdict.CLOSED: texts.RATED, Verdict.WAITING: texts.RATED_OTHERS_TO_ANSWER,
            Verdict.REOPENED: texts.REOPENED_BY_RESIDENT, Verdict.REVIEW: texts.REVIEW_BY_HQ,
            Verdict.NOTED: texts.REASON_NOTED}[verdict]
    return said.format(number=ticket.number)
