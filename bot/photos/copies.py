"""Copies of a resident's photo for the other tickets of a report filed as several (one per problem).

A photo row belongs to one ticket, and a department sees only its own tickets' photos; a report of several problems
at one place gives every ticket the resident's photos, so each department sees the scene. A copy is a row of its
own that points at the same stored files (nothing is fetched or stored twice): made stored when its original
already is, otherwise made "copying" and filled in by the photo job when the original is stored or fails.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Photo, PhotoStatus, Ticket, utcnow

# The copy's MediaId: the original's with this and the copy's number, unique per resident as MediaIds must be.
COPY_MARK = "#copy"
_CARRIED = ("display_key", "thumbnail_key", "width", "height", "source_format", "phash", "gps_latitude",
            "gps_longitude", "taken_at", "processed_at", "note")


def copy_photo(original: Photo, *, draft_id: int, number: int) -> Photo:
    """A copy of the photo for another part of the same report (not yet added to the session)."""
    copy = Photo(resident_id=original.resident_id, kind=original.kind, draft_id=draft_id,
                 inbound_message_id=original.inbound_message_id, media_id=f"{original.media_id}{COPY_MARK}{number}",
                 pic_url=original.pic_url, created_at=original.created_at,
                 status=original.status if original.status != PhotoStatus.RECORDED else PhotoStatus.COPYING)
    for name in _CARRIED:
        setattr(copy, name, getattr(original, name))
    return copy


def do_fill_copies(original: Photo, *, session: Session) -> None:
    """The original was stored or failed: its waiting copies take the same files (or the same failure), and the
    tickets they are on count as changed (the departments' API hands out tickets by their change time)."""
    waiting = list(session.scalars(select(Photo).where(
        Photo.resident_id == original.resident_id, Photo.status == PhotoStatus.COPYING,
        Photo.media_id.startswith(original.media_id + COPY_MARK, autoescape=True))))
    for copy in waiting:
        copy.status = original.status
        for name in _CARRIED:
            setattr(copy, name, getattr(original, name))
    tickets = {photo.ticket_id for photo in (original, *waiting) if photo.ticket_id is not None}
    if tickets:
        session.execute(update(Ticket).where(Ticket.id.in_(tickets)).values(updated_at=utcnow()))
