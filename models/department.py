"""The district's catalogue: departments, towns, categories, gazetteer, routing overrides, API tokens."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class DepartmentKind(enum.StrEnum):
    HQ = "hq"                  # 区创城指挥部: triage, verification, scores
    DEPARTMENT = "department"  # a responsible department that works tickets
    TOWN = "town"              # a town or street office (属地)


class Department(Base):
    """A responsible department, a town/street office, or HQ (区创城指挥部)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DepartmentKind] = mapped_column(enum_column(DepartmentKind))
    wecom_webhook: Mapped[str] = mapped_column(String(500), default="")


class Town(Base):
    """A town or street office area (属地), with its boundary polygon as GeoJSON."""

    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    short_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    office_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # GeoJSON


class Category(Base):
    """A report category with its lead department, deadline and keywords."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    deadline: Mapped[str] = mapped_column(String(16))  # "4h" working hours, "3d" working days
    national_code: Mapped[str] = mapped_column(String(8), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    replies: Mapped[list[str]] = mapped_column(JSON, default=list)   # canned replies to the resident


class GazetteerEntry(Base):
    """A known place name; town_code is empty when the place does not settle the town."""

    __tablename__ = "gazetteer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    town_code: Mapped[str | None] = mapped_column(ForeignKey("towns.code"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="")


class RoutingOverride(Base):
    """A per-town exception to category → lead department routing."""

    __tablename__ = "routing_overrides"
    __table_args__ = (UniqueConstraint("town_code", "category_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_code: Mapped[str] = mapped_column(ForeignKey("towns.code"))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))


class Setting(Base):
    """A small piece of operator data loaded from configuration (e.g. the working calendar)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiToken(Base):
    """A department's bearer token for /api/v1; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    # Written back at most once a minute (bot/web/api.py), so a busy client does not write on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
