"""The WeChat API access token, one per official account, shared by every worker."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class WeChatToken(Base):
    """token is empty until the first fetch; lease_until marks a worker fetching a new one right now."""

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(600))
    expires_at: Mapped[datetime] = mapped_column()
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
