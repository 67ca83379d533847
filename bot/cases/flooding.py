"""Flooding across reports and time: the resident's recent reports, for the moderation screen to compare."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.catalogue.moderation import Screen
from models import Draft, DraftStatus, Ticket, TicketReporter

FLOODING = "疑似刷屏（短时间内多次提交几乎相同的反映）"


def flood_reason(draft: Draft, screen: Screen, now: datetime, *, session: Session) -> str | None:
    """Hold the report when it and the same resident's reports of the last minutes are near-identical, enough of them.

    A report is a submitted draft that opened or joined a ticket; the parts of one report filed separately are
    submitted together (at `now`) and are not compared with each other."""
    since = now - timedelta(minutes=screen.flooding.minutes)
    earlier = session.scalars(select(Draft.description).where(
        Draft.resident_id == draft.resident_id, Draft.id != draft.id, Draft.status == DraftStatus.SUBMITTED,
        Draft.updated_at >= since, Draft.updated_at < now,
        or_(exists().where(Ticket.draft_id == Draft.id), exists().where(TicketReporter.draft_id == Draft.id))))
    return FLOODING if screen.floods(draft.description, earlier) else None
