"""Spot a report of a problem that already has an open ticket, and join the reporter to it (and split again)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.geometry import metres_between, tickets_in_box
from bot.cases.reporters import reporter_ids
from bot.cases.statuses import OPEN_STATES
from bot.cases.workflow import do_flag
from bot.config import Settings
from bot.photos.similarity import hash_distance
from models import Draft, DraftStatus, Photo, Ticket, TicketReporter, utcnow


def find_duplicate(draft: Draft, category: str, now: datetime, settings: Settings, *,
                   session: Session) -> tuple[Ticket, str] | None:
    """The earliest open ticket of the same category, recent, and nearby or with a near-identical photo; and why.

    The database narrows the candidates (a box around the point; tickets with hashed photos) so a submit reads
    the few tickets that could match, not every open ticket of the category."""
    rules = settings.duplicates
    recent_open = (Ticket.category_code == category, Ticket.status.in_(list(OPEN_STATES)),
                   Ticket.created_at >= now - timedelta(hours=rules.window_hours))
    found: dict[int, tuple[Ticket, str]] = {}
    if draft.latitude is not None and draft.longitude is not None:
        point = (draft.latitude, draft.longitude)
        for ticket in session.scalars(select(Ticket).where(*recent_open, tickets_in_box(point, rules.radius_m))):
            assert ticket.latitude is not None and ticket.longitude is not None
            distance = metres_between(point, (ticket.latitude, ticket.longitude))
            if distance <= rules.radius_m:
                found.setdefault(ticket.id, (ticket, f"同类问题，相距约 {distance:.0f} 米"))
    hashes = [p.phash for p in draft.photos if p.phash]
    if hashes:
        for ticket, phash in session.execute(select(Ticket, Photo.phash).join(Photo, Photo.ticket_id == Ticket.id)
                                             .where(*recent_open, Photo.phash != "")):
            if ticket.id not in found and any(hash_distance(phash, h) <= rules.photo_distance for h in hashes):
                found[ticket.id] = (ticket, "照片与已有工单几乎相同")
    return found[min(found)] if found else None


def do_join(draft: Draft, ticket: Ticket, reason: str, now: datetime, *, session: Session) -> tuple[int, bool]:
    """Attach the reporter and their photos to the ticket; return how many residents have now reported it,
    and whether this resident had reported it already (then they are not counted twice)."""
    reporters = reporter_ids(ticket, session=session)
    again = draft.resident_id in reporters
    if not again:
        session.add(TicketReporter(ticket_id=ticket.id, resident_id=draft.resident_id, draft_id=draft.id,
                                   reason=reason, created_at=now))
    for photo in draft.photos:
        photo.ticket_id = ticket.id
    draft.status = DraftStatus.SUBMITTED
    count = len(reporters) + (0 if again else 1)
    do_flag(ticket, f"反映人再次反映同一问题（{reason}）" if again else
            f"又有市民反映同一问题（{reason}），共 {count} 人反映", now=now, session=session, actor="system:duplicates")
    return count, again


def do_split(reporter: TicketReporter, *, session: Session) -> Draft:
    """HQ undoes a wrong join: take the reporter and their photos off the ticket; return their draft to open anew."""
    draft = session.get_one(Draft, reporter.draft_id)
    session.get_one(Ticket, reporter.ticket_id).updated_at = utcnow()   # fewer reporters and photos: it changed
    for photo in session.scalars(select(Photo).where(Photo.draft_id == draft.id)):
        photo.ticket_id = None
    session.delete(reporter)
    session.flush()
    return draft
