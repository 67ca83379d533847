"""The blurred public copies of before and after photos (faces and plates covered), at the addresses publication.py
names for the 办理公示 page and Open311's media_url; never the departments' own copies."""
from __future__ import annotations

from flask import Response, abort
from werkzeug.wrappers import Response as AnyResponse

from bot.cases.publication import public_photo
from bot.infra.db import transaction
from bot.photos.public_copies import public_copy_of
from bot.web import services
from bot.web.public import PHOTO_SECONDS, bp, cacheable

NOT_PUBLIC = "没有找到这张公示照片。"


def _public_image(photo_id: int, *, thumbnail: bool) -> AnyResponse:
    # The job makes the copy once the ticket is handled; a photo asked for before (an open report's, through
    # Open311) is blurred now, once: public_copy keeps what it made.
    with transaction(services().sessions) as session:
        photo = public_photo(photo_id, session=session)
        if photo is None:
            abort(404, NOT_PUBLIC)
        try:
            data = public_copy_of(photo, services().storage, services().settings.ocr, session=session,
                                  thumbnail=thumbnail)
        except FileNotFoundError:   # its files are gone (a resident's data removed): nothing to show
            abort(404, NOT_PUBLIC)
    return cacheable(Response(data, mimetype="image/jpeg"), PHOTO_SECONDS)


@bp.get("/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    return _public_image(photo_id, thumbnail=False)


@bp.get("/photos/<int:photo_id>-thumbnail.jpg")
def thumbnail(photo_id: int):
    return _public_image(photo_id, thumbnail=True)
