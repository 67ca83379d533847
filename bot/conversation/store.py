"""The conversation's reads and writes on the webhook's hot path, in SQLAlchemy Core over the models' own tables.

A message costs one upsert that finds (or creates) and locks the resident, one read of the resident with
their open draft, and one write of each row the turn changed. The ORM stays for the portal, the jobs,
the CLI and the rarer steps of a turn (submitting, rating, erasing), which open a session on the same
connection when they need one.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Connection, Table, Update, and_, bindparam, exists, func, select
from sqlalchemy.sql.dml import ReturningInsert

from bot.infra.db import upsert_insert
from models import (
    CategorySource,
    Draft,
    DraftStatus,
    LocationSource,
    Notification,
    NotificationStatus,
    Photo,
    Resident,
    StaffAccount,
    Step,
)

# SQLAlchemy types a mapped class's __table__ as any FromClause; a declarative class's is always a Table.
RESIDENTS: Table = Resident.__table__  # type: ignore[assignment]
DRAFTS: Table = Draft.__table__  # type: ignore[assignment]
PHOTOS: Table = Photo.__table__  # type: ignore[assignment]
NOTICES: Table = Notification.__table__  # type: ignore[assignment]
STAFF: Table = StaffAccount.__table__  # type: ignore[assignment]


@dataclass
class Row:
    """A row read for one turn; save() writes back only the columns the turn changed."""

    table: ClassVar[Table]
    id: int
    loaded: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def changes(self) -> dict[str, Any]:
        return {column: getattr(self, column) for column, before in self.loaded.items()
                if getattr(self, column) != before}

    def mark_saved(self) -> None:
        self.loaded = {column: _copy(getattr(self, column)) for column in self.loaded}


@dataclass
class ResidentState(Row):
    """The resident as the turn sees them (residents row)."""

    table: ClassVar[Table] = RESIDENTS
    openid: str = ""
    subscribed: bool = True
    created_at: datetime = field(kw_only=True)  # NOT NULL: always read with the row
    blocked: bool = False
    erase_requested_at: datetime | None = None
    reason_for_ticket_id: int | None = None
    offered_report: str = ""
    last_ticket_id: int | None = None          # the ticket their last 提交 opened or joined
    last_submitted_at: datetime | None = None
    has_waiting_notices: bool = False   # read with the row, never written
    staff_id: int | None = None         # the active staff account bound to this WeChat (read, never written)


@dataclass
class DraftState(Row):
    """The resident's open draft report (drafts row), with how many photos it holds."""

    table: ClassVar[Table] = DRAFTS
    resident_id: int = 0
    status: DraftStatus = DraftStatus.OPEN
    step: Step = Step.COLLECTING
    description: str = ""
    category_code: str | None = None
    category_confidence: float = 0.0
    category_source: CategorySource = CategorySource.MODEL
    menu: list[str] = field(default_factory=list)
    photo_proposal: str = ""            # what a photo alone says: the description once its category is confirmed
    latitude: float | None = None
    longitude: float | None = None
    location_label: str = ""
    location_source: LocationSource = LocationSource.NONE
    place_text: str = ""
    town_code: str | None = None
    created_at: datetime = field(kw_only=True)  # NOT NULL: always read or written with the row
    updated_at: datetime = field(kw_only=True)
    photo_count: int = 0                # read with the row, never written

    @property
    def has_location(self) -> bool:
        return self.latitude is not None or bool(self.place_text)


_RESIDENT_COLUMNS = ("openid", "subscribed", "created_at", "blocked", "erase_requested_at", "reason_for_ticket_id",
                     "offered_report", "last_ticket_id", "last_submitted_at")
_DRAFT_COLUMNS = tuple(f.name for f in dataclasses.fields(DraftState)
                       if f.name not in ("id", "loaded", "photo_count"))


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


RowT = TypeVar("RowT", bound=Row)


def _state(cls: type[RowT], values: dict[str, Any], columns: tuple[str, ...]) -> RowT:
    row = cls(**values)
    row.loaded = {column: _copy(values[column]) for column in columns}
    return row


def find_resident(connection: Connection, openid: str, now: datetime, *, seen: bool) -> int:
    """The resident's id, creating their row on first contact; their row stays locked to the end of the
    transaction, so one resident's messages are answered one after another, in any worker.

    A message (not an event) also records when the resident last wrote, in the same statement."""
    values = {"openid": openid, "created_at": now, "now": now if seen else None}
    return connection.execute(_find_resident_statement(connection.dialect.name), values).scalar_one()


def load_turn(connection: Connection, resident_id: int) -> tuple[ResidentState, DraftState | None]:
    """The resident and their open draft, in one statement read after the resident's lock is held.

    It must be a statement of its own: on PostgreSQL a statement sees the database as it was when it began,
    so a draft read while waiting for the lock would miss the one the message we waited for started."""
    row = connection.execute(_LOAD_TURN, {"resident_id": resident_id}).one()._mapping
    resident = _state(ResidentState, {"id": resident_id, "has_waiting_notices": bool(row["waiting"]),
                                      "staff_id": row["staff_id"],
                                      **{column: row[column] for column in _RESIDENT_COLUMNS}}, _RESIDENT_COLUMNS)
    if row["draft_id"] is None:
        return resident, None
    draft = _state(DraftState, {"id": row["draft_id"], "photo_count": row["photo_count"],
                                **{column: row[f"draft_{column}"] for column in _DRAFT_COLUMNS}}, _DRAFT_COLUMNS)
    return resident, draft


def start_draft(connection: Connection, resident_id: int, now: datetime) -> DraftState:
    """A new open draft for the resident (the unique index allows one open draft each)."""
    values = {"resident_id": resident_id, "status": DraftStatus.OPEN, "step": Step.COLLECTING, "description": "",
              "category_code": None, "category_confidence": 0.0, "category_source": CategorySource.MODEL,
              "menu": [], "photo_proposal": "", "latitude": None, "longitude": None, "location_label": "",
              "location_source": LocationSource.NONE, "place_text": "", "town_code": None,
              "created_at": now, "updated_at": now}
    draft_id = connection.execute(DRAFTS.insert().returning(DRAFTS.c.id), values).scalar_one()
    return _state(DraftState, {"id": draft_id, "photo_count": 0, **values}, _DRAFT_COLUMNS)


def save(connection: Connection, row: Row) -> None:
    """Write the columns of the row that the turn changed, if any."""
    changes = row.changes()
    if changes:
        connection.execute(_update_statement(type(row).table, frozenset(changes)), {"row_id": row.id, **changes})
        row.mark_saved()


def add_photo(connection: Connection, values: dict[str, Any]) -> int | None:
    """Record a photo message; None when the resident sent this MediaId before (it is one photo)."""
    return connection.execute(_add_photo_statement(connection.dialect.name), values).scalar()


@functools.cache
def _find_resident_statement(dialect_name: str) -> ReturningInsert[int]:
    # Built once per dialect: constructing it costs more than running it. DO UPDATE, not DO NOTHING: it
    # returns the id of a row that is already there, and on PostgreSQL takes its lock.
    insert = upsert_insert(dialect_name, RESIDENTS).values(
        openid=bindparam("openid"), created_at=bindparam("created_at"), last_message_at=bindparam("now"))
    return insert.on_conflict_do_update(
        index_elements=[RESIDENTS.c.openid],
        set_={"last_message_at": func.coalesce(insert.excluded.last_message_at, RESIDENTS.c.last_message_at)},
    ).returning(RESIDENTS.c.id)


@functools.cache
def _update_statement(table: Table, columns: frozenset[str]) -> Update:
    # One statement per set of changed columns, built once: a turn changes the same few columns again and again.
    return table.update().where(table.c.id == bindparam("row_id")).values(
        {column: bindparam(column) for column in columns})


@functools.cache
def _add_photo_statement(dialect_name: str) -> ReturningInsert[int]:
    return upsert_insert(dialect_name, PHOTOS).on_conflict_do_nothing(
        index_elements=[PHOTOS.c.resident_id, PHOTOS.c.media_id]).returning(PHOTOS.c.id)


_LOAD_TURN = (
    select(*(RESIDENTS.c[column] for column in _RESIDENT_COLUMNS),
           exists().where(NOTICES.c.resident_id == RESIDENTS.c.id,
                          NOTICES.c.status == NotificationStatus.WAITING).label("waiting"),
           select(STAFF.c.id).where(STAFF.c.wechat_openid == RESIDENTS.c.openid, STAFF.c.active.is_(True))
           .scalar_subquery().label("staff_id"),
           DRAFTS.c.id.label("draft_id"),
           *(DRAFTS.c[column].label(f"draft_{column}") for column in _DRAFT_COLUMNS),
           select(func.count(PHOTOS.c.id)).where(PHOTOS.c.draft_id == DRAFTS.c.id)
           .scalar_subquery().label("photo_count"))
    .select_from(RESIDENTS.outerjoin(DRAFTS, and_(DRAFTS.c.resident_id == RESIDENTS.c.id,
                                                  DRAFTS.c.status == DraftStatus.OPEN)))
    .where(RESIDENTS.c.id == bindparam("resident_id")))
