"""Tell departments about new tickets and residents' additions: a push to each one's 企业微信 group robot, when
configured."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Category, Department, Ticket, TicketEvent, Town

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


class PushFailed(Exception):
    """The robot endpoint refused or could not be reached; the job is retried."""


def department_pushes(ticket_id: int, *, session: Session) -> list[tuple[str, dict]]:
    """The (robot URL, message) pairs for a new ticket's lead department and town office."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return []
    category = session.scalar(select(Category.name).where(Category.code == ticket.category_code))
    town = session.scalar(select(Town.name).where(Town.code == ticket.town_code)) if ticket.town_code else "待确认"
    content = (f"新工单 {ticket.number}\n类别：【{category}】\n属地：{town}\n"
               f"问题：{ticket.description[:200]}\n请登录工单系统处理。")
    return _to_robots(ticket, content, session=session)


def addition_pushes(ticket_id: int, event_id: int, *, session: Session) -> list[tuple[str, dict]]:
    """The (robot URL, message) pairs telling a ticket's lead department and town office of a resident's addition."""
    ticket = session.get(Ticket, ticket_id)
    event = session.get(TicketEvent, event_id)
    if ticket is None or event is None:
        return []
    content = f"工单 {ticket.number} 有市民补充\n{event.reason[:300]}\n请登录工单系统查看。"
    return _to_robots(ticket, content, session=session)


def _to_robots(ticket: Ticket, content: str, *, session: Session) -> list[tuple[str, dict]]:
    codes: list[str | None] = [ticket.lead_department_code]
    if ticket.town_code:
        codes.append(session.scalar(select(Town.office_code).where(Town.code == ticket.town_code)))
    return [(department.wecom_webhook, {"msgtype": "text", "text": {"content": content}})
            for department in session.scalars(select(Department).where(Department.code.in_(codes)))
            if department.wecom_webhook]


def push_to_department(url: str, payload: dict) -> None:
    """POST one message to a 企业微信 robot; raise PushFailed so the queue retries with a pause."""
    try:
        response = requests.post(url, json=payload, timeout=TIMEOUT_SECONDS)
        answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    except (requests.RequestException, ValueError) as exc:
        raise PushFailed(f"{url}: {exc}") from exc
    if response.status_code != 200 or answer.get("errcode", 0) != 0:
        raise PushFailed(f"{url}: HTTP {response.status_code} {answer}")
    log.info("pushed a ticket message to %s", url)
