"""Where and when each after-photo was taken, against the report's place and the dispatch: what HQ checks at 核查.

The place and time come from the photo's own EXIF, read by the server when the photo is cleaned (never from form
fields). They are indications, not proof: EXIF can be edited, and a photo without it is simply not judged.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.geometry import metres_between
from models import Hold, Photo, PhotoKind, PhotoStatus, Ticket, TicketEvent

JUDGED_KINDS = (PhotoKind.AFTER, PhotoKind.ON_SITE)   # a resident's photo is the report itself: nothing to check


@dataclass(frozen=True)
class PhotoEvidence:
    """One staff photo measured against its ticket. Only a department's after-photo is ever flagged."""

    photo_id: int
    kind: PhotoKind
    metres: float | None            # from the report's place to where the photo was taken; None: no point to compare
    taken_at: datetime | None       # UTC, from EXIF
    dispatched_at: datetime | None  # when the turn the photo belongs to began (the dispatch to that department)
    too_far: bool
    before_dispatch: bool

    @property
    def flagged(self) -> bool:
        return self.too_far or self.before_dispatch


def judge(photo: Photo, *, point: tuple[float, float] | None, dispatched_at: datetime | None,
          max_metres: float) -> PhotoEvidence:
    """Measure one photo: how far from the report's point, and whether it was taken before the dispatch."""
    metres = None
    if point is not None and photo.gps_latitude is not None and photo.gps_longitude is not None:
        metres = metres_between(point, (photo.gps_latitude, photo.gps_longitude))
    after, taken = photo.kind == PhotoKind.AFTER, photo.taken_at
    return PhotoEvidence(
        photo_id=photo.id, kind=photo.kind, metres=metres, taken_at=taken, dispatched_at=dispatched_at,
        too_far=after and metres is not None and metres > max_metres,
        # EXIF keeps whole seconds: a photo taken in the second of the dispatch is not before it.
        before_dispatch=after and taken is not None and dispatched_at is not None
        and taken < dispatched_at.replace(microsecond=0))


def turn_started(holds: Iterable[Hold], moment: datetime) -> datetime | None:
    """The dispatch that began the turn in force at `moment`: the latest one not after it."""
    return max((hold.started_at for hold in holds if hold.started_at <= moment), default=None)


def _point(ticket: Ticket) -> tuple[float, float] | None:
    return (ticket.latitude, ticket.longitude) if ticket.latitude is not None and ticket.longitude is not None \
        else None


def _moment(photo: Photo, event_times: dict[int, datetime]) -> datetime:
    """When the photo joined the ticket: its step's time (the 办结 it came with), else when it was stored."""
    return event_times.get(photo.event_id or 0) or photo.processed_at or photo.created_at


def ticket_evidence(ticket: Ticket, *, max_metres: float) -> dict[int, PhotoEvidence]:
    """Each stored staff photo of the ticket (after-photos and HQ's on-site photos), by photo id."""
    point = _point(ticket)
    event_times = {event.id: event.at for event in ticket.events}
    return {photo.id: judge(photo, point=point, dispatched_at=turn_started(ticket.holds, _moment(photo, event_times)),
                            max_metres=max_metres)
            for photo in ticket.photos if photo.kind in JUDGED_KINDS and photo.status == PhotoStatus.STORED}


def flagged_tickets(ticket_ids: Iterable[int], *, max_metres: float, session: Session) -> set[int]:
    """Of these tickets, those with an after-photo taken too far away or before the dispatch (a list's badge):
    four reads for the whole page, whatever its length."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    photos = list(session.scalars(select(Photo).where(Photo.ticket_id.in_(ids), Photo.kind == PhotoKind.AFTER,
                                                      Photo.status == PhotoStatus.STORED)))
    if not photos:
        return set()
    with_photos = {photo.ticket_id for photo in photos}
    points = {row.id: (row.latitude, row.longitude) if row.latitude is not None else None
              for row in session.execute(select(Ticket.id, Ticket.latitude, Ticket.longitude)
                                         .where(Ticket.id.in_(with_photos)))}
    holds: dict[int, list[Hold]] = {}
    for hold in session.scalars(select(Hold).where(Hold.ticket_id.in_(with_photos))):
        holds.setdefault(hold.ticket_id, []).append(hold)
    event_ids = [photo.event_id for photo in photos if photo.event_id]
    event_times = {row.id: row.at for row in session.execute(select(TicketEvent.id, TicketEvent.at)
                                                             .where(TicketEvent.id.in_(event_ids)))}
    flagged = set()
    for photo in photos:
        assert photo.ticket_id is not None   # selected by ticket
        started = turn_started(holds.get(photo.ticket_id, []), _moment(photo, event_times))
        if judge(photo, point=points.get(photo.ticket_id), dispatched_at=started, max_metres=max_metres).flagged:
            flagged.add(photo.ticket_id)
    return flagged
