"""Rows of the ticket export: what an existing 数字城管 platform or HQ's spreadsheet needs of each ticket."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.cases.deadlines import overdue
from bot.cases.statuses import status_label
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Ticket, TicketEvent

EXPORT_LIMIT = 100_000
HEADER = ("编号", "状态", "类别", "国标大类代码", "承办部门", "属地", "位置", "纬度", "经度", "受理时间", "处理时限",
          "是否超期", "处置完成时间", "问题描述", "处置说明", "退回理由", "不予受理理由", "延期/挂账申请", "督办次数")
# The reason columns: the latest event of each kind carries the reason a reader wants.
REASON_COLUMNS = {"resolve": "resolve", "return": "return", "reject": "reject",
                  "request_extension": "extension", "request_long_term": "extension"}


def ticket_rows(query: Select[Ticket], *, now: datetime, session: Session,
                catalogue: CatalogueSnapshot) -> Iterator[tuple[object, ...]]:
    """One row per ticket of the query, in HEADER's order, times in the district's local time."""
    limited = query.limit(EXPORT_LIMIT)
    ids = limited.with_only_columns(Ticket.id).order_by(None).subquery()
    reasons: dict[tuple[int, str], str] = {}
    urged: dict[int, int] = {}
    for ticket_id, action, reason in session.execute(
            select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.reason)
            .where(TicketEvent.ticket_id.in_(select(ids.c.id)),
                   TicketEvent.action.in_([*REASON_COLUMNS, "urge"]))
            .order_by(TicketEvent.id)):
        if action == "urge":
            urged[ticket_id] = urged.get(ticket_id, 0) + 1
        else:
            reasons[(ticket_id, REASON_COLUMNS[action])] = reason   # later events overwrite earlier ones
    names = catalogue.routing.department_names

    def local(moment: datetime | None) -> str:
        return catalogue.calendar.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    for ticket in session.scalars(limited):
        category = catalogue.categories.get(ticket.category_code)
        yield (ticket.number, status_label(ticket.status), catalogue.category_name(ticket.category_code),
               category.national_code[:2] if category else "", names.get(ticket.lead_department_code, ""),
               catalogue.places.town_name(ticket.town_code) or "", ticket.location_label or ticket.place_text,
               _coordinate(ticket.latitude), _coordinate(ticket.longitude), local(ticket.created_at),
               local(ticket.deadline_at), "是" if overdue(ticket, now) else "否", local(ticket.resolved_at),
               ticket.description, reasons.get((ticket.id, "resolve"), ""), reasons.get((ticket.id, "return"), ""),
               reasons.get((ticket.id, "reject"), ""), reasons.get((ticket.id, "extension"), ""),
               urged.get(ticket.id, 0))


def _coordinate(value: float | None) -> str:
    return f"{value:.6f}" if value is not None else ""
