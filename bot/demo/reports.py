"""The demo's reports: when, where and what residents report over the days, and each one submitted as the chat does
(the resident found or created and a draft started by the conversation's store, then `submit_report`)."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import select

from bot.cases.reports import Outcome, Submission, submit_report
from bot.conversation import store
from bot.demo import MARKER
from bot.demo.context import Demo
from bot.demo.words import CATEGORY_WEIGHTS, HELD_REPORTS, report_words
from models import CategorySource, Draft, DraftStatus, GazetteerEntry, LocationSource, Town

# Reports per hour of the local day (relative): residents write mostly in the daytime.
HOURLY = (0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2.0, 3.0, 3.2, 3.0, 2.6, 1.8, 1.6, 2.4, 2.6, 2.5, 2.2, 2.0, 2.0, 1.8,
          1.2, 0.7, 0.4)
WEEKDAY = (1.15, 1.0, 1.0, 1.0, 1.05, 0.8, 0.75)   # Monday … Sunday
# 晋祠镇 (the scenic area and its villages) reports the most, 姚村镇 the least.
TOWN_WEIGHTS = {"jinci": 3.0, "jinyuan": 2.0, "luocheng": 1.5, "yijing": 1.2, "jinsheng": 1.0, "yaocun": 0.6}
HOTSPOTS_PER_TOWN = 8
SHARED, IN_WORDS = 0.6, 0.35   # how residents give the place: a shared location, a place in the words, else a road
REPEATS = 0.06                 # reports of a problem someone else reported a little earlier
PHOTOS = 0.3
HELD_EVERY_DAYS = 4
METRES_PER_DEGREE = 111_320


@dataclass(frozen=True)
class ReportSpec:
    at: datetime
    openid: str
    category: str                       # what the problem really is (the classifier may say otherwise)
    words: str
    town: str | None                    # where it really is (a road alone does not tell the bot)
    point: tuple[float, float] | None   # a shared location (GCJ-02)
    place: str = ""                     # the place the words name, or the shared location's nearest
    label: str = ""
    photo: bool = False
    spam: bool = False


@dataclass(frozen=True)
class Spot:
    town: str
    point: tuple[float, float]
    place: str


class Atlas:
    """The district as the demo's residents know it: towns, their places, hot spots inside their polygons, roads."""

    def __init__(self, demo: Demo):
        session = demo.session
        self.rng = demo.rng
        self.places = demo.catalogue.places
        self.town_names = demo.catalogue.routing.town_names
        towns = list(session.scalars(select(Town).order_by(Town.id)))
        entries = list(session.scalars(select(GazetteerEntry).order_by(GazetteerEntry.id)))
        self.named = {t.code: [e.name for e in entries if e.town_code == t.code] or [t.name] for t in towns}
        self.roads = [e.name for e in entries if e.town_code is None and e.kind == "road"] or ["晋祠路"]
        self.bounds = {t.code: _bounds(t.boundary) for t in towns if t.boundary}
        self.towns = [t.code for t in towns if t.code in self.bounds]
        self.weights = [TOWN_WEIGHTS.get(code, 1.0) for code in self.towns]
        self.hotspots = {code: [Spot(code, self.point_in(code), self.rng.choice(self.named[code]))
                                for _ in range(HOTSPOTS_PER_TOWN)] for code in self.towns}

    def point_in(self, town: str) -> tuple[float, float]:
        """A random point inside the town's polygon."""
        west, south, east, north = self.bounds[town]
        for _ in range(500):
            point = (self.rng.uniform(south, north), self.rng.uniform(west, east))
            if self.places.from_point(*point) == town:
                return point
        return (south + north) / 2, (west + east) / 2

    def near(self, point: tuple[float, float], metres: float) -> tuple[float, float]:
        """A point within this many metres of another."""
        distance, bearing = self.rng.uniform(0, metres), self.rng.uniform(0, 2 * math.pi)
        north = distance * math.cos(bearing) / METRES_PER_DEGREE
        east = distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(point[0])))
        return point[0] + north, point[1] + east

    def label(self, town: str, place: str) -> str:
        return f"山西省太原市晋源区{self.town_names.get(town, '')}{place}附近"


def _bounds(boundary: dict) -> tuple[float, float, float, float]:
    points: list[list[float]] = []

    def walk(coordinates: list) -> None:
        if coordinates and isinstance(coordinates[0], int | float):
            points.append(coordinates)
        else:
            for part in coordinates:
                walk(part)

    walk(boundary.get("coordinates") or [c for f in boundary.get("features", []) for c in
                                         f["geometry"]["coordinates"]])
    return (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points),
            max(p[1] for p in points))


def plan_reports(demo: Demo, atlas: Atlas, openids: list[str], start: datetime) -> list[ReportSpec]:
    """Every report of the period, in time order: ~15–40 a day, mostly by day, fewer at weekends."""
    rng, calendar = demo.rng, demo.catalogue.calendar
    categories = [code for code in CATEGORY_WEIGHTS if code in demo.catalogue.categories]
    category_weights = [CATEGORY_WEIGHTS[code] for code in categories]
    specs: list[ReportSpec] = []
    first_day = calendar.local(start).date()
    days = (calendar.local(demo.end).date() - first_day).days + 1
    for n in range(days):
        day = first_day + timedelta(days=n)
        count = round(26 * WEEKDAY[day.weekday()] * (0.9 + 0.2 * n / days) * rng.uniform(0.7, 1.3))
        for _ in range(max(15, min(40, count))):
            at = _moment(rng, calendar.zone, day, rng.choices(range(24), HOURLY)[0])
            openid = openids[int(len(openids) * rng.random() ** 2)]   # some residents report far more than others
            recent = [spec for spec in specs[-60:] if timedelta(0) < at - spec.at < timedelta(hours=36)]
            if recent and rng.random() < REPEATS:
                specs.append(_repeat(rng, atlas, rng.choice(recent), at, openid))
            else:
                specs.append(_fresh(rng, atlas, rng.choices(categories, category_weights)[0], at, openid))
        if n % HELD_EVERY_DAYS == 1:
            specs.append(_held(rng, atlas, n // HELD_EVERY_DAYS, _moment(rng, calendar.zone, day, rng.randrange(8, 21)),
                               rng.choice(openids)))
    # One arrives shortly before the present, so HQ's review queue has one to show.
    specs.append(_held(rng, atlas, 0, demo.end - timedelta(minutes=rng.randrange(20, 180)), rng.choice(openids)))
    return sorted((spec for spec in specs if start <= spec.at <= demo.end), key=lambda spec: spec.at)


def _moment(rng: random.Random, zone: tzinfo, day: date, hour: int) -> datetime:
    """A random moment in this hour of the local day, as naive UTC."""
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def _held(rng: random.Random, atlas: Atlas, n: int, at: datetime, openid: str) -> ReportSpec:
    """A report the moderation lists hold for HQ: spam, or a real problem in rude or ad-laden words."""
    category, words, spam = HELD_REPORTS[n % len(HELD_REPORTS)]
    town = rng.choices(atlas.towns, atlas.weights)[0]
    place = rng.choice(atlas.named[town])
    return ReportSpec(at, openid, category, words, town, atlas.point_in(town), place, atlas.label(town, place),
                      spam=spam)


def _fresh(rng: random.Random, atlas: Atlas, category: str, at: datetime, openid: str) -> ReportSpec:
    town = rng.choices(atlas.towns, atlas.weights)[0]
    photo = rng.random() < PHOTOS
    form = rng.random()
    if form < SHARED:
        spot = rng.choice(atlas.hotspots[town]) if rng.random() < 0.6 else None
        point = atlas.near(spot.point, 300) if spot else atlas.point_in(town)
        place = spot.place if spot else rng.choice(atlas.named[town])
        words = report_words(rng, category, place if rng.random() < 0.5 else "")
        return ReportSpec(at, openid, category, words, town, point, place, atlas.label(town, place), photo)
    if form < SHARED + IN_WORDS:
        place = rng.choice(atlas.named[town])
        if rng.random() < 0.3:
            place = f"{atlas.town_names[town]}{place}"
        return ReportSpec(at, openid, category, report_words(rng, category, place), town, None, place, photo=photo)
    road = rng.choice(atlas.roads)
    return ReportSpec(at, openid, category, report_words(rng, category, road), town, None, road, photo=photo)


def _repeat(rng: random.Random, atlas: Atlas, earlier: ReportSpec, at: datetime, openid: str) -> ReportSpec:
    """Another resident reports the same problem a little later: the same place, their own words."""
    if earlier.point:
        words = report_words(rng, earlier.category, earlier.place if rng.random() < 0.5 else "")
        return replace(earlier, at=at, openid=openid, words=words, point=atlas.near(earlier.point, 40),
                       photo=rng.random() < PHOTOS)
    return replace(earlier, at=at, openid=openid, words=report_words(rng, earlier.category, earlier.place),
                   photo=rng.random() < PHOTOS)


def submit(demo: Demo, spec: ReportSpec) -> Submission:
    """The resident's whole report, as the chat takes it: their row, a draft understood as `handlers/draft.py` does
    (the classifier's category when it is sure, else the one the resident picks from the menu), 提交."""
    session, catalogue = demo.session, demo.catalogue
    session.flush()   # the store writes on the session's connection in Core, which does not flush the ORM's changes
    connection = session.connection()
    resident_id = store.find_resident(connection, spec.openid, demo.now, seen=True)
    draft = store.start_draft(connection, resident_id, demo.now)
    draft.description = MARKER + spec.words
    result = catalogue.classify(spec.words)
    if result.category and result.confidence >= demo.settings.classifier.ask_below and result.surely_a_report:
        draft.category_code, draft.category_confidence = result.category, result.confidence
    else:   # the menu: the resident picks what it really is
        draft.category_code, draft.category_confidence = spec.category, 1.0
        draft.category_source = CategorySource.RESIDENT
    text_town = None
    place = catalogue.place_in(draft.description)
    if place:
        draft.place_text, text_town = place.place_text, place.town_code
    if spec.point:
        draft.latitude, draft.longitude = spec.point
        draft.location_label, draft.location_source = spec.label, LocationSource.SHARED
    point_town = catalogue.places.from_point(*spec.point) if spec.point else None
    draft.town_code = point_town or text_town
    store.save(connection, draft)
    row = session.get_one(Draft, draft.id)
    if spec.photo:
        demo.pictures.resident_photo(resident_id, row.id, demo.now, session=session)
    submission = submit_report(row, catalogue=catalogue, settings=demo.settings, now=demo.now, session=session)
    if submission.outcome == Outcome.LIMITED:
        row.status = DraftStatus.CANCELLED   # the resident gives up for now
    return submission
