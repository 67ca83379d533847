"""The public map's data and files: open reports as points, the town boundaries, and the portal's map script with
its vendored Leaflet served under /public/ (the portal's own address may be closed to the public)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, abort, request, send_from_directory

from bot.cases.public_cases import open_points, read_filters
from bot.infra.db import transaction
from bot.web import services
from bot.web.portal.map_page import datum_shift, shifted
from bot.web.public import PAGE_SECONDS, STATIC_SECONDS, bp, cacheable

OWN_STATIC = Path(__file__).parent / "static"
PORTAL_STATIC = Path(__file__).parent.parent / "portal" / "static"
OWN_FILES = frozenset(path.name for path in OWN_STATIC.iterdir())
# Of the portal's files, those the public map needs: its script and style, Leaflet and the cluster plugin.
PORTAL_FILES = ("map.js", "map.css", "vendor/leaflet/", "vendor/leaflet.markercluster/", "vendor/leaflet.heat/")
OPEN = [["open", "办理中", "working"]]   # Open311's one open state, drawn as the portal draws a case being worked


def _json(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")


@bp.get("/map/points.json")
def map_points():
    """Open reports as map.js reads them: [number, latitude, longitude, 0, category index, 0] (never overdue: that
    is the departments' business), no words at all; the popup links to the case's page."""
    catalogue = services().catalogue
    settings = services().settings.map
    with transaction(services().sessions) as session:
        found = open_points(read_filters(request.args, catalogue), settings.max_points, session=session)
    categories = list(catalogue.categories)
    index = {code: number for number, code in enumerate(categories)}
    shift = datum_shift(settings)
    rows = []
    for number, latitude, longitude, category in found.points:
        if category not in index:   # a category since taken out of the catalogue
            index[category] = len(categories)
            categories.append(category)
        latitude, longitude = shift(latitude, longitude)
        rows.append([number, round(latitude, 5), round(longitude, 5), 0, index[category], 0])
    return cacheable(_json({
        "statuses": OPEN, "categories": [[code, catalogue.category_name(code)] for code in categories],
        "tickets": rows, "without_location": found.without_location, "truncated": found.truncated,
        "limit": settings.max_points}), PAGE_SECONDS)


@bp.get("/map/towns.json")
def map_towns():
    """The town boundaries (what the map draws when no tile server answers)."""
    shift = datum_shift(services().settings.map)
    features = [{"type": "Feature", "geometry": shifted(area.boundary, shift),
                 "properties": {"code": area.code, "name": area.name, "own": False}}
                for area in services().catalogue.places.areas if area.boundary]
    return cacheable(_json({"type": "FeatureCollection", "features": features}), STATIC_SECONDS)


@bp.get("/static/<path:filename>")
def static(filename: str):
    """The page's own style, or one of the portal's map files; anything else is not here."""
    if filename in OWN_FILES:
        return send_from_directory(OWN_STATIC, filename, max_age=STATIC_SECONDS)
    if filename.startswith(PORTAL_FILES) and ".." not in filename.split("/"):
        return send_from_directory(PORTAL_STATIC, filename, max_age=STATIC_SECONDS)
    abort(404, "没有这个文件。")
