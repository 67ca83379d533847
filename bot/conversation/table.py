"""The conversation as a table: in each step, which handler answers each intent, and where the dialogue may go next.

    (no draft) ──text/voice/photo/location──▶ collecting ──“提交” (complete)──▶ ticket, no draft
        ▲                                        │  │  ▲
        └──────────── “取消” / 30 min silence ────┘  │  └─ a number picks the category ─┐
                                                     └─ category unsure, or “改为” ──▶ choosing_category

While collecting, a bare number answers the place question (1 the shared point, 2 the place in words) when the
two name different towns; otherwise it only shows the draft again.

    collecting / choosing_category ──words adding a problem of another category──▶ split_offered
    split_offered ──1 / 好的 / 分开──▶ split_agreed ──“提交”──▶ one ticket per problem, no draft
    split_offered / split_agreed ──2 / 不用 / 一起, or “改为”──▶ collecting (one report, as before)

    (no draft, just after 提交) ──photo/words──▶ adding ──1──▶ added to that ticket, no draft
                                                  └──2, or words of a new problem──▶ collecting

Help, query, my tickets, menu clicks, subscribe and unsupported kinds are
fallbacks: they answer the same in every step and leave the draft alone; so are
emergencies (the numbers to call, first) and questions (answered from
data/knowledge.toml). With no draft open, either may offer to file what it
described: a yes (“1”, “是”), a description, a photo or a location takes the
offer up and starts the draft with those words.

Before any of this, staff commands (绑定, 我的待办, 接单, 办结 and its photo …; bot/conversation/staff.py) are
answered and leave the dialogue where it is.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.cases.notices import DELIVER, do_release_waiting
from bot.cases.staff_notices import DELIVER_STAFF, do_release_waiting_staff
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.conversation import staff, store
from bot.conversation.intents import Intent, intent_of
from bot.conversation.turn import Reply, Turn
from bot.infra.db import Jobs
from bot.wechat.redelivery import Delivery
from handlers import (
    additions,
    answers,
    category,
    commands,
    emergency,
    events,
    feedback,
    image,
    location,
    mydata,
    offers,
    several,
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
OFFERED, AGREED = Step.SPLIT_OFFERED, Step.SPLIT_AGREED  # several problems in one report: handlers/several.py

CONVERSATION: dict[Step, dict[Intent, Move]] = {
    Step.IDLE: {
        # Soon after 提交, a photo or words are first offered to the ticket just filed.
        Intent.DESCRIBE: go(additions.describe, COLLECTING, CHOOSING, OFFERED, ADDING),
        Intent.VOICE: go(additions.voice_describe, COLLECTING, CHOOSING, OFFERED, ADDING),
        Intent.PHOTO: go(additions.photo, COLLECTING, CHOOSING, ADDING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(text.greet, IDLE),
        Intent.CHOOSE: go(text.greet, IDLE),
        Intent.RECATEGORISE: go(commands.nothing_to_submit, IDLE),
        Intent.SUBMIT: go(commands.nothing_to_submit, IDLE),
        Intent.CANCEL: go(commands.nothing_to_cancel, IDLE),
        Intent.TAKE_OFFER: go(offers.take_offer, COLLECTING, CHOOSING, IDLE),
    },
    Step.COLLECTING: {
        Intent.DESCRIBE: go(text.describe, COLLECTING, CHOOSING, OFFERED),
        Intent.VOICE: go(voice.describe, COLLECTING, CHOOSING, OFFERED),
        Intent.PHOTO: go(image.add_photo, COLLECTING, CHOOSING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(text.show_draft, COLLECTING, CHOOSING, OFFERED),
        Intent.CHOOSE: go(text.choose_place, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(commands.submit, COLLECTING, IDLE),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    Step.CHOOSING: {
        Intent.DESCRIBE: go(text.describe, COLLECTING, CHOOSING, OFFERED),
        Intent.VOICE: go(voice.describe, COLLECTING, CHOOSING, OFFERED),
        Intent.PHOTO: go(image.add_photo, COLLECTING, CHOOSING),
        Intent.LOCATION: go(location.add_location, COLLECTING, CHOOSING),
        Intent.SMALL_TALK: go(category.show_menu, CHOOSING),
        Intent.CHOOSE: go(category.choose, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(category.choose_first, CHOOSING),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    # Several problems in one report (handlers/several.py). A split step falls back to collecting should the
    # problems no longer be found (a new classifier after a restart).
    Step.SPLIT_OFFERED: {
        Intent.DESCRIBE: go(text.describe, OFFERED, COLLECTING, CHOOSING),
        Intent.VOICE: go(voice.describe, OFFERED, COLLECTING, CHOOSING),
        Intent.PHOTO: go(several.add_photo, OFFERED, COLLECTING),
        Intent.LOCATION: go(several.add_location, OFFERED, COLLECTING),
        Intent.SMALL_TALK: go(several.answer, OFFERED, COLLECTING),
        Intent.CHOOSE: go(several.answer, OFFERED, AGREED, COLLECTING, CHOOSING),
        Intent.SPLIT_ANSWER: go(several.answer, OFFERED, AGREED, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise_as_one, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(several.answer_first, OFFERED, COLLECTING),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    Step.SPLIT_AGREED: {
        Intent.DESCRIBE: go(text.describe, AGREED, COLLECTING, CHOOSING),
        Intent.VOICE: go(voice.describe, AGREED, COLLECTING, CHOOSING),
        Intent.PHOTO: go(several.add_photo, AGREED, COLLECTING),
        Intent.LOCATION: go(several.add_location, AGREED, COLLECTING),
        Intent.SMALL_TALK: go(several.show, AGREED, COLLECTING),
        Intent.CHOOSE: go(several.answer, AGREED, COLLECTING, CHOOSING),
        Intent.SPLIT_ANSWER: go(several.answer, AGREED, COLLECTING, CHOOSING),
        Intent.RECATEGORISE: go(category.recategorise_as_one, COLLECTING, CHOOSING),
        Intent.SUBMIT: go(several.submit, AGREED, COLLECTING, CHOOSING, IDLE),
        Intent.CANCEL: go(commands.cancel, IDLE),
    },
    Step.ADDING: {
        Intent.DESCRIBE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING, OFFERED),
        Intent.VOICE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING, OFFERED),
        Intent.SMALL_TALK: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING, OFFERED),
        Intent.CHOOSE: go(additions.answer, ADDING, IDLE, COLLECTING, CHOOSING, OFFERED),
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
    Intent.EMERGENCY: emergency.answer,
    Intent.QUESTION: answers.answer,
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
        # Kept in the message log (the caller records every delivery), answered politely, not acted on;
        # an emergency still gets the numbers to call.
        if inbound.kind in ("text", "voice") and (words := emergency.words_for(inbound.content, catalogue)):
            return words, []
        return (texts.BLOCKED if inbound.kind != "event" else ""), []
    turn = Turn(inbound, delivery, connection, sessions, jobs, catalogue, settings, resident, draft, now, photo_url)
    # Their message reopened WeChat's 48-hour window.
    if inbound.kind != "event" and resident.has_waiting_notices and do_release_waiting(connection, resident.id, now):
        turn.later(DELIVER)
    if inbound.kind != "event" and resident.staff_id is not None \
            and do_release_waiting_staff(connection, resident.staff_id, now):
        turn.later(DELIVER_STAFF)
    # Staff commands first (handlers/staff.py); they leave the resident's draft as it is.
    staff_reply = staff.answer(turn)
    if staff_reply is not None:
        return staff_reply.text, turn.finish()
    _expire_stale_draft(turn)
    intent = offers.about_offer(turn, several.about_split(turn, intent_of(inbound, catalogue)))
    reply = _answer(turn, intent if intent == Intent.TAKE_OFFER else _about_feedback(turn, intent))
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
                                                          Intent.CHOOSE, Intent.QUESTION):
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
