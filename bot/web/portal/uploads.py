"""Photos uploaded in the portal: the upload route's body limit (phone photos, not the webhook's 1 MiB), each photo
checked and cleaned, and a body too large even for that answered in Chinese on its ticket page, the note kept."""
from __future__ import annotations

import io

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data

from bot.config import Settings
from bot.photos.cleaning import CleanImage, ImageRefused, clean_image
from bot.web import services
from bot.web.portal import bp

UPLOAD_ENDPOINTS = frozenset({"portal.act"})   # the routes whose forms carry photos
FORM_ALLOWANCE = 1024 * 1024                   # the text fields and multipart framing beside the photos
# A body over the limit is still read (its photos thrown away, its words kept) up to this many times the limit,
# so that the clerk sees the ticket page again rather than a reset connection; beyond, it is refused unread.
SALVAGE_FACTOR = 2

REFUSED = {
    "too_large": "照片“{name}”超过 {megabytes} MB，未能上传。请重新拍摄，或换一张较小的照片。",
    "too_many_pixels": "照片“{name}”尺寸过大，未能上传。请换一张普通照片。",
    "not_image": "文件“{name}”不是可识别的图片，未能上传。请上传照片（JPG、PNG、HEIC 等）。",
    "format": "照片“{name}”的格式暂不支持，未能上传。请上传 JPG、PNG 或 HEIC 照片。",
    "broken": "照片“{name}”已损坏，无法打开，未能上传。请重新拍摄或换一张。",
}
TOO_MANY = "一次最多上传 {count} 张照片，请删去几张后再提交。"
BODY_TOO_LARGE = ("照片太大，未能上传（每次提交合计不超过 {megabytes} MB）。请少选几张、重新拍摄或换较小的照片；"
                  "填写的内容已保留，请重新选择照片后再提交。")


class UploadRefused(Exception):
    """A photo the clerk chose cannot be used; the message says which and why, in Chinese."""


def upload_body_limit(settings: Settings) -> int:
    """The largest request an upload route reads: a step's photos at the media limit each, and the form."""
    return settings.portal.photos_per_step * settings.media.max_bytes + FORM_ALLOWANCE


@bp.before_app_request
def raise_the_limit_for_uploads() -> None:
    """Phone photos on the upload routes; every other request keeps server.max_body_bytes.

    An app-wide hook registered with the blueprint, so it runs before CSRFProtect's (which reads the form, and
    with it the body) — a blueprint's own before_request would come too late."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = upload_body_limit(services().settings)


def cleaned_uploads(uploads, settings: Settings) -> list[CleanImage]:
    """Check and clean the chosen photos (blank file inputs skipped); raise UploadRefused on the first bad one."""
    chosen = [upload for upload in uploads or [] if getattr(upload, "filename", "")]
    if len(chosen) > settings.portal.photos_per_step:
        raise UploadRefused(TOO_MANY.format(count=settings.portal.photos_per_step))
    media, cleaned = settings.media, []
    for upload in chosen:
        try:
            cleaned.append(clean_image(upload.read(), max_bytes=media.max_bytes, max_pixels=media.max_pixels))
        except ImageRefused as exc:
            raise UploadRefused(REFUSED.get(exc.reason, REFUSED["broken"]).format(
                name=upload.filename, megabytes=media.max_bytes // (1024 * 1024))) from exc
    return cleaned


class _Discarded(io.BytesIO):
    """Where a salvaged body's file parts go: nowhere."""

    def write(self, data) -> int:  # type: ignore[override]
        return len(data)


def salvaged_form(most: int) -> MultiDict:
    """The text fields of a body too large to accept, its photos thrown away unread into memory; nothing when the
    body is beyond `most`. What Request does after parsing is done here too, so that nothing reads the body again."""
    try:
        _, form, _ = parse_form_data(request.environ, stream_factory=lambda *args, **kwargs: _Discarded(),
                                     max_content_length=most, silent=False)
    except (RequestEntityTooLarge, ValueError):
        form = MultiDict()
    request.__dict__.update(form=form, files=MultiDict(), stream=io.BytesIO())
    return form
