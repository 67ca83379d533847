"""The map in a real browser (headless Chromium against `civicbot serve`), with no tile server anywhere: HQ on a
desktop and a clerk on a phone see the town boundaries and the tickets, clustered, overdue ones in red, turn on the
heat layer, filter, and open a ticket from its marker. Screenshots go to var/screenshots/."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, insert, update

from models import Ticket, TicketStatus, utcnow
from tests.conftest import database_url
from tests.test_browser import SHOTS, fits_the_screen, log_in, report_through
from tests.test_map import STATIC, inside

pytestmark = pytest.mark.slow


S = TicketStatus


def fill_the_district(database) -> dict[str, int]:
    """Tickets as the months leave them: a street of 城管 cases in 罗城街道 (some overdue), a few across 晋源街道,
    and 水务's river cases in 义井街道. How many each department may see."""
    now = utcnow()
    rows, serial = [], 0

    def add(town: str, category: str, lead: str, offset: tuple[float, float], status: TicketStatus,
            overdue: bool = False) -> None:
        nonlocal serial
        serial += 1
        latitude, longitude = inside(town)
        created = now - timedelta(days=serial % 20)
        rows.append(dict(number=f"JY-{created:%Y%m%d}-{8000 + serial}", description="一处需要处置的问题",
                         category_code=category, lead_department_code=lead, town_code=town, status=status,
                         latitude=latitude + offset[0], longitude=longitude + offset[1], needs_triage=False,
                         route_reason="", deadline_at=now + (timedelta(hours=-5) if overdue else timedelta(days=2)),
                         created_at=created, updated_at=created, category_confidence=0.9, location_label="",
                         place_text="", reopen_count=0))

    statuses = [S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED, S.VERIFIED]
    for n in range(30):
        add("luocheng", "street_vending", "urban_mgmt", (n % 6 * 0.0006, n // 6 * 0.0006), statuses[n % 5],
            overdue=n % 10 == 1)
    for n in range(8):
        add("jinyuan", "illegal_ads", "urban_mgmt", (n * 0.004, -n * 0.003), statuses[n % 5])
    for n in range(5):
        add("yijing", "waterway", "water_affairs", (n * 0.0005, 0), S.DISPATCHED)
    engine = create_engine(database_url(database))
    with engine.begin() as connection:
        connection.execute(insert(Ticket), rows)
    engine.dispose()
    return {"urban_mgmt": 38, "water_affairs": 5}


def make_overdue(database, number: str) -> None:
    engine = create_engine(database_url(database))
    with engine.begin() as connection:
        connection.execute(update(Ticket).where(Ticket.number == number)
                           .values(deadline_at=utcnow() - timedelta(hours=1)))
    engine.dispose()


def loaded_map(page, base: str, query: str = "") -> str:
    """Open the map and wait until its data is drawn: the summary under it."""
    page.goto(f"{base}/portal/map{query}")
    page.wait_for_selector("#map[data-loaded=true]", timeout=15000)
    return page.inner_text("#map-summary")


def open_an_overdue_ticket(page, shot: str | None = None) -> str:
    """Zoom into red clusters until an overdue marker shows, tap it, and follow the number in its popup."""
    for _ in range(8):
        marker = page.locator("path.ticket.overdue").first
        if marker.count() and marker.is_visible():
            break
        page.locator(".marker-cluster.has-overdue").first.click()
        page.wait_for_timeout(700)    # the cluster's zoom animation
    marker.click()
    popup = page.locator(".leaflet-popup .map-popup")
    popup.wait_for()
    assert "超期" in popup.inner_text() and "类别：" in popup.inner_text()
    number = popup.locator("a.number").inner_text()
    if shot:
        page.wait_for_timeout(400)    # the popup's fade
        page.screenshot(path=str(SHOTS / shot))
    popup.locator("a.number").click()
    page.wait_for_url(re.compile(rf".*/portal/tickets/{number}$"))
    return number


def test_hq_and_a_clerk_work_from_the_map_with_no_tile_server(portal, browser):
    if not (STATIC / "vendor" / ".vendored").exists():
        pytest.fail("the map's Leaflet is not vendored: run `make vendor` (make test and make run do)")
    base = f"http://127.0.0.1:{portal.port}"
    stall = report_through(portal)                 # a resident's real report, on the spot in 晋祠镇
    make_overdue(portal.database, stall)
    seen = fill_the_district(portal.database)
    chens = seen["urban_mgmt"] + 1

    hq = browser.new_page(viewport={"width": 1280, "height": 900})
    asked = []
    hq.on("request", lambda request: asked.append(request.url))
    failures = []
    hq.on("pageerror", lambda error: failures.append(error))
    log_in(hq, base, "hq")
    hq.click("header >> text=地图")
    summary = loaded_map(hq, base)
    assert f"地图上 {chens + seen['water_affairs']} 件工单，其中超期 4 件" in summary
    assert hq.locator("path.town").count() == 6
    names = hq.locator(".town-label").all_inner_texts()
    assert {"晋祠镇", "罗城街道", "义井街道"} <= set(names) and len(names) == 6
    assert hq.locator(".marker-cluster").count() >= 1 and hq.locator(".marker-cluster.has-overdue").count() >= 1
    assert hq.locator("img.leaflet-tile").count() == 0     # no tiles asked for: a plain background
    assert all(url.startswith(base) for url in asked), [url for url in asked if not url.startswith(base)]
    assert fits_the_screen(hq) and not failures
    hq.screenshot(path=str(SHOTS / "30-map-1280.png"))
    hq.locator(".leaflet-control-layers label:has-text('热力图') input").check()
    assert hq.locator("canvas.leaflet-heatmap-layer").count() == 1
    hq.screenshot(path=str(SHOTS / "30-map-heat-1280.png"))
    hq.select_option("#map-filters select[name=category]", "waterway")
    hq.click("#map-filters button[type=submit]")
    hq.wait_for_url(re.compile(r".*category=waterway.*"))
    assert "地图上 5 件工单" in hq.inner_text("#map-summary") or \
        "地图上 5 件工单" in loaded_map(hq, base, "?" + hq.url.split("?", 1)[1])
    hq.goto(f"{base}/portal/map")
    hq.wait_for_selector("#map[data-loaded=true]")
    number = open_an_overdue_ticket(hq)
    assert number in hq.inner_text("main") and "已超期" in hq.inner_text("main")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, base, "chen")
    summary = loaded_map(phone, base)
    assert f"地图上 {chens} 件工单" in summary              # 城管's own: not 水务's river cases
    assert not phone.locator("#map-filters").evaluate("element => element.open")   # folded on a phone
    assert phone.locator("path.town").count() == 6 and fits_the_screen(phone)
    phone.screenshot(path=str(SHOTS / "31-phone-390-map.png"), full_page=True)
    number = open_an_overdue_ticket(phone, "31-phone-390-map-popup.png")
    assert number in phone.inner_text("main") and fits_the_screen(phone)
