"""The number registry: numbers read on flyers, filed once each with every photo they were seen in, their
reports, towns and dates, and the status staff set (new, warned, 停机 requested, stopped)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.actors import Actor
from bot.photos.ocr import TextLine
from bot.understanding.phone_numbers import KIND_NAMES, FoundNumber, find_numbers, shown
from models import (
    Category,
    DepartmentKind,
    FlyerNumber,
    NumberSighting,
    NumberStatus,
    Photo,
    PhotoReading,
    Ticket,
    utcnow,
)

STATUS_LABELS = {NumberStatus.NEW: "未处置", NumberStatus.WARNED: "已警告",
                 NumberStatus.STOP_REQUESTED: "已申请停机", NumberStatus.STOPPED: "已停机"}


class RegistryRefused(Exception):
    """A change to the registry this person may not make, or that names no number; the message is for staff."""


@dataclass
class NumberRow:
    """One number in the registry with what its reports add up to (within the period asked for)."""

    id: int
    value: str
    kind: str
    status: NumberStatus
    status_note: str
    status_changed_at: datetime | None
    reports: int = 0
    photos: int = 0
    tickets: list[str] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)      # town codes, most reports first
    places: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def shown(self) -> str:
        return shown(self.value)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def do_record_reading(photo: Photo, lines: Sequence[TextLine], seconds: float, *, session: Session,
                      now: datetime | None = None) -> list[FoundNumber]:
    """Keep what OCR read in a stored photo and file each number in it with the box it was printed in."""
    now = now or utcnow()
    if session.get(PhotoReading, photo.id) is not None:
        return []   # read already (a job run twice): the numbers were filed then
    session.add(PhotoReading(photo_id=photo.id, text="\n".join(line.text for line in lines), seconds=seconds,
                             lines=json.dumps([[line.text, [list(p) for p in line.box], round(line.score, 3)]
                                               for line in lines], ensure_ascii=False), read_at=now))
    found = find_numbers([line.text for line in lines])
    for number in found:
        boxes = [lines[index].box for index in number.lines]
        xs = [x for box in boxes for x, _ in box]
        ys = [y for box in boxes for _, y in box]
        session.add(NumberSighting(number_id=_filed(number, now, session=session).id, photo_id=photo.id,
                                   printed=number.printed[:100], seen_at=now,
                                   box=f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}" if xs else ""))
    return found


def _filed(number: FoundNumber, now: datetime, *, session: Session) -> FlyerNumber:
    """The registry's row for a number; two photo jobs filing a new number at once make one row."""
    row = session.scalar(select(FlyerNumber).where(FlyerNumber.value == number.value))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = FlyerNumber(value=number.value, kind=number.kind, created_at=now)
            session.add(row)
    except IntegrityError:
        row = session.scalars(select(FlyerNumber).where(FlyerNumber.value == number.value)).one()
    return row


def read_lines(photo_id: int, *, session: Session) -> list[TextLine]:
    """The lines read in a photo, with their boxes (none when it was not read)."""
    reading = session.get(PhotoReading, photo_id)
    if reading is None:
        return []
    return [TextLine(text, tuple((int(x), int(y)) for x, y in box), float(score))  # type: ignore[arg-type]
            for text, box, score in json.loads(reading.lines)]


def may_keep_registry(actor: Actor, categories: Iterable[str], *, session: Session) -> bool:
    """HQ and the departments that lead the flyer categories (区城市管理局) see the registry and set statuses."""
    if actor.department_kind == DepartmentKind.HQ:
        return True
    leads = session.scalars(select(Category.lead_department_code).where(Category.code.in_(list(categories))))
    return actor.department_code in set(leads)


def number_rows(categories: Iterable[str], *, session: Session, since: datetime | None = None,
                min_reports: int = 1, status: NumberStatus | None = None) -> list[NumberRow]:
    """The registry: each number seen on photos of tickets of these categories, with its reports (a resident's
    photos on one ticket are one report), photos, tickets, towns, places and first and last day; most reported
    first. `since` counts only tickets received from then on."""
    query = (select(FlyerNumber, NumberSighting.photo_id, Photo.resident_id, Ticket.number, Ticket.town_code,
                    Ticket.location_label, Ticket.place_text, Ticket.created_at)
             .join(NumberSighting, NumberSighting.number_id == FlyerNumber.id)
             .join(Photo, Photo.id == NumberSighting.photo_id)
             .join(Ticket, Ticket.id == Photo.ticket_id)
             .where(Ticket.category_code.in_(list(categories)))
             .order_by(Ticket.created_at))
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    if status is not None:
        query = query.where(FlyerNumber.status == status)
    rows: dict[int, NumberRow] = {}
    reports: dict[int, set[tuple[str, int | None]]] = {}
    photos: dict[int, set[int]] = {}
    towns: dict[int, dict[str, int]] = {}
    for number, photo_id, resident_id, ticket, town, label, place, created in session.execute(query):
        row = rows.get(number.id)
        if row is None:
            row = rows[number.id] = NumberRow(number.id, number.value, number.kind, number.status,
                                              number.status_note, number.status_changed_at, first_seen=created)
        row.last_seen = created
        reports.setdefault(number.id, set()).add((ticket, resident_id))
        photos.setdefault(number.id, set()).add(photo_id)
        if ticket not in row.tickets:
            row.tickets.append(ticket)
            if town:
                towns.setdefault(number.id, {}).setdefault(town, 0)
                towns[number.id][town] += 1
            where = label or place
            if where and where not in row.places:
                row.places.append(where)
    for number_id, row in rows.items():
        row.reports, row.photos = len(reports[number_id]), len(photos[number_id])
        counted = towns.get(number_id, {})
        row.towns = sorted(counted, key=lambda code: -counted[code])
    chosen = [row for row in rows.values() if row.reports >= min_reports]
    return sorted(chosen, key=lambda row: (-row.reports, -(row.last_seen or datetime.min).timestamp(), row.value))


@dataclass(frozen=True)
class TicketNumber:
    """A number read in a ticket's photos, and how many other reports of the flyer categories carry it."""

    value: str
    kind: str
    status: NumberStatus
    printed: str
    earlier_reports: int
    other_tickets: list[str]

    @property
    def shown(self) -> str:
        return shown(self.value)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def numbers_on_ticket(ticket: Ticket, categories: Iterable[str], *, session: Session) -> list[TicketNumber]:
    """Numbers read in this ticket's photos, each with the other reports (other tickets of the flyer
    categories) that carry it: the ticket page's "该号码已被反映 N 次"."""
    categories = list(categories)
    sightings = session.execute(
        select(FlyerNumber, NumberSighting.printed)
        .join(NumberSighting, NumberSighting.number_id == FlyerNumber.id)
        .join(Photo, Photo.id == NumberSighting.photo_id)
        .where(Photo.ticket_id == ticket.id).order_by(NumberSighting.id)).all()
    found: list[TicketNumber] = []
    for number, printed in sightings:
        if any(item.value == number.value for item in found):
            continue
        others = list(session.scalars(
            select(Ticket.number).join(Photo, Photo.ticket_id == Ticket.id)
            .join(NumberSighting, NumberSighting.photo_id == Photo.id)
            .where(NumberSighting.number_id == number.id, Ticket.id != ticket.id,
                   Ticket.category_code.in_(categories))
            .group_by(Ticket.number).order_by(Ticket.number)))
        found.append(TicketNumber(number.value, number.kind, number.status, printed, len(others), others))
    return found


def do_set_number_status(number_id: int, status: NumberStatus, note: str, actor: Actor,
                         categories: Iterable[str], *, session: Session, now: datetime | None = None) -> FlyerNumber:
    """Set what has been done about a number (warned, 停机 requested, stopped, or new again), with a note."""
    if not may_keep_registry(actor, categories, session=session):
        raise RegistryRefused("只有区创城指挥部和主管部门可以更改号码状态。")
    number = session.get(FlyerNumber, number_id)
    if number is None:
        raise RegistryRefused("未找到该号码。")
    number.status, number.status_note = status, note.strip()[:500]
    number.status_changed_at, number.status_changed_by = now or utcnow(), actor.name
    return number


STOP_REQUEST_HEADER = ["号码", "类型", "被反映次数", "照片张数", "首次发现", "最近发现", "涉及镇街", "发现地点",
                       "工单编号", "处置状态", "备注"]


def stop_request_rows(rows: Sequence[NumberRow], town_names: dict[str, str],
                      day: Callable[[datetime], str]) -> list[list[str]]:
    """The registry as a 停机 request lists it: number, count, first and last date, places, ticket numbers."""
    return [[row.value.split(":", 1)[-1], KIND_NAMES.get(row.kind, row.kind), str(row.reports), str(row.photos),
             day(row.first_seen) if row.first_seen else "", day(row.last_seen) if row.last_seen else "",
             "、".join(town_names.get(code, code) for code in row.towns), "；".join(row.places),
             " ".join(row.tickets), row.status_label, row.status_note] for row in rows]
