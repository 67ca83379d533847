"""Distances on the ground between two points, and the latitude/longitude box a database can narrow a search to."""
from __future__ import annotations

import math

from sqlalchemy import ColumnElement, and_

from models import Ticket

EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE = 111_320  # of latitude; of longitude, times the cosine of the latitude


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def tickets_in_box(point: tuple[float, float], metres: float) -> ColumnElement[bool]:
    """The SQL condition for tickets inside the box that holds every point within `metres` of `point`: served by
    the (latitude, longitude) index, so only the few candidates are read; the caller measures them exactly."""
    latitude, longitude = point
    box_lat = metres / METRES_PER_DEGREE
    box_lon = box_lat / max(math.cos(math.radians(latitude)), 0.01)
    return and_(Ticket.latitude.between(latitude - box_lat, latitude + box_lat),
                Ticket.longitude.between(longitude - box_lon, longitude + box_lon))
