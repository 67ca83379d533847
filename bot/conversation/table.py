"""The conversation as a table: which handler answers each kind of input in each step of a resident's draft.

    (no draft) ──text/voice/photo/location──▶ collecting ──“提交” (complete)──▶ ticket, no draft
        ▲                                        │  │  ▲
        └──────────── “取消” / 30 min silence ────┘  │  └─ a number picks the category ─┐
                                                     └─ category unsure, or “改为” ──▶ choosing_category

Help, query, my tickets, menu clicks, subscribe and unsupported kinds are
fallbacks: they answer the same in every step and leave the draft alone.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import texts
from bot.understanding.features import normalise
from bot.wechat.redelivery import Delivery
from bot.catalogue.snapshot import Knowledge
from bot.notify.residents import do_release_waiting
from bot.wechat.inbound import Inbound
from handlers import category, commands, events, feedback, image, location, mydata, text, unsupported, voice
from models import Draft, DraftStatus, Resident, utcnow


LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # how exactly residents.last_message_at is kept


class Step(enum.StrEnum):
    IDLE = "idle"              # no open draft
    COLLECTING = "collecting"  # a draft is open and gathering description, place and photos
    CHOOSING = "choosing_category"  # a numbered category menu is waiting for the resident's pick


class Intent(enum.StrEnum):
    DESCRIBE = "describe"
    VOICE = "voice"
    EMPTY_VOICE = "empty_voice"
    PHOTO = "photo"
    LOCATION = "location"
    SMALL_TALK = "small_talk"
    CHOOSE = "choose"              # a bare number
    RECATEGORISE = "recategorise"  # 改为 3 / 改为 占道经营 / 改类别
    MY_DATA = "my_data"
    ERASE = "erase"
    ERASE_CONFIRM = "erase_confirm"
    RATE = "rate"                  # 1 / 满意 … while a resolved ticket awaits the resident's rating
    REASON = "reason"              # the words after 不满意
    SUBMIT = "submit"
    CANCEL = "cancel"
    HELP = "help"
    QUERY = "query"
    MINE = "mine"
    START_REPORT = "start_report"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    IGNORE = "ignore"
    UNSUPPORTED = "unsupported"


Handler = Callable[["Turn"], str]

CONVERSATION: dict[Step, dict[Intent, Handler]] = {
    Step.IDLE: {
        Intent.DESCRIBE: text.describe,
        Intent.VOICE: voice.describe,
        Intent.PHOTO: image.add_photo,
        Intent.LOCATION: location.add_location,
        Intent.SMALL_TALK: text.greet,
        Intent.CHOOSE: text.greet,
        Intent.RECATEGORISE: commands.nothing_to_submit,
        Intent.SUBMIT: commands.nothing_to_submit,
        Intent.CANCEL: commands.nothing_to_cancel,
    },
    Step.COLLECTING: {
        Intent.DESCRIBE: text.describe,
        Intent.VOICE: voice.describe,
        Intent.PHOTO: image.add_photo,
        Intent.LOCATION: location.add_location,
        Intent.SMALL_TALK: text.show_draft,
        Intent.CHOOSE: text.show_draft,
        Intent.RECATEGORISE: category.recategorise,
        Intent.SUBMIT: commands.submit,
        Intent.CANCEL: commands.cancel,
    },
    Step.CHOOSING: {
        Intent.DESCRIBE: text.describe,
        Intent.VOICE: voice.describe,
        Intent.PHOTO: image.add_photo,
        Intent.LOCATION: location.add_location,
        Intent.SMALL_TALK: category.show_menu,
        Intent.CHOOSE: category.choose,
        Intent.RECATEGORISE: category.recategorise,
        Intent.SUBMIT: category.choose_first,
        Intent.CANCEL: commands.cancel,
    },
}

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

# Exact words (after folding case, spaces and punctuation) that are commands.
COMMANDS = {
    "提交": Intent.SUBMIT, "提交反映": Intent.SUBMIT, "确认提交": Intent.SUBMIT, "submit": Intent.SUBMIT,
    "取消": Intent.CANCEL, "取消反映": Intent.CANCEL, "cancel": Intent.CANCEL,
    "帮助": Intent.HELP, "help": Intent.HELP, "使用说明": Intent.HELP,
    "我的": Intent.MINE, "我的工单": Intent.MINE, "我的反映": Intent.MINE,
    "查询": Intent.QUERY, "我要反映": Intent.START_REPORT, "反映问题": Intent.START_REPORT,
    "我的数据": Intent.MY_DATA, "删除我的数据": Intent.ERASE, "确认删除": Intent.ERASE_CONFIRM,
}
MENU_KEYS = {"REPORT": Intent.START_REPORT, "MY_TICKETS": Intent.MINE, "HELP": Intent.HELP}
EVENTS = {"subscribe": Intent.SUBSCRIBE, "subscribe_scan": Intent.SUBSCRIBE, "unsubscribe": Intent.UNSUBSCRIBE}


@dataclass
class Turn:
    """One resident message being answered: everything a handler may read or change."""

    inbound: Inbound
    delivery: Delivery
    session: Session
    knowledge: Knowledge
    settings: dict
    resident: Resident
    draft: Draft | None
    now: datetime
    enqueue: Callable[[str, int], None]
    photo_url: Callable[[int], str] | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def step(self) -> Step:
        return Step(self.draft.step) if self.draft else Step.IDLE

    def open_draft(self) -> Draft:
        """Return the resident's open draft, starting one when there is none."""
        if self.draft is None:
            # An empty photo list up front spares a query when the summary counts photos.
            self.draft = Draft(resident_id=self.resident.id, created_at=self.now, updated_at=self.now, photos=[])
            self.session.add(self.draft)
            self.session.flush()
        return self.draft

    def close_draft(self, status: DraftStatus) -> None:
        if self.draft is not None:
            self.draft.status = status
            self.draft.updated_at = self.now
            self.draft = None


def intent_of(inbound: Inbound, knowledge: Knowledge) -> Intent:
    """Say what the resident wants from this message, before looking at the draft."""
    if not inbound.known:
        return Intent.UNSUPPORTED
    if inbound.kind == "event":
        if inbound.event == "click":
            return MENU_KEYS.get(inbound.event_key.upper(), Intent.HELP)
        return EVENTS.get(inbound.event, Intent.IGNORE)
    if inbound.kind in {"text", "voice"}:
        if inbound.kind == "voice" and not inbound.content:
            return Intent.EMPTY_VOICE
        command = _command(inbound.content)
        if command:
            return command
        if inbound.kind == "voice":
            return Intent.VOICE
        if knowledge.classify(inbound.content).is_report or knowledge.place_in(inbound.content):
            return Intent.DESCRIBE
        return Intent.SMALL_TALK
    return {"image": Intent.PHOTO, "location": Intent.LOCATION}.get(inbound.kind, Intent.UNSUPPORTED)


def _command(content: str) -> Intent | None:
    if commands.QUERY_COMMAND.match(content):
        return Intent.QUERY
    if category.RECATEGORISE_COMMAND.match(content):
        return Intent.RECATEGORISE
    if category.CHOICE.match(content):
        return Intent.CHOOSE
    return COMMANDS.get(normalise(content))


def respond(delivery: Delivery, session: Session, *, knowledge: Knowledge, settings: dict,
            enqueue: Callable[[str, int], None], photo_url: Callable[[int], str] | None = None) -> str:
    """Answer one first-time delivery inside the caller's transaction; return the reply text."""
    inbound = delivery.inbound
    now = utcnow()
    resident, draft = _resident_and_draft(inbound.openid, now, session=session)
    if resident.blocked:
        # Kept in the message log (the caller records every delivery), answered politely, not acted on.
        return texts.BLOCKED if inbound.kind != "event" else ""
    turn = Turn(inbound, delivery, session, knowledge, settings, resident, draft, now, enqueue, photo_url)
    if inbound.kind != "event" and resident.has_waiting_notices and do_release_waiting(resident.id, now,
                                                                                        session=session):
        enqueue("deliver_notifications")  # their message reopened WeChat's 48-hour window
    _expire_stale_draft(turn)
    intent = _about_feedback(turn, intent_of(inbound, knowledge))
    handler = CONVERSATION[turn.step].get(intent) or FALLBACKS[intent]
    reply = handler(turn)
    if turn.draft is not None:
        turn.draft.updated_at = now
    if inbound.kind != "event" and _seen_long_ago(resident.last_message_at, now):
        resident.last_message_at = now
    return "\n\n".join([*turn.notices, reply]) if reply else "\n\n".join(turn.notices)


def _seen_long_ago(last_message_at: datetime | None, now: datetime) -> bool:
    # To the minute: a resident sends a few messages a minute while reporting, and each write of the
    # time alone was an UPDATE of its own.
    return last_message_at is None or now - last_message_at >= LAST_SEEN_RESOLUTION


def _about_feedback(turn: Turn, intent: Intent) -> Intent:
    """A rating or the reason for 不满意 outranks what the same words would mean otherwise,
    except while a category menu waits for its number."""
    if turn.resident.reason_for_ticket_id and intent in (Intent.DESCRIBE, Intent.VOICE, Intent.SMALL_TALK,
                                                          Intent.CHOOSE):
        return Intent.REASON
    if (intent in (Intent.CHOOSE, Intent.SMALL_TALK, Intent.DESCRIBE) and turn.step != Step.CHOOSING
            and feedback.rating_of(turn.inbound.content) and feedback.awaiting_rating(turn)):
        return Intent.RATE
    return intent


def _resident_and_draft(openid: str, now: datetime, *, session: Session) -> tuple[Resident, Draft | None]:
    """Find or create the resident, lock their row, then read their open draft.

    The row lock answers one resident's messages in turn. The draft is read after the lock is held, in a
    statement of its own: on PostgreSQL a statement sees the database as it was when the statement began,
    so a draft read in the locking statement would miss a draft that the message we waited for started,
    and show one it submitted as still open.
    """
    resident = session.scalar(_LOCKED_RESIDENT, {"openid": openid})
    if resident is None:
        from sqlalchemy.exc import IntegrityError
        try:
            with session.begin_nested():
                session.add(Resident(openid=openid, created_at=now))
        except IntegrityError:
            pass  # another worker created it first; the locked read below finds it
        resident = session.scalar(_LOCKED_RESIDENT, {"openid": openid})
    return resident, session.scalar(_OPEN_DRAFT, {"resident_id": resident.id})


# Built once: the hot path runs them for every message.
_LOCKED_RESIDENT = select(Resident).where(Resident.openid == bindparam("openid")).with_for_update()
_OPEN_DRAFT = select(Draft).where(Draft.resident_id == bindparam("resident_id"), Draft.status == DraftStatus.OPEN)


def _expire_stale_draft(turn: Turn) -> None:
    minutes = turn.settings["conversation"]["draft_timeout_minutes"]
    if turn.draft and turn.now - turn.draft.updated_at > timedelta(minutes=minutes):
        turn.close_draft(DraftStatus.EXPIRED)
        turn.notices.append(texts.DRAFT_EXPIRED.format(minutes=minutes))
