"""Staff accounts of departments, town offices and HQ, who work tickets in the portal and, once bound, in WeChat."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class StaffRole(enum.StrEnum):
    STAFF = "staff"   # works the department's tickets
    ADMIN = "admin"   # also returns tickets to HQ; an admin of HQ is an HQ admin


class StaffAccount(Base):
    """role: staff (works tickets) or admin (also returns and manages); an admin of HQ is an HQ admin."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole), default=StaffRole.STAFF)
    active: Mapped[bool] = mapped_column(default=True)
    # Raised when the password changes (or the account is shut): every portal session begun before is over.
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Their WeChat on the official account (bound with a one-time code): notices and commands by chat.
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    wechat_bound_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Their 企业微信 userid, for the WeCom application's messages ("" when they have none).
    wecom_userid: Mapped[str] = mapped_column(String(64), default="")
    # A 办结 by chat waiting for its after-photo: the ticket, the note, since when, and the photo being fetched.
    resolving_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", use_alter=True), nullable=True)
    resolving_note: Mapped[str] = mapped_column(Text, default="")
    resolving_since: Mapped[datetime | None] = mapped_column(nullable=True)
    resolving_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", use_alter=True), nullable=True)
    # Two-factor authentication (TOTP, RFC 6238): the base32 secret once enrolled, when, and the last time step a
    # code was accepted for, so that a code seen over someone's shoulder cannot be used again.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(nullable=True)


class BindCode(Base):
    """A one-time code the portal shows (绑定 123456) for binding the account to the WeChat that sends it.

    Only its SHA-256 is kept; it expires after a few minutes and works once."""

    __tablename__ = "staff_bind_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class BindAttempt(Base):
    """A 绑定 code that did not match, by the OpenID that sent it: a few per hour, then that WeChat must wait."""

    __tablename__ = "staff_bind_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AccountEvent(Base):
    """Who did what to which account (created, deactivated, password reset, role, TOTP, login delays, tokens).

    actor is "staff:NAME", "cli" or "token:ID" (a token revoking by the API); target is the account's username (or
    "token:ID" for an API token)."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(100), index=True)
    department_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    # One hash chain over the whole table (models/sealing.py), so that who was given which rights cannot be quietly
    # rewritten; the unique prev_hash keeps it from forking.
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    field_digests: Mapped[str | None] = mapped_column(String(64), nullable=True)
