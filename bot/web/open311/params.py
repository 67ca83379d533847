"""Read GET requests' parameters the spec's way (comma lists, W3C dates, open/closed) plus paging beyond its 1,000:
a parameter it cannot read is the client's mistake, answered 400 in Chinese."""
from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from flask import abort
from werkzeug.datastructures import MultiDict

from bot.cases.open311_listing import PAGE_SIZE, RequestQuery
from bot.cases.publication import CLOSED, OPEN

MAX_IDS = 1000
MAX_PAGE = 1_000_000


def request_query(args: MultiDict[str, str], zone: tzinfo) -> RequestQuery:
    numbers = _list(args.get("service_request_id", ""), "service_request_id")
    states = _list(args.get("status", "").lower(), "status")
    if any(state not in (OPEN, CLOSED) for state in states):
        abort(400, "status 只能是 open 或 closed（可用逗号分隔）。")
    return RequestQuery(numbers=numbers, codes=_list(args.get("service_code", ""), "service_code"),
                        start=_moment(args.get("start_date", ""), "start_date", zone),
                        end=_moment(args.get("end_date", ""), "end_date", zone), states=states,
                        page=_number(args.get("page", ""), "page", 1, MAX_PAGE, 1),
                        page_size=_number(args.get("page_size", ""), "page_size", 1, PAGE_SIZE, PAGE_SIZE))


def _list(text: str, name: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
    if len(items) > MAX_IDS or any(len(item) > 64 for item in items):
        abort(400, f"{name} 过长：最多 {MAX_IDS} 项。")
    return items


def _moment(text: str, name: str, zone: tzinfo) -> datetime | None:
    """A W3C date-time (2026-12-01T00:00:00Z, …+08:00, or a date alone in district time), as naive UTC."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        found = moment.astimezone(UTC).replace(tzinfo=None)
        if not 2000 <= found.year <= 9000:   # room for the 90-day window either side, none for overflow
            raise ValueError(name)
        return found
    except (ValueError, OverflowError):
        abort(400, f"{name} 应为 W3C 日期时间格式，例如 2026-12-01T00:00:00+08:00。")


def _number(text: str, name: str, low: int, high: int, default: int) -> int:
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 7 and low <= int(text) <= high):
        abort(400, f"{name} 应为 {low} 到 {high} 之间的整数。")
    return int(text)
