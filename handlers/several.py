"""Several problems in one report: offer to file them separately, take the resident's one-word answer, file them.

    collecting ──words that add a problem of another category──▶ split_offered ──1 / 好的 / 分开──▶ split_agreed
        ▲                                                            │                                 │
        └──────────────────── 2 / 不用 / 一起 (one report, as before) ┴──────────── “提交”: one ticket each ┘

The problems come from bot/understanding/several.py; the tickets from bot/cases/separately.py, through the same
submit_report as any report.
"""
from __future__ import annotations

import re

from bot import texts
from bot.cases.reports import Outcome, Submission, reports_in_last_hour
from bot.cases.separately import submit_separately
from bot.conversation.intents import Intent
from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from bot.understanding.several import Problem
from handlers import image, location
from handlers.draft import missing_parts, summary, understand
from models import Step

SPLIT_STEPS = (Step.SPLIT_OFFERED, Step.SPLIT_AGREED)
# Answers to "分开提交吗？", read after folding punctuation and spaces and dropping the words around them.
_AROUND = re.compile(r"吧|啊|呀|了|的|哈|麻烦|谢谢|你们|都|就|还是|请")
_NO = re.compile(r"(?:2|二|不用|不要|不需要|不必|不分|不|别分|没必要|一起|合并|合成|成|一条|一张|分开|提交|作为|算)+")
_NEGATIVE = re.compile(r"2|二|不|别|没必要|一起|合并|合成|一条|一张")
_YES = re.compile(r"(?:1|一|好|行|可以|嗯+|是|对|要|需要|同意|没问题|ok|分开|分别|分成?[两三四五2-9]?个?|拆开|各自"
                  r"|提交)+")


def answer_of(words: str) -> bool | None:
    """True for 1 / 好的 / 分开提交 …, False for 2 / 不用 / 一起提交 …, None when the words are not an answer."""
    core = _AROUND.sub("", normalise(words))
    if not core:
        return None
    if _NO.fullmatch(core) and _NEGATIVE.search(core):
        return False
    if _YES.fullmatch(core):
        return True
    return None


def about_split(turn: Turn, intent: Intent) -> Intent:
    """While several problems wait for the resident's answer, a yes or no outranks what the words would mean else."""
    if turn.step not in SPLIT_STEPS:
        return intent
    if intent == Intent.CHOOSE or (intent in (Intent.DESCRIBE, Intent.VOICE, Intent.SMALL_TALK)
                                   and answer_of(turn.inbound.content) is not None):
        return Intent.SPLIT_ANSWER
    return intent


def problems(turn: Turn, description: str | None = None) -> tuple[Problem, ...]:
    assert turn.draft is not None  # only while a draft is open
    words = turn.draft.description if description is None else description
    return turn.catalogue.problems_in(words, sure_above=turn.settings.classifier.split_above) if words else ()


def take_in(turn: Turn, before: str) -> Reply:
    """After the resident's words were added: offer to file separately when they brought a problem of another
    category; while an offer or an agreement stands, show the problems again; otherwise the draft's summary."""
    step = understand(turn)
    found = problems(turn)
    if turn.step in SPLIT_STEPS and found:
        return show(turn)
    if found and {p.category for p in found} != {p.category for p in problems(turn, before)}:
        return _problems_reply(turn, found, Step.SPLIT_OFFERED)
    return summary(turn, step if turn.step not in SPLIT_STEPS else Step.COLLECTING)


def show(turn: Turn) -> Reply:
    """Say again what will be filed (or what is offered), with what is still missing."""
    found = problems(turn)
    if not found:  # cannot happen while the words only grow; be safe: back to one report
        return summary(turn, Step.COLLECTING)
    return _problems_reply(turn, found, turn.step)


def answer(turn: Turn) -> Reply:
    """1 / 好的: file separately on 提交. 2 / 不用: one report, as before. Anything else: ask again."""
    said = answer_of(turn.inbound.content)
    if said is None:
        reply = show(turn)
        return Reply(texts.SEVERAL_ASK_AGAIN + "\n" + reply.text, reply.step) if turn.step == Step.SPLIT_OFFERED \
            else reply
    if said:
        found = problems(turn)
        return _problems_reply(turn, found, Step.SPLIT_AGREED) if found else summary(turn, Step.COLLECTING)
    return as_one(turn)


def as_one(turn: Turn) -> Reply:
    """The resident wants one report: carry on as with any draft (a category menu if the whole is unsure)."""
    assert turn.draft is not None
    turn.draft.step = Step.COLLECTING
    reply = summary(turn, understand(turn))
    return Reply(texts.SEVERAL_AS_ONE + "\n" + reply.text, reply.step)


def answer_first(turn: Turn) -> Reply:
    """提交 while the offer waits: the resident says how to file it first."""
    reply = show(turn)
    return Reply(texts.SEVERAL_ASK_AGAIN + "\n" + reply.text, reply.step)


def add_photo(turn: Turn) -> Reply:
    image.add_photo(turn)
    return show(turn)


def add_location(turn: Turn) -> Reply:
    location.add_location(turn)
    return show(turn)


def submit(turn: Turn) -> Reply:
    """提交 after agreeing: one ticket per problem, or say what is missing."""
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    missing = missing_parts(draft)
    if missing:
        return Reply(texts.cannot_submit(missing))
    understand(turn)  # the place may have changed since the last summary
    found = problems(turn)
    if not found:
        return as_one(turn)
    settings = turn.settings
    submissions = submit_separately(turn.orm_draft(), found, catalogue=turn.catalogue, settings=settings,
                                    now=turn.now, session=turn.session)
    if submissions[0].outcome == Outcome.LIMITED:
        left = settings.limits.reports_per_hour - reports_in_last_hour(turn.resident.id, turn.now,
                                                                         session=turn.session)
        return Reply(texts.SEVERAL_LIMITED.format(left=max(left, 0), count=len(found),
                                                  minutes=settings.conversation.draft_timeout_minutes))
    turn.draft = None  # submitted, every part as a ticket of its own or joined to another
    catalogue = turn.catalogue
    town = next((s.ticket.town_code for s in submissions if s.ticket is not None and s.ticket.town_code), None)
    return Reply(texts.submitted_separately(
        rows=[(catalogue.category_name(p.category), s.ticket.number if s.ticket else "", _outcome(turn, s))
              for p, s in zip(found, submissions, strict=True)],
        town_name=catalogue.places.town_name(town)), Step.IDLE)


def _outcome(turn: Turn, submission: Submission) -> str:
    ticket = submission.ticket
    assert ticket is not None  # every outcome but LIMITED comes with its ticket
    if submission.outcome == Outcome.JOINED:
        return texts.SEPARATE_JOINED.format(count=submission.reporters)
    if submission.outcome == Outcome.REPEATED:
        return texts.SEPARATE_REPEATED
    catalogue = turn.catalogue
    return texts.separate_outcome(department_name=catalogue.routing.department_names[ticket.lead_department_code],
                                  deadline_local=catalogue.calendar.local(ticket.deadline_at),
                                  needs_triage=ticket.needs_triage)


def _problems_reply(turn: Turn, found: tuple[Problem, ...], step: Step) -> Reply:
    draft = turn.draft
    assert draft is not None
    catalogue = turn.catalogue
    place = draft.location_label or draft.place_text
    if draft.latitude is not None and not draft.location_label:
        place = f"已收到定位（{draft.latitude:.5f}, {draft.longitude:.5f}）"
    return Reply(texts.several_problems(
        problems=[(catalogue.category_name(p.category), p.words) for p in found], place=place,
        town_name=catalogue.places.town_name(draft.town_code), photo_count=draft.photo_count,
        missing=missing_parts(draft), agreed=step == Step.SPLIT_AGREED), step)
