"""Hold each process's snapshot of the catalogue: classifier, place resolver, routing table, calendar."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.routing import RoutingTable
from bot.catalogue.moderation import Screen
from bot.catalogue.working_calendar import WorkingCalendar
from bot.config import Settings
from bot.understanding.classifier import CategoryTerms, KeywordClassifier, ModelClassifier
from bot.understanding.features import warm_up
from bot.understanding.knowledge import Knowledge
from bot.understanding.places import PlaceResolver, TownArea
from bot.understanding.several import ProblemFinder
from models import Category, Department, DepartmentKind, GazetteerEntry, RoutingOverride, Setting, Town

log = logging.getLogger(__name__)


class CatalogueNotLoaded(Exception):
    """The database has no categories yet: `civicbot load-defaults` has not run."""


@dataclass
class CatalogueSnapshot:
    classifier: ModelClassifier | KeywordClassifier
    places: PlaceResolver
    routing: RoutingTable
    calendar: WorkingCalendar
    categories: dict[str, Category]
    screen: Screen = field(default_factory=Screen)
    knowledge: Knowledge = field(default_factory=Knowledge)

    def category_name(self, code: str | None) -> str:
        return self.categories[code].name if code in self.categories else "其他"

    def __post_init__(self):
        # One message is looked at several times in a turn (intent, draft, ticket): both are pure
        # functions of the text, so each process remembers recent answers.
        self.classify = functools.lru_cache(maxsize=4096)(self.classifier.classify)
        self.place_in = functools.lru_cache(maxsize=4096)(self.places.from_text)
        # Several problems of different categories in one description (bot/understanding/several.py).
        self.problems_in = functools.lru_cache(maxsize=1024)(ProblemFinder(self.classify, [
            CategoryTerms(c.code, tuple(c.keywords), tuple(c.hints)) for c in self.categories.values()]).problems)


def load_classifier(settings: Settings | None, categories: list[Category], non_report_phrases: list[str]):
    """The trained model when its file exists, else the keyword scorer built from the catalogue."""
    path = Path(settings.classifier.model) if settings else None
    if path and path.exists():
        warm_up()
        return ModelClassifier.load(path)
    if settings:
        log.warning("no classifier model at %s: using keywords only; run `civicbot train`", path)
    return KeywordClassifier([CategoryTerms(c.code, tuple(c.keywords), tuple(c.hints)) for c in categories],
                             non_report_phrases)


def load_snapshot(settings: Settings | None = None, *, session: Session) -> CatalogueSnapshot:
    """Read the catalogue tables once; call again after `civicbot load-defaults` (i.e. on restart)."""
    categories = list(session.scalars(select(Category).order_by(Category.position)))
    if not categories:
        raise CatalogueNotLoaded("no categories in the database: run `civicbot load-defaults`")
    # In catalogue order: which polygon or place name is tried first must not depend on how the database
    # happens to return rows (PostgreSQL moves a row it updates, e.g. by `civicbot load-defaults`).
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    towns = list(session.scalars(select(Town).order_by(Town.id)))
    stored = {s.key: s.value for s in session.scalars(select(Setting))}
    classifier = load_classifier(settings, categories,
                                 stored.get("non_report_phrases", {}).get("phrases", []))
    places = PlaceResolver(
        [TownArea(t.code, t.name, tuple(t.short_names), t.boundary) for t in towns],
        [(g.name, g.town_code) for g in session.scalars(select(GazetteerEntry).order_by(GazetteerEntry.id))],
        {name: (point[0], point[1]) for name, point in stored.get("gazetteer_points", {}).items()})
    routing = RoutingTable(
        lead_by_category={c.code: c.lead_department_code for c in categories},
        overrides={(r.town_code, r.category_code): r.department_code
                   for r in session.scalars(select(RoutingOverride))},
        office_by_town={t.code: t.office_code for t in towns},
        department_names={d.code: d.name for d in departments},
        category_names={c.code: c.name for c in categories},
        town_names={t.code: t.name for t in towns},
        hq_code=next(d.code for d in departments if d.kind == DepartmentKind.HQ))
    for category in categories:
        session.expunge(category)
    return CatalogueSnapshot(classifier, places, routing, WorkingCalendar(stored["calendar"]),
                     {c.code: c for c in categories}, Screen.from_setting(stored.get("moderation", {})),
                     knowledge=Knowledge.from_setting(stored.get("knowledge", {})))
