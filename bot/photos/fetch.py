"""The photo job: fetch a resident's image from WeChat, clean and store it, and read where it was taken."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot import texts
from bot.cases.photo_text import do_take_reading
from bot.config import MediaSettings, Settings
from bot.infra.db import transaction
from bot.photos.cleaning import ImageRefused, clean_image, wgs84_to_gcj02
from bot.photos.copies import do_fill_copies
from bot.photos.ocr import read_text
from bot.photos.pic_url import PicUrlGone, UnsafePicUrl, by_pic_url, download
from bot.photos.storage import MediaStorage, do_store_photo
from bot.understanding.places import PlaceResolver
from models import Draft, DraftStatus, LocationSource, Photo, PhotoStatus, Resident, utcnow

log = logging.getLogger(__name__)

FETCH_PHOTO = "fetch_photo"  # the job that runs fetch_photo (bot/tasks.py)
EXPIRED_MEDIA = 40007  # WeChat keeps temporary media for 3 days; after that (or a bad id) it is gone
PIC_URL_TIMEOUT_SECONDS = 10.0   # as the WeChat API client's, when the client does not say


class TryAgain(Exception):
    """A passing failure (network, WeChat down): the queue runs the job again after `delay` seconds."""

    def __init__(self, delay: float, why: str):
        super().__init__(why)
        self.delay = delay


@dataclass
class PhotoOutcome:
    status: str                    # stored | failed | skipped
    tell_resident: str = ""        # what to say to the resident, if anything
    openid: str | None = ""       # None when the resident erased their identity meanwhile


def fetch_photo(photo_id: int, *, api, storage: MediaStorage, sessions: sessionmaker[Session], settings: Settings,
                places: Callable[[], PlaceResolver]) -> PhotoOutcome:
    """Run one attempt; idempotent: a photo already stored or failed is left alone."""
    media = settings.media
    with transaction(sessions) as session:
        photo = session.get(Photo, photo_id)
        if photo is None or photo.status != PhotoStatus.RECORDED:
            return PhotoOutcome("skipped")
        photo.attempts += 1
        attempt, media_id, resident_id = photo.attempts, photo.media_id, photo.resident_id
        url = photo.pic_url
        openid = session.scalar(select(Resident.openid).where(Resident.id == resident_id))
    try:
        if by_pic_url(media_id):   # WeChat sent no MediaId: from its image host, never from anywhere else
            data = download(url, api_base_url=settings.wechat.api_base_url, max_bytes=media.max_bytes,
                            timeout=getattr(api, "timeout", None) or PIC_URL_TIMEOUT_SECONDS)
        else:
            data = api.media.download(media_id).content
    except (UnsafePicUrl, PicUrlGone) as exc:
        return _fail(photo_id, f"not fetched from its PicUrl: {exc}", texts.PHOTO_NOT_SAVED, openid, sessions)
    except WeChatClientException as exc:
        if exc.errcode == EXPIRED_MEDIA:
            return _fail(photo_id, f"WeChat no longer has this media ({exc.errcode})", texts.PHOTO_EXPIRED,
                         openid, sessions)
        return _retry_or_fail(photo_id, attempt, f"WeChat API error {exc.errcode} {exc.errmsg}", openid,
                              sessions, media)
    except requests.RequestException as exc:
        return _retry_or_fail(photo_id, attempt, f"cannot reach WeChat: {type(exc).__name__}", openid,
                              sessions, media)
    try:
        clean = clean_image(data, max_bytes=media.max_bytes, max_pixels=media.max_pixels)
    except ImageRefused as exc:
        return _fail(photo_id, f"refused: {exc}", texts.photo_refused(exc.reason, max_bytes=media.max_bytes),
                     openid, sessions)
    tell = ""
    resolver = places() if clean.gps_wgs84 else None  # before the transaction: it reads the catalogue itself
    reading = read_text(clean.display, settings.ocr)   # slow (about a second): before the transaction too
    with transaction(sessions) as session:
        # The resident's row lock first, as the webhook takes it: a location they share at this very moment
        # is read here, not overwritten by the photo's (on PostgreSQL the draft read would otherwise be the
        # one committed before their message), and both take their locks in the same order.
        session.execute(select(Resident.id).where(Resident.id == resident_id).with_for_update())
        photo = session.get_one(Photo, photo_id)
        if photo.status != PhotoStatus.RECORDED:   # another attempt of the job stored it meanwhile
            return PhotoOutcome("skipped")
        # Written in this transaction: if it rolls back, the files go with it (the job tries again).
        photo.display_key, photo.thumbnail_key = do_store_photo(storage, photo_id, clean.display, clean.thumbnail,
                                                                session=session)
        photo.status = PhotoStatus.STORED
        photo.width, photo.height, photo.source_format = clean.width, clean.height, clean.source_format
        photo.phash, photo.taken_at, photo.processed_at = clean.phash, clean.taken_at_utc, utcnow()
        photo.note = ""
        if clean.gps_wgs84:
            assert resolver is not None  # made above whenever the photo has GPS
            photo.gps_latitude, photo.gps_longitude = wgs84_to_gcj02(*clean.gps_wgs84)
            tell = _place_draft_from_photo(photo, resolver, session=session)
        if reading is not None:
            tell = "\n".join(filter(None, [tell, do_take_reading(photo, reading, settings.ocr, session=session)]))
        do_fill_copies(photo, session=session)
    return PhotoOutcome("stored", tell, openid)


def _place_draft_from_photo(photo: Photo, places: PlaceResolver, *, session: Session) -> str:
    """Photo GPS places the draft when the resident has shared no location; say so in the chat."""
    draft = session.get(Draft, photo.draft_id) if photo.draft_id else None
    if draft is None or draft.status != DraftStatus.OPEN or draft.location_source == LocationSource.SHARED:
        return ""
    if draft.latitude is not None:
        return ""
    assert photo.gps_latitude is not None and photo.gps_longitude is not None  # the caller set them
    draft.latitude, draft.longitude = photo.gps_latitude, photo.gps_longitude
    draft.location_source = LocationSource.PHOTO
    town = places.from_point(draft.latitude, draft.longitude)
    if town:
        draft.town_code = town
    return texts.photo_placed(places.town_name(town))


def _retry_or_fail(photo_id: int, attempt: int, why: str, openid: str | None, sessions: sessionmaker[Session],
                   media: MediaSettings) -> PhotoOutcome:
    if attempt >= media.fetch_attempts:
        return _fail(photo_id, f"gave up after {attempt} attempts: {why}", texts.PHOTO_NOT_SAVED, openid, sessions)
    with transaction(sessions) as session:
        session.get_one(Photo, photo_id).note = f"attempt {attempt}: {why}"
    raise TryAgain(media.retry_base_seconds * 2 ** (attempt - 1), why)


def _fail(photo_id: int, note: str, tell: str, openid: str | None, sessions: sessionmaker[Session]) -> PhotoOutcome:
    """Keep the report intact; mark only the photo, with the reason, and tell the resident."""
    log.warning("photo %s not saved: %s", photo_id, note)
    with transaction(sessions) as session:
        photo = session.get_one(Photo, photo_id)
        photo.status, photo.note, photo.processed_at = PhotoStatus.FAILED, note, utcnow()
        do_fill_copies(photo, session=session)
    return PhotoOutcome("failed", tell, openid)
