"""The 办理公示 pages (no login): handled cases, this month's figures, a map of open reports, blurred photos.

They show only what bot/cases/publication.py lets out, the same to everyone: no session is read or written (bot/app.py
gives /public/ none), and every answer may be cached by browsers and proxies (bot/web/security_headers.py)."""
from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

bp = Blueprint("public", __name__, template_folder="templates", url_prefix="/public")
PREFIX = "/public"
PAGE_SECONDS = 300         # a handled case shows up on the page within five minutes
PHOTO_SECONDS = 3600       # a photo withdrawn (the ticket held after all) leaves caches within the hour
STATIC_SECONDS = 86400


def cacheable(response: Response, seconds: int) -> Response:
    """Let browsers and proxies keep the answer for seconds, then ask again with its ETag (304 if unchanged)."""
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


# Last, because these modules import bp from here; importing them registers their routes on bp.
from bot.web.public import map_data, pages, photos  # noqa: E402,F401
