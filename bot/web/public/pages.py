"""The 办理公示 pages: the district page (figures, map, handled cases, filtered by town and category) and one case."""
from __future__ import annotations

import time
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for

from bot.cases.public_cases import (
    PER_PAGE,
    MonthFigures,
    PublicFilters,
    find_case,
    handled_cases,
    month_figures,
    read_filters,
)
from bot.cases.publication import public_photo_path
from bot.infra.db import transaction
from bot.photos.public_copies import has_public_copy
from bot.web import services
from bot.web.public import PAGE_SECONDS, bp, cacheable
from models import Photo, utcnow

FIGURES_SECONDS = 600      # the month's figures cost a scoreboard's work: each worker reckons them this often at most
NUMBER_CHARACTERS = 20     # a ticket number's column


def _catalogue():
    return services().catalogue


def _figures() -> MonthFigures:
    """This month's figures, reckoned again at most every FIGURES_SECONDS per worker (kept with this app)."""
    kept = current_app.extensions.setdefault("civicbot.public_figures", {})
    calendar = _catalogue().calendar
    now = utcnow()
    today = calendar.local(now).date()
    found = kept.get(today)
    if found is None or time.monotonic() - found[0] > FIGURES_SECONDS:
        with transaction(services().sessions) as session:
            figures = month_figures(today, now, _catalogue(), session=session, return_window=timedelta(
                hours=services().settings.workflow.return_window_hours))
        kept.clear()   # only today's is ever asked for
        found = kept[today] = (time.monotonic(), figures)
    return found[1]


@bp.app_template_filter("public_photos")
def _shown_photos(photos: list[Photo]) -> list[tuple[str, str]]:
    """(thumbnail, photo) addresses of those whose blurred copies are made; the others wait for the job."""
    storage = services().storage
    return [(public_photo_path(photo, thumbnail=True), public_photo_path(photo))
            for photo in photos if has_public_copy(photo, storage)]


@bp.app_template_filter("took")
def _took(took: timedelta | None) -> str:
    """2天3小时, 5小时, 不到1小时."""
    if took is None:
        return "—"
    hours = int(took.total_seconds() // 3600)
    if hours < 1:
        return "不到1小时"
    days, hours = divmod(hours, 24)
    return (f"{days}天" if days else "") + (f"{hours}小时" if hours or not days else "")


@bp.app_template_filter("public_time")
def _public_time(moment) -> str:
    return _catalogue().calendar.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@bp.app_template_filter("percent")
def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _page_url(filters: PublicFilters, page: int) -> str:
    chosen = {"town": filters.town, "category": filters.category, "page": str(page) if page > 1 else ""}
    return url_for("public.district", **{key: value for key, value in chosen.items() if value})  # type: ignore[arg-type]


@bp.get("/")
def district():
    catalogue = _catalogue()
    filters = read_filters(request.args, catalogue)
    with transaction(services().sessions) as session:
        cases, total = handled_cases(filters, catalogue, session=session)
    pages = max(1, -(-total // PER_PAGE))
    map_query = {key: value for key, value in (("town", filters.town), ("category", filters.category)) if value}
    response = current_app.make_response(render_template(
        "public/district.html", filters=filters, cases=cases, total=total, figures=_figures(),
        towns=list(catalogue.routing.town_names.items()),
        categories=[(code, category.name) for code, category in catalogue.categories.items()],
        newer=_page_url(filters, filters.page - 1) if filters.page > 1 else None,
        older=_page_url(filters, filters.page + 1) if filters.page < pages else None,
        points_url=url_for("public.map_points", **map_query), towns_url=url_for("public.map_towns"),
        case_url=url_for("public.case", number="__number__"), tiles=services().settings.map))
    return cacheable(response, PAGE_SECONDS)


@bp.get("/cases/<number>")
def case(number: str):
    if len(number) > NUMBER_CHARACTERS:
        abort(404, "没有找到这件公示的工单，请核对编号。")
    with transaction(services().sessions) as session:
        found = find_case(number, _catalogue(), session=session)
    if found is None:
        abort(404, "没有找到这件公示的工单，请核对编号。")
    if isinstance(found, str):   # a duplicate: it counts with the case it was merged into
        return cacheable(redirect(url_for("public.case", number=found)), PAGE_SECONDS)
    response = current_app.make_response(render_template("public/case.html", case=found))
    return cacheable(response, PAGE_SECONDS)
