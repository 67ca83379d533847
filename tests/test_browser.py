"""The portal in a real browser (headless Chromium through Playwright): a clerk's whole case, an isolation try, and
bulk actions and lists on a desktop and on phones.

Screenshots of the main pages are written to var/screenshots/ for a reviewer to look at.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import WeChatSettings
from bot.simulator.chat import ChatSimulator
from tests import images
from tests.conftest import BROWSER_PASSWORD as PASSWORD
from tests.conftest import CHROMIUM, HUATA_VILLAGE, SHOTS
from tests.support import PORTAL_DATABASES, TOKEN, fresh_code, report, sessions_of, ticket_number

pytestmark = pytest.mark.slow   # headless Chromium against `civicbot serve`


if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (make test installs it when run as root)",
                allow_module_level=True)


def report_through(bot) -> str:
    """A resident reports a stall through the running bot's webhook: the ticket number."""
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid="o-browser-resident")
    return ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊占了半条路，早上上学的孩子只能走机动车道",
                                at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))


def log_in(page, base: str, username: str) -> None:
    """Log in as a person does; an HQ admin then types the code their authenticator app shows."""
    page.goto(f"{base}/portal/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/(tickets|login/code).*"))
    if "/login/code" in page.url:
        page.fill("input[name=code]", fresh_code(sessions_of(PORTAL_DATABASES[base]), username))
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
    page.wait_for_load_state()   # a page still arriving after a form's submit has no document to measure yet
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


def report_from(bot, openid: str, words: str) -> str:
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid=openid)
    return ticket_number(report(resident, words))


def open_step(page, label: str):
    """The form of a step folded under its title on the ticket page, unfolded."""
    page.click(f"summary:text-is('{label}')")
    return page.locator(f"details[open] form:has(button:text-is('{label}'))")


def score_row(page, table_title: str, name: str) -> list[str]:
    card = page.locator(f".card:has(h3:text-is('{table_title}'))")
    return card.locator(f"tr:has(td:text-is('{name}')) td").all_inner_texts()


def test_hq_extends_urges_reassigns_and_recategorises_and_the_scores_and_bulletin_say_so(portal, browser):
    from docx import Document

    base = f"http://127.0.0.1:{portal.port}"
    stall = report_through(portal)
    dumped = report_from(portal, "o-browser-river", "晋祠镇赤桥村桥下有人摆摊卖鱼，内脏直接倒进河里")
    in_five_days = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")

    clerk = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(clerk, base, "chen")                          # the officer on the street, on a phone
    clerk.goto(f"{base}/portal/tickets/{stall}")
    clerk.click("form[data-action=accept] button")
    ask = open_step(clerk, "申请延期")
    ask.locator("input[name=deadline]").fill(in_five_days)
    ask.locator("textarea[name=note]").fill("摊主答应本周内搬走，需要时间联系市场")
    ask.locator("button[type=submit]").click()
    assert "延期待审批，暂停计时" in clerk.inner_text("main") and fits_the_screen(clerk)
    clerk.screenshot(path=str(SHOTS / "11-phone-extension-asked.png"), full_page=True)

    hq = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(hq, base, "hq")
    hq.goto(f"{base}/portal/tickets?tab=extensions")
    assert stall in hq.inner_text("table")
    hq.click(f"text={stall}")
    open_step(hq, "批准延期 / 挂账").locator("button[type=submit]").click()
    assert "已完成：批准延期 / 挂账" in hq.inner_text("main") and "已同意" in hq.inner_text("main")
    urge = open_step(hq, "督办")
    urge.locator("textarea[name=note]").fill("群众反映强烈，请抓紧处置")
    urge.locator("button[type=submit]").click()
    hq.screenshot(path=str(SHOTS / "12-hq-extension-granted-and-urged.png"), full_page=True)

    clerk.goto(f"{base}/portal/tickets?tab=urged")
    assert stall in clerk.inner_text("main") and "督办" in clerk.inner_text("main") and fits_the_screen(clerk)
    clerk.screenshot(path=str(SHOTS / "13-phone-urged-queue.png"), full_page=True)

    hq.goto(f"{base}/portal/tickets/{stall}")            # 城管 has accepted it: HQ still reassigns it
    reassign = hq.locator("form[data-action=dispatch]")
    reassign.locator("select[name=department]").select_option("water_affairs")
    reassign.locator("textarea[name=note]").fill("摊位在河道管理范围内")
    reassign.locator("button[type=submit]").click()
    assert "已完成：派遣 / 改派" in hq.inner_text("main")
    hq.goto(f"{base}/portal/tickets/{dumped}")
    fix = open_step(hq, "更正类别")
    fix.locator("select[name=category]").select_option("waterway")
    fix.locator("textarea[name=note]").fill("主要问题是向河道倾倒垃圾")
    fix.locator("button[type=submit]").click()
    page = hq.inner_text("main")
    assert "已完成：更正类别" in page and "占道经营 → 河道水体" in page and "区水务局" in page
    hq.screenshot(path=str(SHOTS / "14-hq-category-corrected.png"), full_page=True)

    water = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(water, base, "liu")
    water.goto(f"{base}/portal/tickets?tab=new")
    assert stall in water.inner_text("table") and dumped in water.inner_text("table")

    hq.goto(f"{base}/portal/scores")
    # 城管 held both tickets for a turn, asked one extension (granted) and was urged once; 水务 holds both now.
    assert score_row(hq, "责任部门", "区城市管理局")[1:8] == ["2", "0", "—", "0", "1 / 1", "0（0）", "1"]
    assert score_row(hq, "责任部门", "区水务局")[1:8] == ["2", "0", "—", "0", "0 / 0", "0（0）", "0"]
    assert stall in hq.locator(".card:has(h3:text-is('督办'))").inner_text()
    hq.screenshot(path=str(SHOTS / "15-hq-scoreboard.png"), full_page=True)
    with hq.expect_download() as download:
        hq.click("text=下载通报（Word）")
    bulletin = Document(download.value.path())
    rows = {cells[1]: cells for cells in ([c.text for c in row.cells] for table in bulletin.tables
                                          for row in table.rows) if len(cells) > 9}
    assert rows["区城市管理局"][2] == "2" and rows["区城市管理局"][9] == "1"    # 受理, 督办
    assert "本期区创城指挥部共督办1件" in "\n".join(p.text for p in bulletin.paragraphs)
