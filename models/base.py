"""Declarative base, naming conventions and the clock shared by all tables."""
from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def enum_column(enum_cls: type[enum.StrEnum]) -> Enum:
    """A string column holding one of the enum's values (no database enum type: adding a value needs no migration)."""
    return Enum(enum_cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    """Return the current UTC time, naive, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
