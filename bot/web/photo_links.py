"""Serve stored photos only to those who may see them: departments by API token, residents by signed link."""
from __future__ import annotations

from flask import Blueprint, Response, abort

from bot.cases.lookups import department_may_see
from bot.cases.numbers import read_lines
from bot.config import Settings
from bot.infra.db import transaction
from bot.photos.redaction import public_copy
from bot.web import services
from bot.web.api import authorised_department
from models import Photo, PhotoReading, PhotoStatus, Ticket

bp = Blueprint("photos", __name__)
VARIANTS = {"display": "display_key", "thumbnail": "thumbnail_key"}


def _stored(photo: Photo | None, variant: str) -> bytes:
    if photo is None or variant not in VARIANTS or photo.status != PhotoStatus.STORED:
        abort(404)
    return services().storage.get(getattr(photo, VARIANTS[variant]))


def image_response(data: bytes) -> Response:
    # Private, never cached by shared proxies: these are residents' photos.
    return Response(data, mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


@bp.get("/api/v1/photos/<int:photo_id>/<variant>")
def for_department(photo_id: int, variant: str):
    with transaction(services().sessions) as session:
        department = authorised_department(session)
        photo = session.get(Photo, photo_id)
        ticket = session.get(Ticket, photo.ticket_id) if photo and photo.ticket_id else None
        if ticket is None or not department_may_see(department, ticket, session=session):
            abort(404)  # the same answer whether it does not exist or is not theirs
        return image_response(_stored(photo, variant))


@bp.get("/r/photo/<token>/<variant>")
def for_resident(token: str, variant: str):
    """A resident's copy: faces and plates blurred, as in every copy that leaves the departments."""
    photo_id = services().signer.check(token, "photo")
    if photo_id is None:
        abort(404)
    with transaction(services().sessions) as session:
        photo = session.get(Photo, photo_id)
        _stored(photo, variant)   # 404 unless stored
        assert photo is not None
        lines = read_lines(photo.id, session=session) if session.get(PhotoReading, photo.id) else None
        key = photo.display_key
    return image_response(public_copy(services().storage, key, services().settings.ocr, lines=lines,
                                      thumbnail=variant == "thumbnail"))


def resident_photo_url(settings: Settings, signer, photo_id: int, variant: str = "display") -> str:
    return f"{settings.server.public_url.rstrip('/')}/r/photo/{signer.sign('photo', photo_id)}/{variant}"
