"""Load the district's catalogue from data files into the database.

The catalogue: departments, towns, categories, gazetteer, calendar, moderation, knowledge.
"""
from __future__ import annotations

import csv
import json
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.catalogue.knowledge_check import check_knowledge
from bot.catalogue.working_calendar import check_calendar, check_deadline_spec
from bot.config import Settings
from models import Category, Department, GazetteerEntry, RoutingOverride, Setting, Town

log = logging.getLogger(__name__)

DEPARTMENT_KINDS = {"hq", "department", "town"}


class CatalogueError(Exception):
    """A data file is unreadable or refers to something that does not exist."""


@dataclass
class CatalogueFiles:
    departments: list[dict] = field(default_factory=list)
    towns: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    non_report_phrases: list[str] = field(default_factory=list)
    gazetteer: list[dict] = field(default_factory=list)
    overrides: list[dict] = field(default_factory=list)
    calendar: dict = field(default_factory=dict)
    moderation: dict = field(default_factory=dict)
    knowledge: dict = field(default_factory=dict)
    national_events: dict = field(default_factory=dict)   # CJ/T 214 event classes and subclasses, by code


def read_catalogue(settings: Settings) -> CatalogueFiles:
    """Read and check every data file named in [data]."""
    files = settings.data
    departments_doc = _toml(files.departments)
    categories_doc = _toml(files.categories)
    catalogue = CatalogueFiles(
        departments=departments_doc.get("department", []),
        overrides=departments_doc.get("routing_override", []),
        towns=_toml(files.towns).get("town", []),
        categories=categories_doc.get("category", []),
        non_report_phrases=categories_doc.get("non_report", {}).get("phrases", []),
        national_events=categories_doc.get("national_events", {}),
        gazetteer=_csv(files.gazetteer),
        calendar=_toml(files.calendar),
        moderation=_toml(files.moderation) if Path(files.moderation).exists() else {},
        knowledge=_toml(files.knowledge) if Path(files.knowledge).exists() else {},
    )
    boundaries = _boundaries(files.town_polygons)
    for town in catalogue.towns:
        town["boundary"] = boundaries.get(town["code"])
    check_catalogue(catalogue)
    return catalogue


def _toml(path: str | Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc


def _csv(path: str | Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [row for row in csv.DictReader(fh) if (row.get("name") or "").strip()]
    except OSError as exc:
        raise CatalogueError(f"{path}: {exc}") from exc


def _boundaries(path: str | Path) -> dict[str, dict]:
    if not Path(path).exists():
        return {}
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    return {feature["properties"]["code"]: feature["geometry"] for feature in collection.get("features", [])}


def check_catalogue(catalogue: CatalogueFiles) -> None:
    """Raise CatalogueError when codes are missing, duplicated or refer to nothing."""
    department_codes = _unique_codes(catalogue.departments, "department")
    for department in catalogue.departments:
        if department.get("kind") not in DEPARTMENT_KINDS:
            raise CatalogueError(f"department {department['code']}: kind must be one of {sorted(DEPARTMENT_KINDS)}")
    if not any(d["kind"] == "hq" for d in catalogue.departments):
        raise CatalogueError("departments: one department must have kind = \"hq\" (triage)")
    town_codes = _unique_codes(catalogue.towns, "town")
    for town in catalogue.towns:
        _refers(town.get("office"), department_codes, f"town {town['code']} office")
    category_codes = _unique_codes(catalogue.categories, "category")
    if "other" not in category_codes:
        raise CatalogueError("categories: a category with code \"other\" is required")
    for category in catalogue.categories:
        _refers(category.get("lead_department"), department_codes, f"category {category['code']} lead_department")
        try:
            check_deadline_spec(category.get("deadline", ""))
        except ValueError as exc:
            raise CatalogueError(f"category {category['code']}: {exc}") from exc
        _check_national_code(category, catalogue.national_events)
    for row in catalogue.gazetteer:
        if row.get("town"):
            _refers(row["town"], town_codes, f"gazetteer {row['name']} town")
        try:
            gazetteer_point(row)
        except ValueError as exc:
            raise CatalogueError(f"gazetteer {row['name']}: latitude and longitude must be numbers") from exc
    for rule in catalogue.overrides:
        _refers(rule.get("town"), town_codes, "routing_override town")
        _refers(rule.get("category"), category_codes, "routing_override category")
        _refers(rule.get("department"), department_codes, "routing_override department")
    try:
        check_knowledge(catalogue.knowledge, department_codes, category_codes)
    except ValueError as exc:
        raise CatalogueError(str(exc)) from exc
    try:
        check_calendar(catalogue.calendar)
    except ValueError as exc:
        raise CatalogueError(f"calendar: {exc}") from exc


def _check_national_code(category: dict, national: dict) -> None:
    code = category.get("national_code", "")
    if code and (code not in national.get("subclasses", {}) or code[:2] not in national.get("classes", {})):
        raise CatalogueError(f"category {category['code']}: national_code {code!r} is not in [national_events]")


def gazetteer_point(row: dict) -> list[float] | None:
    """A gazetteer row's optional coordinates (latitude, longitude columns), or None when it has none."""
    latitude, longitude = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
    return [float(latitude), float(longitude)] if latitude and longitude else None


def _unique_codes(rows: list[dict], what: str) -> set[str]:
    codes: list[str] = [row.get("code", "") for row in rows]
    if not all(codes):
        raise CatalogueError(f"every {what} needs a code")
    duplicates = {code for code in codes if codes.count(code) > 1}
    if duplicates:
        raise CatalogueError(f"{what} codes used twice: {sorted(duplicates)}")
    return set(codes)


def _refers(code: str | None, known: set[str], where: str) -> None:
    if code not in known:
        raise CatalogueError(f"{where}: unknown code {code!r}")


def do_load_catalogue(catalogue: CatalogueFiles, *, session: Session) -> dict[str, int]:
    """Insert or update every catalogue row; return how many of each kind are loaded."""
    _upsert(session, Department, catalogue.departments, lambda d: {
        "name": d["name"], "kind": d["kind"], "wecom_webhook": d.get("wecom_webhook", "")})
    session.flush()
    _upsert(session, Town, catalogue.towns, lambda t: {
        "name": t["name"], "short_names": list(t.get("short_names", [])), "office_code": t["office"],
        "boundary": t.get("boundary")})
    _upsert(session, Category, catalogue.categories, lambda c: {
        "name": c["name"], "position": catalogue.categories.index(c),
        "lead_department_code": c["lead_department"], "deadline": c["deadline"],
        "national_code": c.get("national_code", ""), "keywords": list(c.get("keywords", [])),
        "hints": list(c.get("hints", [])), "replies": list(c.get("replies", []))})
    session.flush()
    session.execute(delete(GazetteerEntry))
    session.execute(delete(RoutingOverride))
    session.flush()
    session.add_all(GazetteerEntry(name=row["name"].strip(), town_code=row.get("town") or None,
                                   kind=row.get("kind", "")) for row in catalogue.gazetteer)
    session.add_all(RoutingOverride(town_code=r["town"], category_code=r["category"],
                                    department_code=r["department"]) for r in catalogue.overrides)
    _put_setting(session, "calendar", catalogue.calendar)
    _put_setting(session, "non_report_phrases", {"phrases": catalogue.non_report_phrases})
    _put_setting(session, "moderation", catalogue.moderation)
    # Where a known place is (GCJ-02), for the few the district has given coordinates: describes a shared point.
    _put_setting(session, "gazetteer_points", {row["name"].strip(): point for row in catalogue.gazetteer
                                               if (point := gazetteer_point(row))})
    _put_setting(session, "knowledge", catalogue.knowledge)
    _put_setting(session, "national_events", catalogue.national_events)   # the exchange file's class names
    return {"departments": len(catalogue.departments), "towns": len(catalogue.towns),
            "categories": len(catalogue.categories), "gazetteer": len(catalogue.gazetteer),
            "routing_overrides": len(catalogue.overrides)}


def _upsert(session: Session, model, rows: list[dict], values) -> None:
    existing = {row.code: row for row in session.scalars(select(model))}
    for row in rows:
        record = existing.get(row["code"]) or model(code=row["code"])
        for key, value in values(row).items():
            setattr(record, key, value)
        session.add(record)


def _put_setting(session: Session, key: str, value: dict) -> None:
    setting = session.get(Setting, key) or Setting(key=key, value={})
    setting.value = value
    session.add(setting)
