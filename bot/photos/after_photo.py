"""The job for a staff member's after-photo sent by chat: fetch it from WeChat, clean and store it, then take the 办结
that waited for it (bot/cases/by_chat.py), and say how it went."""
from __future__ import annotations

import logging
from collections.abc import Callable

import requests
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot import staff_texts
from bot.cases.binding import forget_resolution
from bot.cases.by_chat import do_resolve_with_photo
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.infra.db import transaction
from bot.photos.cleaning import ImageRefused, clean_image, wgs84_to_gcj02
from bot.photos.fetch import EXPIRED_MEDIA, PIC_URL_TIMEOUT_SECONDS, PhotoOutcome, TryAgain
from bot.photos.pic_url import PicUrlGone, UnsafePicUrl, by_pic_url, download
from bot.photos.storage import MediaStorage, discard_photo, do_store_photo
from models import Photo, PhotoStatus, StaffAccount, Ticket, utcnow

log = logging.getLogger(__name__)

RESOLVE_BY_CHAT = "resolve_by_chat"   # the job that runs resolve_with_photo (bot/tasks.py)


def resolve_with_photo(photo_id: int, *, api, storage: MediaStorage, sessions: sessionmaker[Session],
                       settings: Settings, catalogue: Callable[[], CatalogueSnapshot]) -> PhotoOutcome:
    """Run one attempt; idempotent: a photo already stored or failed is left alone."""
    media = settings.media
    with transaction(sessions) as session:
        photo = session.get(Photo, photo_id)
        if photo is None or photo.status != PhotoStatus.RECORDED or photo.staff_id is None:
            return PhotoOutcome("skipped")
        photo.attempts += 1
        attempt, media_id, url, staff_id = photo.attempts, photo.media_id, photo.pic_url, photo.staff_id
        staff = session.get_one(StaffAccount, staff_id)
        openid, number = staff.wechat_openid, _number(staff, session=session)
    try:
        if by_pic_url(media_id):
            data = download(url, api_base_url=settings.wechat.api_base_url, max_bytes=media.max_bytes,
                            timeout=getattr(api, "timeout", None) or PIC_URL_TIMEOUT_SECONDS)
        else:
            data = api.media.download(media_id).content
        clean = clean_image(data, max_bytes=media.max_bytes, max_pixels=media.max_pixels)
    except (UnsafePicUrl, PicUrlGone) as exc:
        return _fail(photo_id, str(exc), "照片地址无法访问", number, openid, sessions)
    except ImageRefused as exc:
        return _fail(photo_id, f"refused: {exc}", staff_texts.photo_problem(exc.reason, max_bytes=media.max_bytes),
                     number, openid, sessions)
    except WeChatClientException as exc:
        if exc.errcode == EXPIRED_MEDIA or attempt >= media.fetch_attempts:
            return _fail(photo_id, f"WeChat API error {exc.errcode}", "微信上的照片已无法获取", number, openid,
                         sessions)
        raise TryAgain(media.retry_base_seconds * 2 ** (attempt - 1), f"WeChat API error {exc.errcode}") from exc
    except requests.RequestException as exc:
        if attempt >= media.fetch_attempts:
            return _fail(photo_id, type(exc).__name__, "暂时无法从微信取回照片", number, openid, sessions)
        raise TryAgain(media.retry_base_seconds * 2 ** (attempt - 1), type(exc).__name__) from exc
    snapshot = catalogue()   # before the transaction: loading it reads the database itself
    with transaction(sessions) as session:
        photo = session.get_one(Photo, photo_id)
        if photo.status != PhotoStatus.RECORDED:   # another attempt of the job took it meanwhile
            return PhotoOutcome("skipped")
        photo.display_key, photo.thumbnail_key = do_store_photo(storage, photo_id, clean.display, clean.thumbnail,
                                                                session=session)
        photo.status = PhotoStatus.STORED
        photo.width, photo.height, photo.source_format = clean.width, clean.height, clean.source_format
        photo.phash, photo.taken_at, photo.processed_at, photo.note = clean.phash, clean.taken_at_utc, utcnow(), ""
        if clean.gps_wgs84:   # where it was taken: HQ's evidence check (bot/cases/evidence.py), as for the portal's
            photo.gps_latitude, photo.gps_longitude = wgs84_to_gcj02(*clean.gps_wgs84)
        staff = session.get_one(StaffAccount, staff_id)
        outcome = do_resolve_with_photo(staff, photo, now=utcnow(), session=session, catalogue=snapshot)
        if outcome is not None and outcome.refused:
            # The 办结 it was sent for was refused, and no step holds it: keep the row saying why, not the files.
            discard_photo(storage, photo_id)
            photo.status, photo.note = PhotoStatus.FAILED, f"refused step: {outcome.refused}"
            photo.display_key = photo.thumbnail_key = ""
    if outcome is None:
        return PhotoOutcome("stored")
    if outcome.refused:
        return PhotoOutcome("stored", staff_texts.RESOLVE_REFUSED.format(number=outcome.number or number,
                                                                        reason=outcome.refused), openid)
    log.info("ticket %s resolved by chat with photo %s", outcome.number, photo_id)
    return PhotoOutcome("stored", staff_texts.RESOLVED.format(number=outcome.number), openid)


def _number(staff: StaffAccount, *, session: Session) -> str:
    ticket = session.get(Ticket, staff.resolving_ticket_id) if staff.resolving_ticket_id else None
    return ticket.number if ticket else ""


def _fail(photo_id: int, note: str, reason: str, number: str, openid: str | None,
          sessions: sessionmaker[Session]) -> PhotoOutcome:
    """The photo is marked failed; the 办结 keeps waiting for another photo, and the staff member is asked for one."""
    log.warning("after-photo %s not saved: %s", photo_id, note)
    with transaction(sessions) as session:
        photo = session.get_one(Photo, photo_id)
        photo.status, photo.note, photo.processed_at = PhotoStatus.FAILED, note, utcnow()
        staff = session.get(StaffAccount, photo.staff_id)
        if staff is not None and staff.resolving_photo_id == photo_id:
            staff.resolving_photo_id = None
            if staff.resolving_ticket_id is None:
                forget_resolution(staff)
    return PhotoOutcome("failed", staff_texts.PHOTO_FAILED.format(reason=reason, number=number), openid)
