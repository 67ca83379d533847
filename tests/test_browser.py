"""The portal in a real browser (headless Chromium through Playwright): a clerk's whole case and an isolation try.

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
    for username, department, role in [("chen", "urban_mgmt", "staff"), ("liu", "water_affairs", "admin"),
                                       ("hq", "hq", "admin")]:
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
