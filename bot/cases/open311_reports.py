"""File an Open311 service request as a report: the client's answers become a draft, which goes through
submit_report like a chat report (the client's own per-hour limit, moderation, duplicates, routing)."""
from __future__ import annotations

import logging
import math
import re
import secrets
import warnings
from dataclasses import dataclass, field
from datetime import datetime

import prcoords
from sqlalchemy.orm import Session

from bot.cases.open311_services import AttributeRefused, checked_answers
from bot.cases.reports import Outcome, submit_report
from bot.cases.workflow import do_flag
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from models import (
    CategorySource,
    Draft,
    DraftStatus,
    LocationSource,
    Open311Client,
    Open311Request,
    Resident,
    Step,
    Ticket,
)

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000   # the spec's limit
# A client's links (FixMyStreet ends each description with its report's address) are for staff, not the public
# words; left in, the moderation screen would hold every such report as an advertisement.
_LINK = re.compile(r"https?://\S+")


class RequestRefused(Exception):
    """The request cannot be filed; `code` is the HTTP status, the message says why in Chinese."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ServiceRequest:
    """What a client posted, as text (parsed here, so every client gets the same checks and answers)."""

    service_code: str
    description: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    media_url: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Filed:
    outcome: Outcome
    ticket: Ticket
    token: str | None        # when the ticket waits for HQ's review: the client asks /tokens/{token} later


def do_file_request(client: Open311Client, request: ServiceRequest, *, catalogue: CatalogueSnapshot,
                    settings: Settings, now: datetime, session: Session) -> Filed:
    """Check the request, file it through submit_report, and note for staff where it came from. Raises
    RequestRefused."""
    reporter = session.get_one(Resident, client.resident_id)
    if reporter.blocked:
        raise RequestRefused(403, "该客户端已被指挥部停止受理，请联系区创城指挥部。")
    category = catalogue.categories.get(request.service_code)
    if category is None:
        raise RequestRefused(400, f"service_code 不存在：{request.service_code[:64]}")
    try:
        answered, others = checked_answers(category.code, request.attributes)
    except AttributeRefused as refused:
        raise RequestRefused(400, str(refused)) from None
    if len(request.description) > MAX_DESCRIPTION:
        raise RequestRefused(400, f"description 过长（不超过 {MAX_DESCRIPTION} 字）")
    links = _LINK.findall(request.description)
    words = _LINK.sub("", request.description).strip()
    description = "\n".join([words or category.name,
                             *(f"【{attribute.description}】{attribute.answer_text(answers)}"
                               for attribute, answers in answered)])
    draft = Draft(resident_id=client.resident_id, status=DraftStatus.SUBMITTED, step=Step.IDLE,
                  description=description, category_code=category.code, category_confidence=1.0,
                  category_source=CategorySource.RESIDENT, menu=[], created_at=now, updated_at=now)
    _place(draft, request, catalogue)
    session.add(draft)
    session.flush()
    # The client's own limit: one client files for many people, so the resident's limit would not fit.
    limits = settings.limits.model_copy(update={"reports_per_hour": client.reports_per_hour})
    submission = submit_report(draft, catalogue=catalogue, settings=settings.model_copy(update={"limits": limits}),
                               now=now, session=session, received=f"来自 Open311：{client.name}")
    if submission.outcome == Outcome.LIMITED or submission.ticket is None:
        draft.status = DraftStatus.CANCELLED
        raise RequestRefused(429, f"提交过于频繁：每个客户端每小时最多 {client.reports_per_hour} 条，请稍后再试。")
    ticket = submission.ticket
    contact = _contact(request)
    do_flag(ticket, _staff_note(client, contact, links, request.media_url, others,
                                _classifier_doubt(catalogue, words, category.code, settings)),
            now=now, session=session, actor="resident")
    token = secrets.token_hex(16) if ticket.held else None
    session.add(Open311Request(client_id=client.id, ticket_id=ticket.id, token=token, outcome=submission.outcome,
                               contact=contact, created_at=now))
    log.info("open311 request from client %s: %s %s", client.id, submission.outcome, ticket.number)
    return Filed(submission.outcome, ticket, token)


def _place(draft: Draft, request: ServiceRequest, catalogue: CatalogueSnapshot) -> None:
    """The point (WGS-84 from the client, stored GCJ-02 as WeChat's) and the address words, resolved as the chat's."""
    point = _point(request.lat, request.long)
    address = request.address_string.strip()
    if point is None and not address:
        raise RequestRefused(400, "缺少位置：请提供 lat 与 long（WGS-84），或 address_string。")
    if len(address) > 200:
        raise RequestRefused(400, "address_string 过长（不超过 200 字）")
    place = catalogue.place_in(address) if address else None
    if point is not None:
        town = catalogue.places.from_point(*point)
        if town is None:
            raise RequestRefused(400, "该位置不在晋源区范围内。")
        draft.latitude, draft.longitude = point
        draft.location_source, draft.town_code = LocationSource.SHARED, town
        draft.location_label = address or catalogue.places.nearest(*point) or catalogue.places.town_name(town) or ""
        if place:
            draft.place_text = place.place_text
        return
    if place is None:
        raise RequestRefused(400, "无法识别 address_string 中的地点：请写明村、社区、小区或道路名称，"
                                  "或提供 lat 与 long。")
    draft.place_text, draft.location_label, draft.town_code = place.place_text, address, place.town_code


def _point(lat: str, long: str) -> tuple[float, float] | None:
    """The GCJ-02 point of the client's WGS-84 lat/long; None when neither is given."""
    if not lat.strip() and not long.strip():
        return None
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise RequestRefused(400, "lat 与 long 应为十进制度数（WGS-84），两者都要提供。") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude) and -90 <= latitude <= 90
            and -180 <= longitude <= 180):
        raise RequestRefused(400, "lat 或 long 超出范围。")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # outside China prcoords returns the point unchanged, which is right
        shifted = prcoords.wgs_gcj((latitude, longitude), True)
    return shifted.lat, shifted.lon


def _contact(request: ServiceRequest) -> str:
    name = " ".join(part.strip() for part in (request.first_name, request.last_name) if part.strip())
    parts = [f"姓名 {name}" if name else "", f"电话 {request.phone.strip()}" if request.phone.strip() else "",
             f"邮箱 {request.email.strip()}" if request.email.strip() else ""]
    return "，".join(part for part in parts if part)[:500]


def _classifier_doubt(catalogue: CatalogueSnapshot, words: str, code: str, settings: Settings) -> str:
    """The classifier's word when it is sure the words tell of another category: the client's choice stands, as a
    resident's pick from the menu does, but HQ sees the doubt."""
    if not words:
        return ""
    result = catalogue.classify(words)
    if (result.category and result.category not in (code, "other") and result.surely_a_report
            and result.confidence >= settings.classifier.ask_below):
        return f"分类模型认为更像【{catalogue.category_name(result.category)}】（{result.confidence:.2f}）"
    return ""


def _staff_note(client: Open311Client, contact: str, links: list[str], media_url: str, others: dict[str, str],
                doubt: str) -> str:
    """What staff see in the ticket's history about this request; never shown to the public."""
    lines = [f"来自 Open311：{client.name}", f"反映人：{contact}" if contact else "",
             f"附图链接（未下载）：{media_url.strip()[:500]}" if media_url.strip() else "",
             *(f"链接：{link[:500]}" for link in links),
             *(f"{name}：{value}" for name, value in others.items()), doubt]
    return "\n".join(line for line in lines if line)
