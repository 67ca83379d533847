"""The map page: the tickets a department may see (HQ: all) as markers and a heat layer over the town boundaries,
filtered as the lists are. The page itself is HTML without data; static/map.js fetches the two JSON endpoints."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import prcoords
from flask import Response, g, render_template, request, url_for

from bot.cases.map_points import MARKER_TITLES, map_points, marker_of
from bot.cases.queues import TAB_TITLES, Filters, Sort, tabs_for
from bot.cases.statuses import Tab, status_label
from bot.config import MapSettings
from bot.infra.db import transaction
from bot.web import services
from bot.web.portal import bp, login_required, sessions
from bot.web.portal.filters import filter_args, list_url, read_filters
from bot.web.portal.views import catalogue, local_offset, warn_window
from models import TicketStatus, utcnow

STATUSES = list(TicketStatus)
STATUS_INDEX = {status: index for index, status in enumerate(STATUSES)}
Shift = Callable[[float, float], tuple[float, float]]


def _filters() -> Filters:
    """The lists' filters, read the lists' way; with no tab asked for, the map shows every ticket."""
    filters = read_filters(request.args, department=g.department, catalogue=catalogue())
    if "tab" not in request.args:
        filters = replace(filters, tab=Tab.ALL)
    return replace(filters, sort=Sort.NEWEST, page=1)


def datum_shift(settings: MapSettings) -> Shift:
    """Stored points are GCJ-02; tiles drawn in WGS-84 (天地图, OpenStreetMap) need them shifted back."""
    if settings.tile_datum == "wgs84":
        # The one-step inverse is within about a metre of the iterated one, in half the time.
        return lambda latitude, longitude: tuple(prcoords.gcj_wgs((latitude, longitude)))
    return lambda latitude, longitude: (latitude, longitude)


def _json(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


@bp.get("/map")
@login_required
def map_page():
    filters = _filters()
    tiles = services().settings.map
    return render_template(
        "portal/map.html", filters=filters, tabs=[(tab, TAB_TITLES[tab]) for tab in tabs_for(g.department)],
        categories=list(catalogue().categories.values()), towns=list(catalogue().routing.town_names.items()),
        statuses=STATUSES, markers=MARKER_TITLES.items(), tiles=tiles, list_link=list_url(filters),
        points_url=url_for("portal.map_tickets", **filter_args(filters)), towns_url=url_for("portal.map_towns"),
        ticket_url=url_for("portal.ticket", number="__number__"))


@bp.get("/map/tickets.json")
@login_required
def map_tickets():
    """The filtered tickets as arrays, the smallest JSON a marker needs: [number, latitude, longitude, status index,
    category index, overdue 0/1], with the tables the indexes point into. Never a resident or a note."""
    settings = services().settings.map
    with transaction(sessions()) as db:
        found = map_points(g.department, _filters(), now=utcnow(), warn=warn_window(), local_offset=local_offset(),
                           limit=settings.max_points, staff_id=g.staff.id, session=db)
    categories = list(catalogue().categories)
    category_index = {code: index for index, code in enumerate(categories)}
    shift = datum_shift(services().settings.map)
    rows = []
    for point in found.points:
        if point.category_code not in category_index:   # a category since taken out of the catalogue
            category_index[point.category_code] = len(categories)
            categories.append(point.category_code)
        latitude, longitude = shift(point.latitude, point.longitude)
        rows.append([point.number, round(latitude, 6), round(longitude, 6), STATUS_INDEX[point.status],
                     category_index[point.category_code], int(point.overdue)])
    response = _json({
        "statuses": [[status.value, status_label(status), marker_of(status).value] for status in STATUSES],
        "categories": [[code, catalogue().category_name(code)] for code in categories],
        "tickets": rows, "without_location": found.without_location, "truncated": found.truncated,
        "limit": settings.max_points})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/map/towns.json")
@login_required
def map_towns():
    """The town boundaries as GeoJSON (the ones routing uses), the department's own towns marked; the browser keeps
    them and asks again only whether they changed (ETag)."""
    shift = datum_shift(services().settings.map)
    offices = catalogue().routing.office_by_town
    features = [{"type": "Feature", "geometry": shifted(area.boundary, shift),
                 "properties": {"code": area.code, "name": area.name,
                                "own": offices.get(area.code) == g.department.code}}
                for area in catalogue().places.areas if area.boundary]
    response = _json({"type": "FeatureCollection", "features": features})
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


def shifted(geometry: dict[str, Any], shift: Shift) -> dict[str, Any]:
    """The geometry with every [longitude, latitude] position shifted."""
    def walk(coordinates: list[Any]) -> list[Any]:
        if coordinates and isinstance(coordinates[0], int | float):
            latitude, longitude = shift(coordinates[1], coordinates[0])
            return [round(longitude, 6), round(latitude, 6)]
        return [walk(part) for part in coordinates]
    return {**geometry, "coordinates": walk(geometry["coordinates"])}
