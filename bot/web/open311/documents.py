"""What Open311 clients read: services, service definitions and service requests as the spec's fields, and nothing
more — no OpenID, no resident, no internal notes; words masked, coordinates in WGS-84, the blurred photo's address."""
from __future__ import annotations

import warnings
from datetime import UTC, datetime, tzinfo
from typing import Any

import prcoords

from bot.cases.open311_services import attributes_of, service_group
from bot.cases.publication import OPEN, masked, public_photo_path, public_photos, public_reply, public_status
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Category, Ticket

KEYWORDS = 8   # the first few of a category's keywords say what it covers


def service(category: Category, catalogue: CatalogueSnapshot) -> dict[str, Any]:
    return {"service_code": category.code, "service_name": category.name,
            "description": f"{category.name}：" + "、".join(category.keywords[:KEYWORDS]),
            "metadata": bool(attributes_of(category.code)), "type": "realtime",
            "keywords": ",".join(category.keywords[:KEYWORDS]), "group": service_group(catalogue, category.code)}


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": [
        {"variable": True, "code": attribute.code, "datatype": attribute.datatype, "required": attribute.required,
         "datatype_description": attribute.datatype_description, "order": order,
         "description": attribute.description,
         "values": [{"key": key, "name": name} for key, name in attribute.values]}
        for order, attribute in enumerate(attributes_of(category.code), start=1)]}


def w3(moment: datetime | None, zone: tzinfo) -> str | None:
    """A stored naive-UTC time as W3C date-time in the district's time: 2026-12-06T10:30:00+08:00."""
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat(timespec="seconds") if moment else None


def wgs84(latitude: float, longitude: float) -> tuple[float, float]:
    """Stored points are GCJ-02 (as WeChat sends them); Open311 clients read WGS-84."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # outside China prcoords returns the point unchanged, which is right
        point = prcoords.gcj_wgs_bored((latitude, longitude), True)
    return round(point.lat, 6), round(point.lon, 6)


def service_request(ticket: Ticket, catalogue: CatalogueSnapshot, public_url: str) -> dict[str, Any]:
    """One ticket as the public may read it."""
    zone = catalogue.calendar.zone
    is_open = public_status(ticket.status) == OPEN
    latitude, longitude = (wgs84(ticket.latitude, ticket.longitude)
                           if ticket.latitude is not None and ticket.longitude is not None else (None, None))
    before, _after = public_photos(ticket)
    return {
        "service_request_id": ticket.number, "status": public_status(ticket.status),
        "status_notes": public_reply(ticket), "service_name": catalogue.category_name(ticket.category_code),
        "service_code": ticket.category_code, "description": masked(ticket.description),
        "agency_responsible": catalogue.routing.department_names.get(ticket.lead_department_code, ""),
        "service_notice": "", "requested_datetime": w3(ticket.created_at, zone),
        "updated_datetime": w3(ticket.updated_at, zone),
        "expected_datetime": w3(ticket.deadline_at, zone) if is_open else None,
        "address": masked(ticket.location_label or ticket.place_text), "address_id": None, "zipcode": None,
        "lat": latitude, "long": longitude,
        "media_url": public_url.rstrip("/") + public_photo_path(before[0]) if before else None,
    }
