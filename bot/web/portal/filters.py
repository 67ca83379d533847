"""The queue's filters in the URL: read and checked from the GET parameters, and written back into every link that
keeps them (tabs, pages, the CSV export, the way back from a ticket to its list)."""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import url_for

from bot.cases.queues import MAX_PAGE, Filters, Sort
from bot.cases.statuses import Tab
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Department, DepartmentKind, TicketStatus

NUMBER_LENGTH = 20      # a ticket number's column; a longer search cannot match
# Dates outside these years are typing mistakes; at the calendar's very ends a day's bounds cannot be computed.
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9998, 12, 31)
STATUSES = frozenset(TicketStatus)
TOWN_UNSET = "none"     # the town filter's value for tickets whose town is not settled


def default_tab(department: Department) -> Tab:
    return Tab.TRIAGE if department.kind == DepartmentKind.HQ else Tab.NEW


def ticket_number(text: str | None) -> str:
    """A typed ticket number as stored: full-width characters made plain, no spaces, upper case, not too long."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).upper()[:NUMBER_LENGTH]


def read_filters(args: Mapping[str, str], *, department: Department, catalogue: CatalogueSnapshot) -> Filters:
    """The filters the parameters ask for; a value that is unknown or malformed is left out, never an error."""
    tab, sort, status = args.get("tab", ""), args.get("sort", ""), args.get("status", "")
    category, town = args.get("category", ""), args.get("town", "")
    return Filters(tab=Tab(tab) if tab in Tab.__members__.values() else default_tab(department),
                   category=category if category in catalogue.categories else "",
                   town=town if town == TOWN_UNSET or catalogue.places.town_name(town) else "",
                   status=status if status in STATUSES else "",
                   date_from=_date(args.get("from")), date_to=_date(args.get("to")),
                   number=ticket_number(args.get("q")),
                   sort=Sort(sort) if sort in Sort.__members__.values() else Sort.NEWEST,
                   page=_page(args.get("page")))


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day and FIRST_DATE <= day <= LAST_DATE else None


def _page(value: str | None) -> int:
    try:
        page = int(value or 1)   # int() of a thousand digits is refused by Python, as a ValueError
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def filter_args(filters: Filters, **changes: Any) -> dict[str, Any]:
    """The GET parameters that ask for these filters (with changes), leaving out what is empty or the default."""
    wanted = replace(filters, **changes) if changes else filters
    args = {"tab": wanted.tab.value, "q": wanted.number, "category": wanted.category, "town": wanted.town,
            "status": wanted.status, "from": wanted.date_from.isoformat() if wanted.date_from else "",
            "to": wanted.date_to.isoformat() if wanted.date_to else "",
            "sort": "" if wanted.sort == Sort.NEWEST else wanted.sort.value,
            "page": str(wanted.page) if wanted.page > 1 else ""}
    return {key: value for key, value in args.items() if value}


def list_url(filters: Filters, **changes: Any) -> str:
    """The queue's address showing these filters (with changes)."""
    return url_for("portal.queue", **filter_args(filters, **changes))


def list_from(target: str | None, *, department: Department, catalogue: CatalogueSnapshot) -> str | None:
    """The queue's address rebuilt from a `next` value that names a list: only the queue, only known filters, so it
    never leads elsewhere (no open redirect). None when it is not a list's address."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != url_for("portal.queue"):
        return None
    args = dict(parse_qsl(parts.query))
    return list_url(read_filters(args, department=department, catalogue=catalogue))
