"""The conversation as a table: in each step, which handler answers each intent, and where the dialogue may go next.

    (no draft) ──text/voice/photo/location──▶ collecting ──“提交” (complete)──▶ ticket, no draft
        ▲                                        │  │  ▲
        └──────────── “取消” / 30 min silence ────┘  │  └─ a number picks the category ─┐
                                                     └─ category unsure, or “改为” ──▶ choosing_category

    (no draft, just after 提交) ──photo/words──▶ adding ──1──▶ added to that ticket, no draft
                                                  └──2, or words of a new problem──▶ collecting

Help, query, my tickets, menu clicks, subscribe and unsupported kinds are
fallbacks: they answer the same in every step and leave the draft alone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.cases.notices import DELIVER, do_release_waiting
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.conversation import store
from bot.conversation.intents import Intent, intent_of
from bot.conversation.turn import Reply, Turn
from bot.infra.db import Jobs
from bot.wechat.redelivery import Delivery
from handlers import (
    additions,
    category,
    commands,
    events,
    feedback,
    image,
    location,
    mydata,
    text,
    unsupported,
    voice,
)
from models import DraftStatus, Step, utcnow

Handler = Callable[[Turn], Reply]


@dataclass(frozen=True)
class Move:
    """A handler and the steps it may leave the dialogue in (its Reply says which)."""

    handler: Handler
    to: frozenset[Step]


def go(handler: Handler, *steps: Step) -> Move:
    return Move(handler, frozenset(steps))


COLLECTING, CHOOSING, IDLE, ADDING = Step.COLLECTING, Step.CHOOSING, Step.IDLE, Step.ADDING

CONVERSATION: dict[Step, dict[Intent, Move]] = {
    Step.IDLE: {
        # Soon after 提交, a photo or words are first offered to the ticket just filed.
        Intent.DESCRIBE: go(additions.describe, COLLECTING, CHOOSING, ADDING),
        Intent.VOICE: go(additions.voice_describe, COLLECTING, CHOOSING, ADDING),
        Intent.PHOTO: go(additions.photo, COLLECTING, CHOOSING, ADDING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(text.greet, IDLE),
        Intent.CHOOSE: go(text.greet, IDLE),
        Intent.RECATEGORISE: go(commands.nothing_to_submit, IDLE),
        Intent.SUBMIT: go(commands.nothing_to_submit, IDLE),
        Intent.CANCEL: go(commands.nothing_to_cancel, IDLE),
    },
    Step.COLLECTING: {
        Intent.DESCRIBE: go(text.describe, COLLECTING, CHOOSING),
        Intent.VOICE: go(voice.describe, COLLECTING, CHOOSING),
        Intent.PHOTO: go(image.add_photo, COLLECTING, CHOOSING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(text.show_draft, COLLECTING, CHOOSING),
        Intent.CHOOSE: go(text.show_draft, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(commands.submit, COLLECTING, IDLE),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    Step.CHOOSING: {
        Intent.DESCRIBE: go(text.describe, COLLECTING, CHOOSING),
        Intent.VOICE: go(voice.describe, COLLECTING, CHOOSING),
        Intent.PHOTO: go(image.add_photo, COLLECTING, CHOOSING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(category.show_menu, CHOOSING),
        Intent.CHOOSE: go(category.choose, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(category.choose_first, CHOOSING),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    Step.ADDING: {
        Intent.DESCRIBE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING),
        Intent.VOICE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING),
        Intent.CHOOSE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING),
        Intent.PHOTO: go(additions.another_photo, ADDING, COLLECTING, CHOOSING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(commands.submit, ADDING, COLLECTING, IDLE),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
}

# Answered the same in every step; they leave the dialogue where it is, except erasing, which ends the draft too.
FALLBACKS: dict[Intent, Handler] = {
    Intent.HELP: commands.help_,
    Intent.QUERY: commands.query,
    Intent.MINE: commands.mine,
    Intent.START_REPORT: commands.start_report,
    Intent.EMPTY_VOICE: voice.empty,
    Intent.SUBSCRIBE: events.subscribe,
    Intent.UNSUBSCRIBE: events.unsubscribe,
    Intent.IGNORE: events.ignore,
    Intent.UNSUPPORTED: unsupported.unsupported,
    Intent.RATE: feedback.rate,
    Intent.MY_DATA: mydata.my_data,
    Intent.ERASE: mydata.ask_erase,
    Intent.ERASE_CONFIRM: mydata.confirm_erase,
    Intent.REASON: feedback.reason,
}


def respond(delivery: Delivery, connection: Connection, *, sessions: sessionmaker[Session], jobs: Jobs,
            catalogue: CatalogueSnapshot, settings: Settings,
            photo_url: Callable[[int], str] | None = None) -> tuple[str, list[Callable[[], None]]]:
    """Answer one first-time delivery inside the caller's transaction: the reply text, and what to run after commit."""
    inbound = delivery.inbound
    now = utcnow()
    resident_id = store.find_resident(connection, inbound.openid, now, seen=inbound.kind != "event")
    resident, draft = store.load_turn(connection, resident_id)
    if resident.blocked:
        # Kept in the message log (the caller records every delivery), answered politely, not acted on.
        return (texts.BLOCKED if inbound.kind != "event" else ""), []
    turn = Turn(inbound, delivery, connection, sessions, jobs, catalogue, settings, resident, draft, now, photo_url)
    # Their message reopened WeChat's 48-hour window.
    if inbound.kind != "event" and resident.has_waiting_notices and do_release_waiting(connection, resident.id, now):
        turn.later(DELIVER)
    _expire_stale_draft(turn)
    reply = _answer(turn, _about_feedback(turn, intent_of(inbound, catalogue)))
    if turn.draft is not None:
        turn.draft.updated_at = now
    effects = turn.finish()
    return ("\n\n".join([*turn.notices, reply.text]) if reply.text else "\n\n".join(turn.notices)), effects


def _answer(turn: Turn, intent: Intent) -> Reply:
    """Run the handler the table names and move the dialogue to the step it answers with."""
    move = CONVERSATION[turn.step].get(intent)
    if move is None:
        return FALLBACKS[intent](turn)
    before = turn.step
    reply = move.handler(turn)
    after = reply.step or before
    if after not in move.to:
        raise RuntimeError(f"{move.handler.__qualname__} went from {before} to {after}, which the table does not allow")
    if (after == Step.IDLE) != (turn.draft is None):
        raise RuntimeError(f"{move.handler.__qualname__} left the draft {'open' if turn.draft else 'closed'} "
                           f"in step {after}")
    if turn.draft is not None:
        turn.draft.step = after
    return reply


def _about_feedback(turn: Turn, intent: Intent) -> Intent:
    """A rating or the reason for 不满意 outranks what the same words would mean otherwise,
    except while a category menu or the offer to add to a ticket waits for its answer."""
    if turn.resident.reason_for_ticket_id and intent in (Intent.DESCRIBE, Intent.VOICE, Intent.SMALL_TALK,
                                                          Intent.CHOOSE):
        return Intent.REASON
    if (intent in (Intent.CHOOSE, Intent.SMALL_TALK, Intent.DESCRIBE, Intent.VOICE)
            and turn.step not in (Step.CHOOSING, Step.ADDING) and feedback.heard_as_rating(turn, intent)):
        return Intent.RATE
    return intent


def _expire_stale_draft(turn: Turn) -> None:
    minutes = turn.settings.conversation.draft_timeout_minutes
    if turn.draft and turn.now - turn.draft.updated_at > timedelta(minutes=minutes):
        turn.close_draft(DraftStatus.EXPIRED)
        turn.notices.append(texts.DRAFT_EXPIRED.format(minutes=minutes))
