"""The blurred public copies of a ticket's before and after photos: made by a job once the ticket is handled, so the
办理公示 page never waits for OCR and face detection (the photo route makes a missing one on its first view), and
by a nightly sweep for any such job that was lost."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.numbers import read_lines
from bot.cases.publication import HANDLED, public_photos, publicly_listed
from bot.config import OcrSettings
from bot.infra.db import transaction
from bot.photos.redaction import public_copy
from bot.photos.storage import MediaStorage, public_keys
from models import Photo, PhotoReading, Ticket

log = logging.getLogger(__name__)


def has_public_copy(photo: Photo, storage: MediaStorage) -> bool:
    """Whether the blurred copy (and so its thumbnail, written after it) is already made."""
    return storage.exists(public_keys(photo.display_key)[1])


def public_copy_of(photo: Photo, storage: MediaStorage, settings: OcrSettings, *, session: Session,
                   thumbnail: bool = False) -> bytes:
    """The blurred copy, made now from the text the photo job read (plates) unless it is already there."""
    lines = read_lines(photo.id, session=session) if session.get(PhotoReading, photo.id) else None
    return public_copy(storage, photo.display_key, settings, lines=lines, thumbnail=thumbnail)


def make_public_copies(ticket_id: int, storage: MediaStorage, settings: OcrSettings, *,
                       sessions: sessionmaker[Session]) -> int:
    """Make the missing blurred copies of a publicly listed ticket's before and after photos; how many were made.
    Idempotent: a copy already there is kept. The slow work runs after the transaction has ended."""
    with transaction(sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, publicly_listed()))
        if ticket is None:
            return 0
        before, after = public_photos(ticket)
        missing = [(photo.display_key, read_lines(photo.id, session=session)
                    if session.get(PhotoReading, photo.id) else None)
                   for photo in before + after if not has_public_copy(photo, storage)]
    for display_key, lines in missing:
        public_copy(storage, display_key, settings, lines=lines)
    if missing:
        log.info("ticket %s: %d public photo copies made", ticket_id, len(missing))
    return len(missing)


def make_missing_public_copies(days: int, storage: MediaStorage, settings: OcrSettings, *,
                               sessions: sessionmaker[Session], now: datetime) -> tuple[int, int]:
    """The copies of cases handled (changed) within `days` that are still missing — a job lost while the worker was
    down, or cases from before the job existed: (cases looked at, copies made)."""
    with transaction(sessions) as session:
        ticket_ids = list(session.scalars(select(Ticket.id).where(
            publicly_listed(), Ticket.status.in_(HANDLED), Ticket.updated_at >= now - timedelta(days=days))
            .order_by(Ticket.id)))
    made = sum(make_public_copies(ticket_id, storage, settings, sessions=sessions) for ticket_id in ticket_ids)
    if made:
        log.warning("public photo copies: %d made for cases whose job had not made them", made)
    return len(ticket_ids), made
