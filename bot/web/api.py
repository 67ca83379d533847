"""The departments' JSON API: /api/v1/tickets lists the calling department's own tickets."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from sqlalchemy.orm import Session

from bot.cases.accounts import do_issue_token, hash_token, token_department
from bot.cases.lookups import department_tickets, ticket_as_dict
from bot.infra.db import transaction
from bot.web import services
from models import Department, TicketStatus, utcnow

bp = Blueprint("api", __name__)
__all__ = ["bp", "do_issue_token", "hash_token"]   # issued by the command line and the tests from here


def authorised_department(session: Session) -> Department:
    """The department whose bearer token came with the request, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, "缺少访问令牌：请在请求头中加上 Authorization: Bearer <令牌>。")
    department = token_department(token.strip(), utcnow(), session=session)
    if department is None:
        abort(401, "访问令牌无效或已停用。")
    return department


MAX_LIMIT = 500


def _limit(text: str) -> int:
    """?limit=: 1 to MAX_LIMIT tickets, 100 when not given; anything else is the client's mistake (400)."""
    if not text:
        return 100
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_LIMIT):
        abort(400, f"limit 参数应为 1 到 {MAX_LIMIT} 之间的整数。")
    return int(text)


@bp.get("/tickets")
def tickets():
    status = request.args.get("status")
    if status and status not in {s.value for s in TicketStatus}:
        abort(400, "status 参数不正确，可用的值：" + "、".join(s.value for s in TicketStatus))
    limit = _limit(request.args.get("limit", ""))
    catalogue = services().catalogue
    with transaction(services().sessions) as session:
        department = authorised_department(session)
        rows = department_tickets(department, session=session, status=status, limit=limit)
        return jsonify({"department": department.code,
                        "tickets": [ticket_as_dict(ticket, catalogue) for ticket in rows]})
