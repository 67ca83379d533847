"""Deliver the staff's notices (written by bot/cases/staff_notices.py): WeChat customer-service messages with a
template fallback outside the 48-hour window (else at their next message), and WeCom application messages; every
failure is retried by the same job."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot.config import Settings
from bot.infra.db import transaction
from bot.notify.residents import BATCH, CLAIM_SECONDS, MAX_BACKOFF_SECONDS
from bot.notify.wecom import WeComApi
from bot.notify.window import send_in_window
from models import StaffAccount, StaffChannel, StaffNotice, StaffNoticeStatus, Ticket, utcnow

log = logging.getLogger(__name__)
SETTLED = {StaffNoticeStatus.SENT, StaffNoticeStatus.TEMPLATE_SENT, StaffNoticeStatus.WAITING,
           StaffNoticeStatus.DROPPED}


def deliver_staff_due(api, wecom: WeComApi | None, sessions: sessionmaker[Session], settings: Settings,
                      now: datetime | None = None) -> dict:
    """Send every due staff notice once; return counts by outcome. Safe to run in several workers."""
    now = now or utcnow()
    counts = {"sent": 0, "template_sent": 0, "waiting": 0, "dropped": 0, "retry": 0}
    for notice_id, channel, address, text, number in _claim(sessions, now):
        if not address:
            outcome, error = "dropped", "the account was deactivated or unbound"
        elif channel == StaffChannel.WECHAT:
            outcome, error = _send_wechat(api, settings, address, text, number)
        else:
            outcome, error = _send_wecom(wecom, address, text)
        with transaction(sessions) as session:
            notice = session.get_one(StaffNotice, notice_id)
            notice.last_error = error
            if outcome in SETTLED:
                notice.status = StaffNoticeStatus(outcome)
                notice.sent_at = utcnow() if outcome in ("sent", "template_sent") else None
            else:
                delay = min(MAX_BACKOFF_SECONDS, 15 * 2 ** min(notice.attempts, 10))
                notice.next_attempt_at = utcnow() + timedelta(seconds=delay)
        counts[outcome] += 1
    return counts


def _claim(sessions, now: datetime) -> list[tuple]:
    """Take due rows by moving their next attempt into the future, so another worker skips them; each with where
    it goes now ("" when the account no longer may hear it)."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(StaffNotice, StaffAccount, Ticket.number)
            .join(StaffAccount, StaffAccount.id == StaffNotice.staff_id)
            .join(Ticket, Ticket.id == StaffNotice.ticket_id)
            .where(StaffNotice.status == StaffNoticeStatus.PENDING, StaffNotice.next_attempt_at <= now)
            .order_by(StaffNotice.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        claimed = []
        for notice, person, number in rows:
            notice.attempts += 1
            notice.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            address = person.wechat_openid if notice.channel == StaffChannel.WECHAT else person.wecom_userid
            claimed.append((notice.id, notice.channel, (address or "") if person.active else "", notice.text, number))
        return claimed


def _send_wechat(api, settings: Settings, openid: str, text: str, number: str) -> tuple[str, str]:
    return send_in_window(lambda: api.message.send_text(openid, text), api=api, openid=openid,
                          template_id=settings.notifications.staff_template_id, who="staff member",
                          fields={"first": {"value": text[:100]}, "keyword1": {"value": number},
                                  "keyword2": {"value": text.splitlines()[0]},
                                  "remark": {"value": f"回复“详情 {number}”查看。"}})


def _send_wecom(wecom: WeComApi | None, userid: str, text: str) -> tuple[str, str]:
    if wecom is None:
        return "dropped", "no WeCom application configured ([wecom] corp_id, agent_id, secret)"
    try:
        answer = wecom.message.send_text(wecom.agent_id, [userid], text)
    except WeChatClientException as exc:
        return "retry", f"WeCom error {exc.errcode}: {exc.errmsg}"
    except (requests.RequestException, OSError) as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:300]
    if userid in (answer.get("invaliduser") or "").split("|"):
        # Not in the application's visible range: sending again cannot help until an administrator fixes it.
        log.warning("WeCom refused userid %s: not in the application's visible range", userid)
        return "dropped", f"WeCom: invalid user {userid}"
    return "sent", ""
