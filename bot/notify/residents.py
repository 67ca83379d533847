"""Deliver the reporters' notices (written by bot/cases/notices.py): a job sends them with retries, a template
fallback outside WeChat's 48-hour window, else at the resident's next message."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.infra.db import transaction
from bot.notify.window import send_in_window
from bot.photos.redaction import public_copy
from models import Notification, NotificationStatus, Photo, Resident, Ticket, utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120               # a worker that dies mid-send leaves the row due again after this
MAX_BACKOFF_SECONDS = 300
BATCH = 50
# What a send can leave a notice as; anything else ("retry") keeps it pending for a later attempt.
SETTLED = {NotificationStatus.SENT, NotificationStatus.TEMPLATE_SENT, NotificationStatus.WAITING}


def deliver_due(api, storage, sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> dict:
    """Send every due pending notice once; return counts by outcome. Safe to run in several workers."""
    now = now or utcnow()
    claimed = _claim(sessions, now)
    counts = {"sent": 0, "template_sent": 0, "waiting": 0, "retry": 0}
    for notice_id, openid, text, photo_key, number in claimed:
        outcome, error = _send(api, storage, settings, openid, text, photo_key, number)
        with transaction(sessions) as session:
            notice = session.get_one(Notification, notice_id)
            notice.last_error = error
            if outcome in SETTLED:
                notice.status = NotificationStatus(outcome)
                notice.sent_at = utcnow() if outcome != NotificationStatus.WAITING else None
            else:
                delay = min(MAX_BACKOFF_SECONDS, 15 * 2 ** min(notice.attempts, 10))
                notice.next_attempt_at = utcnow() + timedelta(seconds=delay)
        counts[outcome] += 1
    return counts


def _claim(sessions, now: datetime) -> list[tuple]:
    """Take due rows by moving their next attempt into the future, so another worker skips them."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(Notification, Resident.openid, Ticket.number)
            .join(Resident, Resident.id == Notification.resident_id).join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now)
            .order_by(Notification.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        claimed = []
        for notice, openid, number in rows:
            notice.attempts += 1
            notice.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            key = (session.scalar(select(Photo.display_key).where(Photo.id == notice.photo_id))
                   if notice.photo_id else "")
            claimed.append((notice.id, openid, notice.text, key, number))
        return claimed


def _send(api, storage, settings: Settings, openid: str, text: str, photo_key: str, number: str) -> tuple[str, str]:
    def send() -> None:
        # The after-photo leaves the department: faces and plates blurred (bot/photos/redaction.py).
        photo = public_copy(storage, photo_key, settings.ocr) if photo_key else b""
        api.message.send_text(openid, text)
        if photo:
            uploaded = api.media.upload("image", ("after.jpg", io.BytesIO(photo), "image/jpeg"))
            api.message.send_image(openid, uploaded["media_id"])

    return send_in_window(send, api=api, openid=openid, template_id=settings.notifications.template_id, who="resident",
                          fields={"first": {"value": text[:100]}, "keyword1": {"value": number},
                                  "keyword2": {"value": "工单进度更新"},
                                  "remark": {"value": "回复“查询 编号”可查看详情。"}})
