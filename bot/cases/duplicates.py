"""Spot a report of a problem that already has an open ticket, and join the reporter to it (and split again)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.reporters import reporter_count, reporter_ids
from bot.cases.statuses import OPEN_STATES
from bot.cases.workflow import do_flag
from bot.config import Settings
from bot.photos.similarity import hash_distance
from models import Draft, DraftStatus, Photo, Ticket, TicketReporter

EARTH_RADIUS_M = 6_371_000


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def find_duplicate(draft: Draft, category: str, now: datetime, settings: Settings, *,
                   session: Session) -> tuple[Ticket, str] | None:
    """An open ticket of the same category nearby and recent, or with a near-identical photo; and why."""
    rules = settings.duplicates
    candidates = session.scalars(select(Ticket).where(
        Ticket.category_code == category, Ticket.status.in_(list(OPEN_STATES)),
        Ticket.created_at >= now - timedelta(hours=rules.window_hours)).order_by(Ticket.id)).all()
    hashes = [p.phash for p in draft.photos if p.phash]
    for ticket in candidates:
        if (draft.latitude is not None and draft.longitude is not None
                and ticket.latitude is not None and ticket.longitude is not None):
            distance = metres_between((draft.latitude, draft.longitude), (ticket.latitude, ticket.longitude))
            if distance <= rules.radius_m:
                return ticket, f"同类问题，相距约 {distance:.0f} 米"
        if hashes:
            for photo in ticket.photos:
                if photo.phash and any(hash_distance(photo.phash, h) <= rules.photo_distance for h in hashes):
                    return ticket, "照片与已有工单几乎相同"
    return None


def do_join(draft: Draft, ticket: Ticket, reason: str, now: datetime, *, session: Session) -> tuple[int, bool]:
    """Attach the reporter and their photos to the ticket; return how many residents have now reported it,
    and whether this resident had reported it already (then they are not counted twice)."""
    again = draft.resident_id in reporter_ids(ticket, session=session)
    if not again:
        session.add(TicketReporter(ticket_id=ticket.id, resident_id=draft.resident_id, draft_id=draft.id,
                                   reason=reason, created_at=now))
    for photo in draft.photos:
        photo.ticket_id = ticket.id
    draft.status = DraftStatus.SUBMITTED
    session.flush()
    count = reporter_count(ticket, session=session)
    do_flag(ticket, f"反映人再次反映同一问题（{reason}）" if again else
            f"又有市民反映同一问题（{reason}），共 {count} 人反映", now=now, session=session, actor="system:duplicates")
    return count, again


def do_split(reporter: TicketReporter, *, session: Session) -> Draft:
    """HQ undoes a wrong join: take the reporter and their photos off the ticket; return their draft to open anew."""
    draft = session.get_one(Draft, reporter.draft_id)
    for photo in session.scalars(select(Photo).where(Photo.draft_id == draft.id)):
        photo.ticket_id = None
    session.delete(reporter)
    session.flush()
    return draft
