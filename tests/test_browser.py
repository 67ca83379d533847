"""The portal in a real browser (headless Chromium through Playwright): a clerk's whole case, an isolation try, and
bulk actions and lists on a desktop and on phones.

Screenshots of the main pages are written to var/screenshots/ for a reviewer to look at.
"""
from __future__ import annotations

import os
import re
import shutil

import pytest

from bot.config import WeChatSettings
from bot.simulator.chat import ChatSimulator
from tests import images
from tests.conftest import HUATA_VILLAGE, ROOT
from tests.support import TOKEN, civicbot, report, ticket_number

pytestmark = pytest.mark.slow   # headless Chromium against `civicbot serve`

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "var" / "screenshots"
PASSWORD = "browser-test-password"

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (make test installs it when run as root)",
                allow_module_level=True)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


@pytest.fixture
def portal(running_bot):
    for username, department, role in [("chen", "urban_mgmt", "staff"), ("boss", "urban_mgmt", "admin"),
                                       ("liu", "water_affairs", "admin"), ("hq", "hq", "admin")]:
        added = civicbot(running_bot.config, "staff", "add", username, "--department", department, "--role", role,
                         "--password", PASSWORD)
        assert added.exit_code == 0, added.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    return running_bot


def report_through(bot) -> str:
    """A resident reports a stall through the running bot's webhook: the ticket number."""
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid="o-browser-resident")
    return ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊占了半条路，早上上学的孩子只能走机动车道",
                                at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/portal/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/tickets.*"))


def test_a_clerk_works_a_case_and_hq_verifies_it(portal, browser, tmp_path):
    base = f"http://127.0.0.1:{portal.port}"
    number = report_through(portal)
    after = tmp_path / "after.jpg"
    after.write_bytes(images.jpeg(images.scene(31)))

    clerk = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(clerk, base, "chen")
    assert number in clerk.inner_text("table")
    clerk.screenshot(path=str(SHOTS / "01-department-queue.png"), full_page=True)
    clerk.click(f"text={number}")
    clerk.screenshot(path=str(SHOTS / "02-ticket-dispatched.png"), full_page=True)
    clerk.click("form[data-action=accept] button")
    assert "已完成：接单处置" in clerk.inner_text("main")
    resolve = clerk.locator("form[data-action=resolve]")
    resolve.locator("textarea[name=note]").fill("摊主已登记，第二次劝离")
    resolve.locator("button[data-reply]").first.click()   # a canned reply of the category fills the answer
    assert resolve.locator("textarea[name=reply]").input_value().startswith("已到现场劝离占道摊贩")
    resolve.locator("input[type=file]").set_input_files(str(after))
    resolve.locator("button[type=submit]").click()
    assert "已完成：处置完成" in clerk.inner_text("main")
    assert clerk.locator("img[alt=处置后照片]").count() == 1
    clerk.screenshot(path=str(SHOTS / "03-ticket-resolved.png"), full_page=True)

    hq = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(hq, base, "hq")
    hq.goto(f"{base}/portal/tickets?tab=resolved")
    hq.screenshot(path=str(SHOTS / "04-hq-verification-queue.png"), full_page=True)
    hq.click(f"text={number}")
    hq.click("form[data-action=verify] button")
    assert "已完成：核查通过" in hq.inner_text("main")
    history = hq.inner_text("main")
    assert "chen（区城市管理局）" in history and "摊主已登记" in history and "hq（区创城指挥部）" in history
    assert "已到现场劝离占道摊贩" in history
    hq.screenshot(path=str(SHOTS / "05-ticket-verified.png"), full_page=True)
    hq.goto(f"{base}/portal/scores")
    assert "区城市管理局" in hq.inner_text("main") and hq.locator("svg").count() >= 2
    hq.screenshot(path=str(SHOTS / "06-scoreboard.png"), full_page=True)


def test_another_department_cannot_open_the_ticket_in_the_browser(portal, browser):
    base = f"http://127.0.0.1:{portal.port}"
    number = report_through(portal)
    outsider = browser.new_page()
    log_in(outsider, base, "liu")
    assert number not in outsider.inner_text("main")
    response = outsider.goto(f"{base}/portal/tickets/{number}")
    assert response.status == 404
    outsider.goto(f"{base}/portal/login")
    outsider.screenshot(path=str(SHOTS / "00-login.png"))


def report_to_triage(bot, openid: str) -> str:
    """A resident names only a long street, which does not settle the town: the ticket waits in HQ's triage."""
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid=openid)
    return ticket_number(report(resident, "长风西大街上有人乱停车堵住了人行道"))


def fits_the_screen(page) -> bool:
    """Nothing on the page is wider than the screen it was opened on: no sideways scrolling (a phone's browser would
    zoom out to show the overflow, so the window's own width is no judge)."""
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)") \
        <= page.viewport_size["width"]


def test_hq_dispatches_two_triage_tickets_at_once_on_a_desktop_and_on_a_phone(portal, browser):
    base = f"http://127.0.0.1:{portal.port}"
    first, second = report_to_triage(portal, "o-browser-first"), report_to_triage(portal, "o-browser-second")

    hq = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(hq, base, "hq")                               # HQ's list opens on triage
    hq.check(f"input[name=numbers][value='{first}']")
    hq.check(f"input[name=numbers][value='{second}']")
    assert hq.inner_text("#picked") == "2"
    hq.select_option("#bulk select[name=action]", "dispatch")
    hq.select_option("#bulk select[name=department]", "urban_mgmt")
    hq.screenshot(path=str(SHOTS / "07-hq-bulk-dispatch.png"), full_page=True)
    hq.click("#bulk button[type=submit]")
    assert "批量“派遣 / 改派”：成功 2 张。" in hq.inner_text("main")
    hq.screenshot(path=str(SHOTS / "08-hq-bulk-dispatched.png"), full_page=True)
    hq.select_option("form.filters select[name=sort]", "deadline")
    hq.click("form.filters button[type=submit]")
    hq.click("nav.tabs >> text=全部")
    assert "sort=deadline" in hq.url and "tab=all" in hq.url    # the tab link kept the chosen order
    assert "区城市管理局" in hq.inner_text("table")

    for width in (360, 414):
        phone = browser.new_page(viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True)
        log_in(phone, base, "chen")
        phone.goto(f"{base}/portal/tickets?tab=new&sort=deadline")
        assert first in phone.inner_text("main") and fits_the_screen(phone), width
        phone.fill("header input[name=number]", first)
        phone.press("header input[name=number]", "Enter")
        phone.wait_for_url(re.compile(rf".*/portal/tickets/{first}$"))
        assert fits_the_screen(phone), width
        phone.click("text=← 返回列表")
        assert "sort=deadline" in phone.url and fits_the_screen(phone)
        phone.screenshot(path=str(SHOTS / f"09-phone-{width}-department-queue.png"), full_page=True)
        phone.close()

    boss = browser.new_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    log_in(boss, base, "boss")                           # the department's admin takes both up from the phone
    boss.check("#select-all")
    assert boss.inner_text("#picked") == "2" and fits_the_screen(boss)
    boss.screenshot(path=str(SHOTS / "10-phone-360-bulk-accept.png"), full_page=True)
    boss.click("#bulk button[type=submit]")
    assert "批量“接单处置”：成功 2 张。" in boss.inner_text("main") and fits_the_screen(boss)
