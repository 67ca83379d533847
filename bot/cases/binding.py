"""Binding a staff account to the staff member's WeChat (one OpenID, one account): a one-time code from the portal,
sent to the official account as “绑定 123456”; unbinding from either side.

A code is six digits, kept only as its SHA-256, valid for a few minutes and once; a WeChat that sends wrong codes is
stopped after a few an hour, so guessing one of the million codes in its few minutes is hopeless."""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import BindAttempt, BindCode, StaffAccount

CODE_DIGITS = 6


class Bound(enum.StrEnum):
    BOUND = "bound"
    WRONG = "wrong"                 # no live code matches: wrong, expired or used
    TOO_MANY = "too_many"           # this WeChat sent too many wrong codes within the hour
    OTHER_ACCOUNT = "other_account"  # this WeChat is bound to another account already


@dataclass(frozen=True)
class BindOutcome:
    result: Bound
    staff: StaffAccount | None = None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def do_issue_bind_code(staff: StaffAccount, *, now: datetime, minutes: int, session: Session) -> str:
    """A new code for this account, shown once; the account's earlier codes stop working."""
    for earlier in session.scalars(select(BindCode).where(BindCode.staff_id == staff.id, BindCode.used_at.is_(None))):
        earlier.used_at = now
    while True:   # unique among the live codes, so a code names one account
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if _live_code(code, now, session=session) is None:
            break
    session.add(BindCode(staff_id=staff.id, code_sha256=_digest(code), created_at=now,
                         expires_at=now + timedelta(minutes=minutes)))
    return code


def _live_code(code: str, now: datetime, *, session: Session) -> BindCode | None:
    return session.scalar(select(BindCode).where(BindCode.code_sha256 == _digest(code), BindCode.used_at.is_(None),
                                                 BindCode.expires_at > now).limit(1))


def do_bind(openid: str, code: str, *, now: datetime, failures_per_hour: int, session: Session) -> BindOutcome:
    """Bind the account whose live code this is to the WeChat that sent it."""
    failures = session.scalar(select(func.count(BindAttempt.id)).where(
        BindAttempt.openid == openid, BindAttempt.at > now - timedelta(hours=1)))
    if failures and failures >= failures_per_hour:
        return BindOutcome(Bound.TOO_MANY)
    found = _live_code(code.strip(), now, session=session)
    staff = session.get(StaffAccount, found.staff_id) if found else None
    if found is None or staff is None or not staff.active:
        session.add(BindAttempt(openid=openid, at=now))
        return BindOutcome(Bound.WRONG)
    holder = bound_staff(openid, session=session, active_only=False)
    if holder is not None and holder.id != staff.id:
        return BindOutcome(Bound.OTHER_ACCOUNT, holder)
    found.used_at = now
    staff.wechat_openid, staff.wechat_bound_at = openid, now   # a WeChat bound before to this account is replaced
    return BindOutcome(Bound.BOUND, staff)


def do_unbind(staff: StaffAccount) -> None:
    """The account no longer hears or acts by chat; a 办结 waiting for its photo lapses."""
    staff.wechat_openid = staff.wechat_bound_at = None
    forget_resolution(staff)


def forget_resolution(staff: StaffAccount) -> None:
    staff.resolving_ticket_id = staff.resolving_since = staff.resolving_photo_id = None
    staff.resolving_note = ""


def bound_staff(openid: str, *, session: Session, active_only: bool = True) -> StaffAccount | None:
    """The staff account this WeChat is bound to (an active one, unless asked otherwise)."""
    query = select(StaffAccount).where(StaffAccount.wechat_openid == openid)
    if active_only:
        query = query.where(StaffAccount.active.is_(True))
    return session.scalar(query)
