"""The 办理公示 page in a real browser (headless Chromium against `civicbot serve`), with no tile server anywhere and
nobody logged in: on a 390 px phone nothing scrolls sideways, the map draws the town outlines and the open reports'
markers, a marker leads to its case's page; on a desktop the same. No cookie is set, nothing breaks the policy.
Screenshots go to var/screenshots/ (40–42)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, func, select

from bot.cases.publication import publicly_listed
from bot.cases.statuses import OPEN_STATES
from models import Ticket
from tests.conftest import CHROMIUM, database_url
from tests.test_browser import SHOTS, fits_the_screen
from tests.test_map import STATIC
from tests.test_map_browser import fill_the_district

if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (make test installs it when run as root)",
                allow_module_level=True)

pytestmark = pytest.mark.slow


def counted(database, *where) -> int:
    engine = create_engine(database_url(database))
    with engine.connect() as connection:
        found = connection.scalar(select(func.count(Ticket.id)).where(publicly_listed(), *where))
    engine.dispose()
    return found


def watched(page) -> tuple[list[str], list[str]]:
    """Every address the page asks for, and every error it reports (a script error, a blocked inline style)."""
    asked: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    # A policy breach is a console error; a missing file is one too, but the browser's own favicon.ico is no page's.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return asked, problems


def test_the_public_page_on_a_phone_and_a_desktop_with_no_tile_server(served_bot, browser):
    running_bot, database = served_bot, served_bot.database
    if not (STATIC / "vendor" / ".vendored").exists():
        pytest.fail("the map's Leaflet is not vendored: run `make vendor` (make test and make run do)")
    fill_the_district(database)
    open_ones = counted(database, Ticket.status.in_(OPEN_STATES), Ticket.latitude.is_not(None))
    base = f"http://127.0.0.1:{running_bot.port}"
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    phone = context.new_page()
    asked, problems = watched(phone)
    phone.goto(f"{base}/public/")
    phone.wait_for_selector("#map[data-loaded=true]", timeout=20000)
    assert f"地图上 {open_ones} 件工单" in phone.inner_text("#map-summary")
    assert phone.locator("path.town").count() == 6                  # the outlines drawn from data, no tiles
    assert phone.locator(".marker-cluster").count() >= 1
    assert phone.locator("img.leaflet-tile").count() == 0
    assert phone.locator("article.case").count() == 20               # a page of handled cases
    assert "全区收到反映" in phone.inner_text("main") and "按时办结率" in phone.inner_text("main")
    assert fits_the_screen(phone)
    assert all(url.startswith(f"{base}/public/") for url in asked), [u for u in asked if "/public/" not in u]
    phone.screenshot(path=str(SHOTS / "40-public-390.png"), full_page=True)

    for _ in range(10):                                              # zoom in until single markers show
        marker = phone.locator("path.ticket").first
        if marker.count() and marker.is_visible():
            break
        phone.locator(".marker-cluster").first.click()
        phone.wait_for_timeout(700)
    marker.click()
    popup = phone.locator(".leaflet-popup .map-popup")
    popup.wait_for()
    assert "类别：" in popup.inner_text() and "办理中" in popup.inner_text()
    number = popup.locator("a.number").inner_text()
    popup.locator("a.number").click()
    phone.wait_for_url(re.compile(rf".*/public/cases/{number}$"))
    assert number in phone.inner_text("main") and "办理中" in phone.inner_text("main") and fits_the_screen(phone)
    phone.screenshot(path=str(SHOTS / "41-public-case-390.png"), full_page=True)
    assert context.cookies() == [] and not problems, problems
    for width in (360, 414):                                         # the narrowest and widest phones too
        phone.set_viewport_size({"width": width, "height": 800})
        phone.goto(f"{base}/public/?category=street_vending")
        phone.wait_for_selector("#map[data-loaded=true]", timeout=20000)
        assert fits_the_screen(phone), width
    context.close()

    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    asked, problems = watched(desktop)
    desktop.goto(f"{base}/public/?town=luocheng")
    desktop.wait_for_selector("#map[data-loaded=true]", timeout=20000)
    in_luocheng = counted(database, Ticket.status.in_(OPEN_STATES), Ticket.latitude.is_not(None),
                          Ticket.town_code == "luocheng")
    assert f"地图上 {in_luocheng} 件工单" in desktop.inner_text("#map-summary")
    assert fits_the_screen(desktop) and not problems, problems
    desktop.screenshot(path=str(SHOTS / "42-public-1280.png"), full_page=True)
