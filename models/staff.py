"""Staff accounts of departments, town offices and HQ, who work tickets in the portal."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
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
