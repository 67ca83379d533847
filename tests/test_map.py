"""The portal's map through HTTP: each department's own tickets only, the lists' filters, overdue marked, nothing about
the resident or internal notes in its data, the town boundaries, and a page that runs no inline script."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import prcoords
import pytest
from shapely.geometry import shape

from bot.app import create_app
from bot.config import MapSettings
from models import Ticket, TicketStatus, utcnow
from tests.conftest import HUATA_VILLAGE, ROOT
from tests.support import STALL, report, ticket_number
from tests.test_portal import numbers_in

S = TicketStatus
TOWNS = {feature["properties"]["code"]: shape(feature["geometry"])
         for feature in json.loads((ROOT / "data" / "towns.geojson").read_text(encoding="utf-8"))["features"]}
STATIC = ROOT / "bot" / "web" / "portal" / "static"


def inside(town: str) -> tuple[float, float]:
    """A point (latitude, longitude, GCJ-02) inside the town's boundary."""
    point = TOWNS[town].representative_point()
    return point.y, point.x


def placed(sessions, serial: int, *, category: str, lead: str, town: str | None, point: tuple[float, float] | None,
           status: TicketStatus = S.DISPATCHED, due_in: timedelta = timedelta(days=1), age: timedelta = timedelta(0),
           resolved_late: bool = False) -> str:
    """A ticket as earlier steps left it, set up directly: where it is, who leads it, how long it has been open."""
    now = utcnow()
    created = now - age
    number = f"JY-{created:%Y%m%d}-{9000 + serial}"
    with sessions() as session, session.begin():
        session.add(Ticket(number=number, description="一处需要处置的问题", category_code=category, town_code=town,
                           lead_department_code=lead, status=status, deadline_at=now + due_in,
                           latitude=point[0] if point else None, longitude=point[1] if point else None,
                           resolved_at=now if resolved_late else None, created_at=created, updated_at=created))
    return number


def map_of(person, query: str = "") -> dict:
    response = person.page(f"/portal/map/tickets.json?{query}")
    assert response.status_code == 200 and response.mimetype == "application/json", response.status_code
    return response.get_json()


def numbers_on(body: dict) -> set[str]:
    return {row[0] for row in body["tickets"]}


@pytest.fixture
def district(sessions, resident):
    """A stall reported by a resident on the spot in 晋祠镇 (城管), a river in 义井街道 (水务), a pavement without a
    shared location (城管, town not settled) and a finished case in 罗城街道 from a month ago (城管)."""
    stall = ticket_number(report(resident, STALL, at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    river = placed(sessions, 1, category="waterway", lead="water_affairs", town="yijing", point=inside("yijing"))
    unplaced = placed(sessions, 2, category="street_vending", lead="urban_mgmt", town=None, point=None)
    old = placed(sessions, 3, category="illegal_ads", lead="urban_mgmt", town="luocheng", point=inside("luocheng"),
                 status=S.CLOSED, age=timedelta(days=30))
    return {"stall": stall, "river": river, "unplaced": unplaced, "old": old}


def test_each_department_sees_only_its_own_tickets_on_the_map(clerk, district):
    hq, chen, liu, zhao, he = (clerk(name) for name in ("hq", "chen", "liu", "zhao", "he"))
    everything = map_of(hq)
    assert numbers_on(everything) == {district["stall"], district["river"], district["old"]}
    assert everything["without_location"] == 1      # the pavement has no point: counted, not drawn
    stall = next(row for row in everything["tickets"] if row[0] == district["stall"])
    assert stall[1:3] == [pytest.approx(HUATA_VILLAGE[0]), pytest.approx(HUATA_VILLAGE[1])]   # as stored, GCJ-02
    assert numbers_on(map_of(chen)) == {district["stall"], district["old"]}
    assert numbers_on(map_of(liu)) == {district["river"]}
    assert numbers_on(map_of(zhao)) == {district["stall"]}       # 晋祠镇's office: the tickets in its town
    assert numbers_on(map_of(he)) == {district["river"]}         # 义井街道's office
    assert map_of(liu, "q=" + district["stall"])["tickets"] == []   # another's ticket is not found by number either


@pytest.mark.parametrize("query", ["", "tab=all&category=waterway", "tab=all&category=street_vending",
                                   "tab=all&town=jinci", "tab=all&town=none", "tab=all&status=closed",
                                   "tab=new", "tab=overdue", "tab=all&from={month_ago}&to={yesterday}",
                                   "tab=all&from={today}", "tab=all&q=9001", "tab=all&category=waterway&town=jinci"])
def test_the_map_shows_what_the_list_with_the_same_filters_shows(clerk, district, query):
    today = utcnow().date()
    query = query.format(today=today, yesterday=today - timedelta(days=1), month_ago=today - timedelta(days=31))
    for person in (clerk("hq"), clerk("chen")):
        listed = set(numbers_in(person.page(f"/portal/tickets?{'tab=all&' if not query else ''}{query}")
                                .get_data(as_text=True)))
        drawn = map_of(person, query)
        assert numbers_on(drawn) <= listed
        assert len(numbers_on(drawn)) + drawn["without_location"] == len(listed), (person.username, query)
    assert numbers_on(map_of(clerk("hq"), "tab=all&category=waterway")) == {district["river"]}
    assert numbers_on(map_of(clerk("hq"), "tab=all&from=2000-01-01&to=2000-01-31")) == set()


def test_the_map_opens_on_every_ticket_while_the_list_opens_on_the_work_tab(clerk, district):
    hq = clerk("hq")
    listed = hq.page("/portal/tickets?tab=all&category=waterway&sort=deadline").get_data(as_text=True)
    assert 'href="/portal/map?tab=all&amp;category=waterway">在地图上查看' in listed   # the list's filters kept
    assert numbers_on(map_of(hq)) == numbers_on(map_of(hq, "tab=all"))
    assert "tab=all" in hq.page("/portal/map").get_data(as_text=True)


def test_overdue_tickets_stand_out_and_late_resolutions_do_not(clerk, sessions, district):
    late = placed(sessions, 4, category="street_vending", lead="urban_mgmt", town="jinci", point=inside("jinci"),
                  due_in=-timedelta(hours=3))
    done_late = placed(sessions, 5, category="street_vending", lead="urban_mgmt", town="jinci",
                       point=inside("jinci"), status=S.RESOLVED, due_in=-timedelta(hours=3), resolved_late=True)
    rows = {row[0]: row for row in map_of(clerk("chen"))["tickets"]}
    assert rows[late][5] == 1
    assert rows[district["stall"]][5] == 0 and rows[done_late][5] == 0
    on_tab = map_of(clerk("hq"), "tab=overdue")
    assert numbers_on(on_tab) == {late}
    statuses = map_of(clerk("hq"))["statuses"]
    assert statuses[rows[late][3]][:2] == ["dispatched", "已派遣至责任部门"]


def test_the_maps_data_says_nothing_about_the_resident_or_internal_notes(clerk, district):
    chen = clerk("chen")
    chen.act(district["stall"], "accept")
    chen.act(district["stall"], "note", note="摊主姓王，电话13800001111，明早再去")
    for person in (clerk("hq"), chen):
        text = person.page("/portal/map/tickets.json").get_data(as_text=True)
        for secret in ("o-resident-wang", "13800001111", "摆摊占了半条路", "花塔村", "description"):
            assert secret not in text
        assert all(len(row) == 6 for row in json.loads(text)["tickets"])


def test_the_towns_are_drawn_from_the_boundaries_routing_uses_and_a_town_office_sees_its_own(clerk, district):
    zhao = clerk("zhao")
    response = zhao.page("/portal/map/towns.json")
    towns = {f["properties"]["name"]: f for f in response.get_json()["features"]}
    assert set(towns) == {"罗城街道", "义井街道", "晋源街道", "金胜镇", "姚村镇", "晋祠镇"}
    assert [name for name, f in towns.items() if f["properties"]["own"]] == ["晋祠镇"]
    assert shape(towns["晋祠镇"]["geometry"]).equals(TOWNS["jinci"])
    again = zhao.client.get("/portal/map/towns.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304                       # the browser keeps them


def test_with_wgs84_tiles_points_and_boundaries_are_shifted_from_gcj02(settings, accounts, district):
    wgs = create_app(settings.model_copy(update={"map": MapSettings(tile_url="https://t{s}.example/{z}/{x}/{y}",
                                                                    tile_datum="wgs84")}))
    from tests.support import logged_in
    hq = logged_in(wgs, "hq")
    stall = next(row for row in map_of(hq)["tickets"] if row[0] == district["stall"])
    expected = prcoords.gcj_wgs(HUATA_VILLAGE)
    assert stall[1:3] == [pytest.approx(expected.lat, abs=1e-6), pytest.approx(expected.lon, abs=1e-6)]
    assert abs(stall[2] - HUATA_VILLAGE[1]) > 0.003       # several hundred metres: what a wrong datum would cost
    town = hq.page("/portal/map/towns.json").get_json()["features"][0]["geometry"]["coordinates"][0][0]
    assert town != list(TOWNS["luocheng"].exterior.coords[0])
    page = hq.page("/portal/map").get_data(as_text=True)
    assert 'data-tile-url="https://t{s}.example/{z}/{x}/{y}"' in page


def test_bad_filters_are_left_out_never_an_error(clerk, district):
    hq = clerk("hq")
    body = map_of(hq, "tab=nonsense&from=2024-13-45&to=yesterday&page=x&category=%E2%80%8B&town=<b>&status=gone&q=" +
                  "Ｊｙ" * 40)
    assert isinstance(body["tickets"], list)
    assert hq.page("/portal/map?tab=nonsense&from=2024-13-45&town=<b>").status_code == 200
    nul = hq.page("/portal/map/tickets.json?category=%00")     # PostgreSQL cannot hold it: refused before any query
    assert nul.status_code == 400 and "无效字符" in nul.get_data(as_text=True)


def test_the_map_needs_a_login(app, accounts):
    for path in ("/portal/map", "/portal/map/tickets.json", "/portal/map/towns.json"):
        response = app.test_client().get(path)
        assert response.status_code == 302 and "/portal/login" in response.location


def test_the_map_page_loads_its_scripts_and_styles_from_the_portal_itself(clerk, district):
    chen = clerk("chen")
    assert "/portal/map" in chen.page("/portal/tickets").get_data(as_text=True)   # the header's link
    page = chen.page("/portal/map?category=street_vending").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script: the strict CSP forbids them"
    assert not re.search(r"\sstyle=", page), "no inline style attributes"
    assert 'data-points="/portal/map/tickets.json?tab=all&amp;category=street_vending"' in page
    sources = re.findall(r'(?:src|href)="(/portal/static/[^"]+)"', page)
    assert len(sources) == 10 and any("leaflet.markercluster.js" in s for s in sources) and \
        any("leaflet-heat.js" in s for s in sources)
    if not (STATIC / "vendor" / ".vendored").exists():
        pytest.fail("the map's Leaflet is not vendored: run `make vendor` (make test and make run do)")
    for source in sources:
        assert chen.page(source).status_code == 200, source
