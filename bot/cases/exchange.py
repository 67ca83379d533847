"""The exchange file for the city platform (数字城管, 12345): one record per ticket changed in a time window.

Each record carries the national event class, the point in GCJ-02 and WGS-84, the status with its national
workflow stage, and the status history. It is a pure function of the ticket as stored, so a ticket exported twice
unchanged gives the identical record; any change that matters bumps `updated_at`, so the ticket comes again with a
later update time. The (number, update_time) pair is the receiver's key for idempotent loading."""
from __future__ import annotations

import csv
import itertools
import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import IO, Any
from zoneinfo import ZoneInfo

import prcoords
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.deadlines import overdue
from bot.cases.ratings import LABELS as RATING_LABELS
from bot.cases.statuses import status_label
from models import Category, Department, Setting, Ticket, TicketEvent, TicketStatus, Town

S = TicketStatus
# Every field of a record, in the order written (CSV columns, JSON keys). README's "Exchange file" table documents
# each one; tests/test_exchange.py checks the two agree.
FIELDS: tuple[str, ...] = (
    "number", "update_time", "category_code", "category_name", "national_class_code", "national_class_name",
    "national_subclass_code", "national_subclass_name", "description", "place_text", "location_label",
    "town_code", "town_name", "gcj02_lat", "gcj02_lng", "wgs84_lat", "wgs84_lng", "status", "status_name",
    "stage", "lead_department_code", "lead_department_name", "deadline", "created_time", "resolved_time",
    "closed_time", "overdue", "rating", "rating_name", "history")
HISTORY_FIELDS: tuple[str, ...] = ("time", "from", "to", "action", "department")
FORMATS = ("jsonl", "csv")

# The national workflow (CJ/T 315: 受理 → 立案 → 派遣 → 处置 → 核查 → 结案) stage each status stands in.
STAGES: dict[TicketStatus, str] = {
    S.RECEIVED: "受理", S.REGISTERED: "立案", S.DISPATCHED: "派遣", S.IN_PROGRESS: "处置",
    S.RESOLVED: "核查",   # the department reports it done: the reporter or HQ verifies it now
    S.VERIFIED: "核查", S.CLOSED: "结案",
    S.REJECTED: "受理",   # refused when it was received (不予受理)
    S.RETURNED: "派遣",   # given back to HQ, to be dispatched again
    S.MERGED: "结案",     # closed as a duplicate of another ticket, which goes on
    S.REOPENED: "处置",   # sent back for rework
}
assert set(STAGES) == set(TicketStatus), "every ticket status needs a national stage"

# OWASP's CSV-injection rule, as the portal's spreadsheets apply it: a resident's words starting with one of these
# would run as a formula when a clerk opens the CSV in Excel or WPS. JSON lines carry the text exactly.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_FETCH = 2000   # tickets' rows fetched at a time: memory stays flat whatever the number of tickets
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ExchangeCatalogue:
    """The names a record spells out, read once per export (not the bot's snapshot: no classifier to load)."""

    zone: tzinfo
    categories: dict[str, tuple[str, str]]   # code → (name, national subclass code)
    departments: dict[str, str]
    towns: dict[str, str]
    national_classes: dict[str, str] = field(default_factory=dict)
    national_subclasses: dict[str, str] = field(default_factory=dict)


def exchange_catalogue(*, session: Session) -> ExchangeCatalogue | None:
    """The catalogue's names and the district's time zone; None when `civicbot load-defaults` has not run."""
    categories = {c.code: (c.name, c.national_code) for c in session.scalars(select(Category))}
    if not categories:
        return None
    stored = {s.key: s.value for s in session.scalars(select(Setting).where(
        Setting.key.in_(["calendar", "national_events"])))}
    national = stored.get("national_events", {})
    return ExchangeCatalogue(
        ZoneInfo(stored.get("calendar", {}).get("timezone", "Asia/Shanghai")), categories,
        {d.code: d.name for d in session.scalars(select(Department))},
        {t.code: t.name for t in session.scalars(select(Town))},
        dict(national.get("classes", {})), dict(national.get("subclasses", {})))


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """A date (midnight, district time) or an ISO 8601 time (district time unless it gives an offset), as the
    database stores times: naive UTC. Raises ValueError on anything else."""
    text = text.strip()
    if _DAY.fullmatch(text):
        moment = datetime.combine(date.fromisoformat(text), time.min, zone)
    else:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_text(moment: datetime | None, zone: tzinfo, timespec: str = "seconds") -> str | None:
    """A stored (naive UTC) time as ISO 8601 in district time with its offset; None stays None."""
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat(timespec=timespec) if moment else None


def gcj_to_wgs(latitude: float, longitude: float) -> tuple[float, float]:
    """WeChat's GCJ-02 point in WGS-84 (GPS, 天地图, most national platforms), to about 0.1 mm; outside China,
    where GCJ-02 is not applied, the point is returned as it is."""
    if not prcoords.sanity_in_china_p(prcoords.Coords(latitude, longitude)):
        return latitude, longitude
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wgs = prcoords.gcj_wgs_bored((latitude, longitude))
    return wgs.lat, wgs.lon


def exchange_records(catalogue: ExchangeCatalogue, *, since: datetime | None, until: datetime | None,
                     session: Session) -> Iterator[dict[str, Any]]:
    """The records of the tickets updated in [since, until), ordered by (update time, number), read a batch of
    rows at a time (a server-side cursor on PostgreSQL): a hundred thousand tickets never sit in memory at once."""
    query = (select(Ticket.id, Ticket.number, Ticket.updated_at, Ticket.category_code, Ticket.description,
                    Ticket.place_text, Ticket.location_label, Ticket.town_code, Ticket.latitude, Ticket.longitude,
                    Ticket.status, Ticket.lead_department_code, Ticket.deadline_at, Ticket.created_at,
                    Ticket.resolved_at, Ticket.closed_at, Ticket.extension_asked_at, Ticket.rating,
                    TicketEvent.at.label("event_at"), TicketEvent.from_status.label("event_from"),
                    TicketEvent.to_status.label("event_to"), TicketEvent.action.label("event_action"),
                    TicketEvent.department_code.label("event_department"))
             .outerjoin(TicketEvent, TicketEvent.ticket_id == Ticket.id)
             .order_by(Ticket.updated_at, Ticket.number, TicketEvent.id))
    if since is not None:
        query = query.where(Ticket.updated_at >= since)
    if until is not None:
        query = query.where(Ticket.updated_at < until)
    rows = session.execute(query, execution_options={"yield_per": ROWS_PER_FETCH})
    for _ticket_id, ticket_rows in itertools.groupby(rows, key=lambda row: row.id):
        group = list(ticket_rows)
        yield _record(group[0], group, catalogue)


def _record(ticket: Any, events: list[Any], catalogue: ExchangeCatalogue) -> dict[str, Any]:
    zone = catalogue.zone
    category_name, national = catalogue.categories.get(ticket.category_code, ("其他", ""))
    subclass = national if len(national) == 4 else ""
    located = ticket.latitude is not None and ticket.longitude is not None
    wgs = gcj_to_wgs(ticket.latitude, ticket.longitude) if located else (None, None)
    return {
        "number": ticket.number,
        # Microseconds: the time is the idempotency key, and a nightly run may pass it back as --since.
        "update_time": local_text(ticket.updated_at, zone, "microseconds"),
        "category_code": ticket.category_code, "category_name": category_name,
        "national_class_code": national[:2], "national_class_name": catalogue.national_classes.get(national[:2], ""),
        "national_subclass_code": subclass, "national_subclass_name": catalogue.national_subclasses.get(subclass, ""),
        "description": ticket.description, "place_text": ticket.place_text, "location_label": ticket.location_label,
        "town_code": ticket.town_code or "", "town_name": catalogue.towns.get(ticket.town_code or "", ""),
        "gcj02_lat": _degrees(ticket.latitude) if located else None,
        "gcj02_lng": _degrees(ticket.longitude) if located else None,
        "wgs84_lat": _degrees(wgs[0]), "wgs84_lng": _degrees(wgs[1]),
        "status": ticket.status.value, "status_name": status_label(ticket.status), "stage": STAGES[ticket.status],
        "lead_department_code": ticket.lead_department_code,
        "lead_department_name": catalogue.departments.get(ticket.lead_department_code, ""),
        "deadline": local_text(ticket.deadline_at, zone), "created_time": local_text(ticket.created_at, zone),
        "resolved_time": local_text(ticket.resolved_at, zone), "closed_time": local_text(ticket.closed_at, zone),
        # As of the update time, not of the export: unchanged tickets must give unchanged records. The deadline
        # check's escalation bumps the update time, so a ticket that falls overdue is sent again, now overdue.
        "overdue": overdue(ticket, ticket.updated_at),
        "rating": ticket.rating, "rating_name": RATING_LABELS.get(ticket.rating, "") if ticket.rating else "",
        "history": [{"time": local_text(row.event_at, zone), "from": row.event_from.value if row.event_from else None,
                     "to": row.event_to.value, "action": row.event_action, "department": row.event_department or ""}
                    for row in events if row.event_at is not None],
    }


def _degrees(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None   # 6 decimals: about 0.1 m, finer than any phone's fix


def write_jsonl(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One JSON object per line, keys in FIELDS order, Chinese as it is; returns how many were written."""
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """A header of FIELDS, then one row per ticket: empty for none, true/false, the history as compact JSON, and
    text that a spreadsheet would run as a formula after a leading apostrophe. The caller opens the stream as UTF-8
    with BOM (Excel and WPS then read the Chinese right)."""
    writer = csv.writer(stream)
    writer.writerow(FIELDS)
    count = 0
    for record in records:
        writer.writerow([_cell(record[name]) for name in FIELDS])
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)
