"""Open311 GeoReport v2 at /open311/v2: services, service definitions, requests (read and file), tokens; JSON or
XML; errors in the spec's list."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request

from bot.cases.open311_clients import client_for_key
from bot.cases.open311_listing import QueryRefused, public_request, public_requests, token_ticket
from bot.cases.open311_reports import RequestRefused, ServiceRequest, do_file_request
from bot.cases.reports import Outcome
from bot.infra.db import transaction
from bot.web import services
from bot.web.errors import ERROR_FORMATS
from bot.web.open311.documents import definition, service, service_request
from bot.web.open311.formats import answer, error_answer
from bot.web.open311.params import request_query
from models import utcnow

PREFIX = "/open311/v2"
JURISDICTION_ID = "jinyuan.taiyuan"   # what a client may send as jurisdiction_id (this server serves one)
FORMAT = "<any(json, xml):fmt>"
CACHE_SERVICES = "public, max-age=300"   # the catalogue changes only with a restart
NOTICES = {Outcome.OPENED: "已受理。", Outcome.HELD: "已收到，待指挥部审核后受理；请稍后以 token 查询编号。",
           Outcome.JOINED: "已有市民反映同一问题，本次反映已并入该工单。",
           Outcome.REPEATED: "该问题此前已由本客户端反映，已并入原工单。"}
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")

bp = Blueprint("open311", __name__)
ERROR_FORMATS[PREFIX + "/"] = error_answer


@bp.before_request
def _jurisdiction() -> None:
    given = request.values.get("jurisdiction_id", "")
    if given and given != JURISDICTION_ID:
        abort(404, f"jurisdiction_id 不正确：本服务只受理 {JURISDICTION_ID}（晋源区）。")


@bp.get(f"/services.{FORMAT}")
def services_list(fmt: str) -> Response:
    catalogue = services().catalogue
    response = answer([service(category, catalogue) for category in catalogue.categories.values()], "services", fmt)
    response.headers["Cache-Control"] = CACHE_SERVICES
    return response


@bp.get(f"/services/<service_code>.{FORMAT}")
def service_definition(service_code: str, fmt: str) -> Response:
    category = services().catalogue.categories.get(service_code)
    if category is None:
        abort(404, f"service_code 不存在：{service_code[:64]}")
    response = answer(definition(category), "service_definition", fmt)
    response.headers["Cache-Control"] = CACHE_SERVICES
    return response


@bp.get(f"/requests.{FORMAT}")
def requests_list(fmt: str) -> Response:
    query = request_query(request.args, services().catalogue.calendar.zone)
    app = services()
    with transaction(app.sessions) as session:
        try:
            tickets = public_requests(query, utcnow(), session=session)
        except QueryRefused as refused:
            abort(400, str(refused))
        documents = [service_request(t, app.catalogue, app.settings.server.public_url) for t in tickets]
    return answer(documents, "service_requests", fmt)


@bp.get(f"/requests/<request_id>.{FORMAT}")
def request_one(request_id: str, fmt: str) -> Response:
    app = services()
    with transaction(app.sessions) as session:
        ticket = public_request(request_id[:20], session=session)
        if ticket is None:
            abort(404, f"没有编号为 {request_id[:40]} 的公开工单。")
        document = service_request(ticket, app.catalogue, app.settings.server.public_url)
    return answer([document], "service_requests", fmt)


@bp.get(f"/tokens/<open311_token>.{FORMAT}")
def token(open311_token: str, fmt: str) -> Response:
    with transaction(services().sessions) as session:
        issued, ticket = token_ticket(open311_token[:40], session=session)
        if not issued:
            abort(404, "token 不存在。")
        # Until HQ lets the report through there is no public number: the token alone (FixMyStreet asks again).
        found = {"service_request_id": ticket.number} if ticket is not None else {}
    return answer([{**found, "token": open311_token}], "service_requests", fmt)


@bp.post(f"/requests.{FORMAT}")
def file_request(fmt: str) -> Response:
    form = request.form
    key = form.get("api_key") or request.args.get("api_key", "")
    if not key:
        abort(400, "缺少 api_key：请向区创城指挥部申请。")
    service_code = form.get("service_code", "").strip()
    if not service_code:
        abort(400, "缺少 service_code。")
    attributes: dict[str, list[str]] = {}
    for name in form:
        matched = _ATTRIBUTE.match(name)
        if matched:
            attributes.setdefault(matched.group(1), []).extend(form.getlist(name))
    posted = ServiceRequest(service_code=service_code, attributes=attributes, **{
        name: form.get(name, "") for name in ("description", "lat", "long", "address_string", "media_url", "email",
                                              "phone", "first_name", "last_name")})
    app = services()
    with transaction(app.sessions) as session:
        now = utcnow()
        client = client_for_key(key, now, session=session)
        if client is None:
            abort(403, "api_key 无效或已停用。")
        try:
            filed = do_file_request(client, posted, catalogue=app.catalogue, settings=app.settings, now=now,
                                    session=session)
        except RequestRefused as refused:
            abort(refused.code, str(refused))   # nothing of it is kept: the transaction rolls back
        reply = ({"token": filed.token} if filed.token else {"service_request_id": filed.ticket.number})
        document = {**reply, "service_notice": NOTICES.get(filed.outcome, ""), "account_id": None}
    return answer([document], "service_requests", fmt)
