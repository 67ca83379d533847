"""Text read in photos, and the number registry: each phone number or id printed on flyers, where it was seen."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class NumberStatus(enum.StrEnum):
    """What the district has done about a number; staff set it, in any order (a stopped number may come back)."""

    NEW = "new"                         # 未处置
    WARNED = "warned"                   # 已电话警告
    STOP_REQUESTED = "stop_requested"   # 已申请停机
    STOPPED = "stopped"                 # 已停机


class PhotoReading(Base):
    """The text OCR read in a stored photo: each line with its box (JSON), for numbers, categories and plates."""

    __tablename__ = "photo_readings"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[str] = mapped_column(Text, default="[]")   # [[text, [[x, y] × 4], score], …] in display pixels
    seconds: Mapped[float] = mapped_column(default=0.0)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlyerNumber(Base):
    """A number as filed (13812345678, 0351-6012345, 400-888-1234, wechat:abc123, qq:12345678), once each."""

    __tablename__ = "flyer_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))            # mobile | landline | hotline | wechat | qq
    status: Mapped[NumberStatus] = mapped_column(enum_column(NumberStatus), default=NumberStatus.NEW, index=True)
    status_note: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    status_changed_by: Mapped[str] = mapped_column(String(100), default="")   # an actor, as events name them
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NumberSighting(Base):
    """A number read in one photo, with the box it was printed in; the ticket is the photo's."""

    __tablename__ = "number_sightings"
    __table_args__ = (Index("uq_number_sightings_number_photo", "number_id", "photo_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number_id: Mapped[int] = mapped_column(ForeignKey("flyer_numbers.id"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), index=True)
    printed: Mapped[str] = mapped_column(String(100), default="")   # as OCR read it: 138-1234-5678
    box: Mapped[str] = mapped_column(String(200), default="")       # "left,top,right,bottom" in display pixels
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
