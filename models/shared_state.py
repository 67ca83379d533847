"""Short-lived state every web worker shares when Redis is not used: portal sessions and login delays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SharedState(Base):
    """key: "session:<sha256 of the cookie's id>" or "login:<what is counted>"; value: JSON; gone after expires_at."""

    __tablename__ = "shared_state"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(index=True)
