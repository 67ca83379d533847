"""A photo or words soon after 提交: offered to join the ticket just filed ("补充到刚提交的 JY-… 吗？回复 1"), or,
answered otherwise, a new report as always.

The photo or words wait in a draft of their own, in the step ADDING; 1 (or 是, 对, 刚才那个…) adds them to the
ticket, 2 (or 不是, 新的…) keeps them as a new report, and anything that describes a problem simply goes on as one.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from bot import texts
from bot.cases.additions import do_add_to_ticket, may_add_to
from bot.conversation.intents import Intent, intent_of
from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from handlers import image, text, voice
from handlers.draft import take_in
from models import Step, Ticket

YES = {"1", "是", "是的", "对", "对的", "好", "好的", "嗯", "嗯嗯", "要", "需要", "补充", "可以", "行", "确认", "加上"}
NO = {"2", "不", "不是", "不用", "否", "新的", "新问题", "不要", "另一个", "新反映", "不是的"}
# "还有一个情况", "另外…": words that announce a new report.
ANOTHER = re.compile(r"另外|另一|还有一个|还有个|再反映|想反映|要反映|有个情况|又发现|新的问题")
# "这是刚才那个的照片": words that point back at the report just filed.
POINTS_BACK = re.compile(r"刚才|刚刚|刚提交|上一个|上一条|前面那个|同一个|补充")


def photo(turn: Turn) -> Reply:
    """A photo with no draft open: offered to the ticket just filed when it came soon enough, else a new report."""
    image.record_photo(turn)
    ticket = _just_filed(turn)
    return _offer(turn, ticket) if ticket else take_in(turn)


def describe(turn: Turn) -> Reply:
    return _words(turn, text.describe)


def voice_describe(turn: Turn) -> Reply:
    return _words(turn, voice.describe)


def another_photo(turn: Turn) -> Reply:
    """A further photo while the offer waits: it goes with the others."""
    image.record_photo(turn)
    ticket = _ticket(turn)
    return _offer(turn, ticket) if ticket else _as_new_report(turn, take_in)


def answer(turn: Turn) -> Reply:
    """The reply to the offer: add to the ticket, keep as a new report, or go on describing a new problem."""
    words = normalise(turn.inbound.content)
    ticket = _ticket(turn)
    if ticket is None or words in NO:
        return _as_new_report(turn, take_in)
    if words in YES or POINTS_BACK.search(words):
        return _add(turn, ticket)
    intent = intent_of(turn.inbound, turn.catalogue)
    if intent == Intent.DESCRIBE:
        return _as_new_report(turn, text.describe)
    if intent == Intent.VOICE:
        return _as_new_report(turn, voice.describe)
    return Reply(texts.ADDITION_MENU_AGAIN.format(number=ticket.number), Step.ADDING)


def _as_new_report(turn: Turn, handler: Callable[[Turn], Reply]) -> Reply:
    """Not an addition after all: the draft goes on as a new report, as if no ticket had been filed just before."""
    assert turn.draft is not None  # the offer waits on a draft
    turn.draft.step = Step.COLLECTING
    return handler(turn)


def _words(turn: Turn, as_report: Callable[[Turn], Reply]) -> Reply:
    """Words with no draft open: offered to the ticket just filed unless they plainly report another problem."""
    ticket = _just_filed(turn)
    if ticket is None or _another_problem(turn, ticket):
        return as_report(turn)
    text.add_description(turn, turn.inbound.content)
    return _offer(turn, ticket)


def _another_problem(turn: Turn, ticket: Ticket) -> bool:
    """The words announce a new report, name another place, are a whole report of their own (a place and a sure
    category), or are surely a report of another category. Details of the same problem ("摊主戴着红帽子",
    "还占了盲道") are none of these."""
    words = turn.inbound.content
    if ANOTHER.search(normalise(words)):
        return True
    place = turn.catalogue.place_in(words)
    known = f"{ticket.description} {ticket.place_text} {ticket.location_label}"
    if place and place.place_text and place.place_text not in known:
        return True
    result = turn.catalogue.classify(words)
    if not (result.category and result.surely_a_report and result.confidence >= turn.settings.classifier.ask_below):
        return False
    return bool(place) or result.category not in (ticket.category_code, "other")


def _just_filed(turn: Turn) -> Ticket | None:
    """The ticket the resident's last 提交 opened or joined, when that was within the configured minutes."""
    minutes = turn.settings.conversation.late_addition_minutes
    submitted = turn.resident.last_submitted_at
    if not minutes or submitted is None or turn.now - submitted > timedelta(minutes=minutes):
        return None
    return _ticket(turn)


def _ticket(turn: Turn) -> Ticket | None:
    ticket = turn.session.get(Ticket, turn.resident.last_ticket_id) if turn.resident.last_ticket_id else None
    return ticket if may_add_to(ticket) else None


def _offer(turn: Turn, ticket: Ticket) -> Reply:
    draft = turn.draft
    assert draft is not None  # the photo or words were just put in one
    what = texts.addition_summary(draft.photo_count, draft.description)
    return Reply(texts.OFFER_ADDITION.format(number=ticket.number, what=what), Step.ADDING)


def _add(turn: Turn, ticket: Ticket) -> Reply:
    draft = turn.draft
    assert draft is not None  # the offer waits on a draft
    what = texts.addition_summary(draft.photo_count, draft.description)
    do_add_to_ticket(ticket, turn.orm_draft(), now=turn.now, session=turn.session)
    turn.draft = None   # it became part of the ticket (do_add_to_ticket marked it submitted)
    return Reply(texts.ADDED_TO_TICKET.format(number=ticket.number, what=what), Step.IDLE)

