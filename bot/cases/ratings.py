"""Every reporter's rating of a resolution, and the one rule that closes or reopens the ticket from them.

When a department resolves a ticket, everyone attached to it — the first reporter and each resident whose report
joined it — is asked 是否已解决？ (the RESOLVED notice) and answers for themselves; each answer is a TicketRating
row of that resolution (`asked_at` is the ticket's `feedback_requested_at`). The rule:

- a 不满意 (3) from anyone attached, with the reason they give, reopens the ticket to HQ, by that resident — once;
  on a later resolution a 不满意 sends it to HQ's review instead (the ticket stays resolved, in HQ's triage);
- when everyone attached has answered 满意 (1) or 基本满意 (2), the residents verify it and it closes;
- when `feedback.answer_hours` pass first, it closes as verified with the answers given (a 不满意 whose reason
  never came still reopens, with the reason unsaid).

The ticket's `rating` is the residents' verdict on the resolution, set when it is decided: 3 when anyone said it
was not fixed, otherwise the lowest satisfaction given (2 if anyone said 基本满意), None when nobody answered.
The scores count that one verdict per ticket. Everyone attached hears the outcome once: the resident whose answer
decided it in the reply, the others in a notice.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.cases.notices import do_queue_notices
from bot.cases.reporters import reported_by, reporter_ids
from bot.cases.statuses import NoticeKind
from bot.cases.workflow import RESIDENT, SYSTEM_ACTOR, Actor, Inputs, do_flag, do_transition
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.understanding.ratings import NOT_FIXED, Rating
from models import Ticket, TicketRating, TicketStatus

LABELS = {1: "满意", 2: "基本满意", 3: "不满意"}
NO_REASON = "（未说明原因）"


class Verdict(enum.StrEnum):
    """What an answer led to, for the reply to the resident who gave it."""

    WAITING = "waiting"        # recorded; others attached have yet to answer
    CLOSED = "closed"          # everyone satisfied: verified by the residents and closed
    ASK_REASON = "ask_reason"  # a 不满意 without saying why: ask
    REOPENED = "reopened"      # not fixed: back to HQ to be handled again
    REVIEW = "review"          # not fixed a second time: HQ reviews the resolution
    NOTED = "noted"            # the resolution was decided already; the words went into the ticket's history


def awaiting(resident_id: int, *, session: Session) -> Ticket | None:
    """The resident's most recently resolved ticket (theirs or one they joined) that waits for their rating."""
    answered = exists().where(TicketRating.ticket_id == Ticket.id, TicketRating.resident_id == resident_id,
                              TicketRating.asked_at == Ticket.feedback_requested_at,
                              TicketRating.rating.is_not(None))
    return session.scalar(select(Ticket).where(
        reported_by(resident_id), Ticket.status == TicketStatus.RESOLVED, Ticket.feedback_requested_at.is_not(None),
        ~answered).order_by(Ticket.feedback_requested_at.desc(), Ticket.id.desc()).limit(1))


def do_ask_again(ticket: Ticket, resident_id: int, *, now: datetime, session: Session) -> bool:
    """Note that an unclear answer was asked about; False when it was asked once already (then it waits)."""
    row = _row(ticket, resident_id, session=session)
    if row.asked_again_at is not None:
        return False
    row.asked_again_at = now
    return True


def do_rate(ticket: Ticket, resident_id: int, rating: Rating, *, now: datetime, session: Session,
            catalogue: CatalogueSnapshot) -> Verdict:
    """Record one resident's rating of the resolution and apply the rule."""
    _lock(ticket, session=session)
    row = _row(ticket, resident_id, session=session)
    row.rating, row.rated_at = rating.score, now
    if rating.score == NOT_FIXED:
        if not rating.reason:
            return Verdict.ASK_REASON
        row.reason = rating.reason
    return _decide(ticket, now=now, session=session, catalogue=catalogue, told=resident_id)


def do_give_reason(ticket: Ticket, resident_id: int, words: str, *, now: datetime, session: Session,
                   catalogue: CatalogueSnapshot) -> Verdict:
    """The resident's words after their 不满意: they decide the resolution, or join the history if it is decided."""
    _lock(ticket, session=session)
    words = words.strip()[:500]
    row = session.scalar(select(TicketRating).where(
        TicketRating.ticket_id == ticket.id, TicketRating.resident_id == resident_id, TicketRating.rating == NOT_FIXED)
        .order_by(TicketRating.asked_at.desc()).limit(1))
    if row is None:
        row = _row(ticket, resident_id, session=session)   # asked before these rows were kept
        row.rating, row.rated_at = NOT_FIXED, now
    row.reason = words
    if ticket.status != TicketStatus.RESOLVED or ticket.feedback_requested_at != row.asked_at:
        do_flag(ticket, f"市民补充不满意的原因：{words}", now=now, session=session, actor="resident")
        return Verdict.NOTED
    return _decide(ticket, now=now, session=session, catalogue=catalogue, told=resident_id)


def do_decide_unanswered(now: datetime, answer_within: timedelta, *, session: Session,
                         catalogue: CatalogueSnapshot | None) -> int:
    """Resolutions whose answers did not all come in time: decided by the same rule with the answers given."""
    tickets = session.scalars(select(Ticket).where(
        Ticket.status == TicketStatus.RESOLVED, Ticket.feedback_requested_at.is_not(None),
        Ticket.feedback_requested_at < now - answer_within).with_for_update(skip_locked=True)).all()
    for ticket in tickets:
        _decide(ticket, now=now, session=session, catalogue=catalogue, told=None, in_time=False)
    return len(tickets)


def _decide(ticket: Ticket, *, now: datetime, session: Session, catalogue: CatalogueSnapshot | None,
            told: int | None, in_time: bool = True) -> Verdict:
    rows = _answers(ticket, session=session)
    # A 不满意 counts once its reason is given; when the time is up, without one too.
    not_fixed = [row for row in rows if row.rating == NOT_FIXED and (row.reason or not in_time)]
    if not_fixed:
        return _not_fixed(ticket, not_fixed, now=now, session=session, catalogue=catalogue, told=told)
    satisfied = {row.resident_id: row.rating for row in rows if row.rating in (1, 2)}
    everyone = reporter_ids(ticket, session=session)
    if in_time and not all(resident_id in satisfied for resident_id in everyone):
        return Verdict.WAITING
    ticket.rating = max(satisfied.values()) if satisfied else None
    ticket.rated_at = now if satisfied else None
    counts = "、".join(f"{LABELS[score]} {list(satisfied.values()).count(score)} 人"
                      for score in (1, 2) if score in satisfied.values())
    if in_time:
        actor, note = _resident(told), f"市民确认已解决（{counts}）"
    else:
        actor, note = SYSTEM_ACTOR, ("市民未在规定时间内回复，视为核查通过" if not satisfied
                                     else f"答复期满，视为核查通过（{counts}，其余未回复）")
    do_transition(ticket, actor, "verify", now=now, session=session, inputs=Inputs(note=note))
    do_transition(ticket, SYSTEM_ACTOR, "close", now=now, session=session,
                  inputs=Inputs(note="市民评价后结案" if in_time else "自动结案"), told=told)
    return Verdict.CLOSED


def _not_fixed(ticket: Ticket, rows: list[TicketRating], *, now: datetime, session: Session,
               catalogue: CatalogueSnapshot | None, told: int | None) -> Verdict:
    """Anyone attached says it is not fixed: reopen to HQ the first time; after that, HQ reviews."""
    reasons = "；".join(row.reason or NO_REASON for row in rows)
    ticket.rating, ticket.rating_reason, ticket.rated_at = NOT_FIXED, reasons, now
    who = told if told is not None else rows[0].resident_id
    if ticket.reopen_count == 0:
        do_transition(ticket, _resident(who), "reopen", now=now, session=session,
                      inputs=Inputs(note=f"市民不满意：{reasons}"), catalogue=catalogue, told=told)
        return Verdict.REOPENED
    ticket.needs_triage = True
    ticket.feedback_requested_at = None  # HQ decides now; the answer window must not close it
    do_flag(ticket, f"市民再次不满意：{reasons}。请指挥部复核", now=now, session=session, actor="resident")
    do_queue_notices(ticket, NoticeKind.REVIEW, note="", photos=(), deadline_text="", now=now, session=session,
                     skip=told)
    return Verdict.REVIEW


def _answers(ticket: Ticket, *, session: Session) -> list[TicketRating]:
    """The answers to the ticket's current resolution, of the residents still attached to it."""
    attached = set(reporter_ids(ticket, session=session))
    return [row for row in session.scalars(select(TicketRating).where(
        TicketRating.ticket_id == ticket.id, TicketRating.asked_at == ticket.feedback_requested_at,
        TicketRating.rating.is_not(None)).order_by(TicketRating.id)) if row.resident_id in attached]


def _row(ticket: Ticket, resident_id: int, *, session: Session) -> TicketRating:
    """The resident's row for the ticket's current resolution, made on first need."""
    assert ticket.feedback_requested_at is not None  # only a resolution that asked is rated
    row = session.scalar(select(TicketRating).where(
        TicketRating.ticket_id == ticket.id, TicketRating.resident_id == resident_id,
        TicketRating.asked_at == ticket.feedback_requested_at))
    if row is None:
        row = TicketRating(ticket_id=ticket.id, resident_id=resident_id, asked_at=ticket.feedback_requested_at)
        session.add(row)
        session.flush()
    return row


def _lock(ticket: Ticket, *, session: Session) -> None:
    """Take the ticket's row lock before reading the others' answers: two reporters answering at once take turns,
    and the second sees the first's answer."""
    session.flush()
    session.refresh(ticket, with_for_update=True)


def _resident(resident_id: int | None) -> Actor:
    return Actor("resident", "", RESIDENT, "", resident_id=resident_id)
