"""The departments' JSON API (/api/v1): their tickets page by page, a ticket's history, their own tokens, and the
OpenAPI document that describes every answer (bot/web/openapi.json)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases.accounts import (
    NotManaged,
    do_issue_token,
    do_revoke_token,
    hash_token,
    list_tokens,
    live_token,
    token_manager,
)
from bot.cases.lookups import department_may_see, ticket_as_dict
from bot.cases.ticket_history import ticket_history
from bot.cases.ticket_pages import (
    MAX_LIMIT,
    BadPaging,
    decode_cursor,
    department_ticket_page,
    encode_cursor,
    parse_limit,
    parse_since,
)
from bot.infra.db import transaction
from bot.web import services
from models import ApiToken, Department, Ticket, TicketStatus, utcnow

bp = Blueprint("api", __name__)
__all__ = ["MAX_LIMIT", "bp", "do_issue_token", "hash_token"]   # issued by the command line and the tests from here
OPENAPI = Path(__file__).with_name("openapi.json")


def authorised(session: Session) -> tuple[ApiToken, Department]:
    """The bearer token that came with the request and its department, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, "缺少访问令牌：请在请求头中加上 Authorization: Bearer <令牌>。")
    row = live_token(token.strip(), utcnow(), session=session)
    department = session.scalar(select(Department).where(Department.code == row.department_code)) if row else None
    if row is None or department is None:
        abort(401, "访问令牌无效或已停用。")
    return row, department


def authorised_department(session: Session) -> Department:
    """The department whose bearer token came with the request, or 401."""
    return authorised(session)[1]


def _paging_args() -> dict[str, Any]:
    """The page the client asks for, read before any query; a mistake in it is a Chinese 400."""
    status = request.args.get("status")
    if status and status not in {s.value for s in TicketStatus}:
        abort(400, "status 参数不正确，可用的值：" + "、".join(s.value for s in TicketStatus))
    try:
        cursor, since = request.args.get("cursor"), request.args.get("since")
        return {"status": status, "limit": parse_limit(request.args.get("limit", "")),
                "after": decode_cursor(cursor) if cursor is not None else None,
                "since": parse_since(since, services().catalogue.calendar.zone) if since is not None else None}
    except BadPaging as exc:
        abort(400, str(exc))


@bp.get("/tickets")
def tickets():
    """The department's tickets, the least recently changed first, `limit` at a time from `cursor` or `since`."""
    wanted = _paging_args()
    catalogue = services().catalogue
    with transaction(services().sessions) as session:
        department = authorised_department(session)
        page = department_ticket_page(department, utcnow(), session=session, **wanted)
        return jsonify({"department": department.code,
                        "tickets": [ticket_as_dict(ticket, catalogue) for ticket in page.tickets],
                        "next_cursor": encode_cursor(page.next_position) if page.next_position else None,
                        "has_more": page.has_more})


@bp.get("/tickets/<number>/history")
def history(number: str):
    catalogue = services().catalogue
    with transaction(services().sessions) as session:
        department = authorised_department(session)
        ticket = session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.strip().upper()))
        if ticket is None or not department_may_see(department, ticket, session=session):
            abort(404, f"没有编号为 {number[:30]} 的工单，或不在本单位的查看范围内。")  # the same for both
        return jsonify(ticket_history(ticket, catalogue, session=session))


def _token_as_dict(row: ApiToken, caller: ApiToken) -> dict[str, Any]:
    local = services().catalogue.calendar.local
    return {"id": row.id, "department": row.department_code, "note": row.note,
            "created_at": local(row.created_at).isoformat(),
            "last_used_at": local(row.last_used_at).isoformat() if row.last_used_at else None,
            "revoked_at": local(row.revoked_at).isoformat() if row.revoked_at else None,
            "current": row.id == caller.id}


@bp.get("/tokens")
def tokens():
    """The calling department's tokens (never the tokens themselves: only their hashes are stored)."""
    with transaction(services().sessions) as session:
        caller, _department = authorised(session)
        rows = list_tokens(token_manager(caller), session=session)
        return jsonify({"tokens": [_token_as_dict(row, caller) for row in rows]})


@bp.delete("/tokens/<int:token_id>")
@bp.post("/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    """Stop one of the department's own tokens at once (the one in use too); the same service as the command line."""
    with transaction(services().sessions) as session:
        caller, _department = authorised(session)
        try:
            row = do_revoke_token(token_manager(caller), token_id, utcnow(), session=session)
        except NotManaged:
            abort(404, f"没有编号为 {token_id} 的接口令牌，或不属于本单位。")
        return jsonify({"token": _token_as_dict(row, caller)})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The document describing this API; public, nothing personal in it, so it may be cached."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json",
                    headers={"Cache-Control": "public, max-age=300"})
