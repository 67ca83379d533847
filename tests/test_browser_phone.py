"""The portal on a phone and a desktop in headless Chromium: every staff page fits the screen, a clerk resolves with a
camera photo made smaller in the browser (its GPS and time kept), HQ sees where and when it was taken, and an upload
too large is answered in Chinese with the note kept — with JavaScript and without.

Screenshots of the queue and the ticket page at 390 px and 1280 px are written to var/screenshots/ (20–23), and of a
ticket whose after-photo is in doubt (24).
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import prcoords
import pytest
from playwright.sync_api import expect

from bot.cases.geometry import METRES_PER_DEGREE
from bot.config import WeChatSettings
from bot.simulator.chat import ChatSimulator
from tests import images
from tests.conftest import CHROMIUM, HUATA_VILLAGE, SHOTS
from tests.support import TOKEN, report, ticket_number
from tests.test_browser import fits_the_screen, log_in, report_through, report_to_triage

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (make test installs it when run as root)",
                allow_module_level=True)

pytestmark = pytest.mark.slow   # headless Chromium against `civicbot serve`


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
HQ_TABS = ("triage", "extensions", "resolved", "overdue", "due_soon", "urged", "returned", "all")
DEPARTMENT_TABS = ("mine", "new", "in_progress", "urged", "due_soon", "overdue", "returned", "all")


def beijing_now(later: timedelta = timedelta()) -> str:
    """Now on a phone's clock in China, as EXIF writes it (no offset)."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + later).strftime("%Y:%m:%d %H:%M:%S")


def metres_north_in_exif(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The WGS-84 point a phone writes into EXIF for a place `metres` north of a GCJ-02 point (as stored)."""
    wgs = prcoords.gcj_wgs_bored((point[0] + metres / METRES_PER_DEGREE, point[1]))
    return wgs.lat, wgs.lon


def report_with_photo(bot, tmp_path) -> str:
    """A resident on the spot at 花塔村 sends a photo of the stall, then the report; WeChat (the fake API on the port
    the bot calls) holds the photo for the bot's job worker to fetch. The ticket number."""
    from bot.simulator.fake_wechat_api import FakeWeChat
    wechat = FakeWeChat(app_id=None, port=bot.api_port)
    picture = tmp_path / "stall.jpg"
    picture.write_bytes(images.jpeg(images.scene(12, (1200, 900)), latitude=37.7031, longitude=112.4342))
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid="o-phone-resident",
                             api_root=wechat.base_url.removesuffix("/cgi-bin/"))
    resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    resident.photo(str(picture))
    number = ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊占了半条路，早上上学的孩子只能走机动车道"))
    bot.fake_wechat = wechat   # closed with the test (see the fixture below)
    return number


def report_rubbish_nearby(bot) -> str:
    """Another resident reports rubbish 150 m north of the stall: 环卫's ticket, not 城管's."""
    resident = ChatSimulator(bot.url, WeChatSettings(token=TOKEN), openid="o-phone-rubbish")
    return ticket_number(report(resident, "花塔村路边垃圾桶满了，垃圾堆了好几天没人清运",
                                at=(HUATA_VILLAGE[0] + 150 / METRES_PER_DEGREE, HUATA_VILLAGE[1]),
                                label="晋源区晋祠镇花塔村"))


@pytest.fixture
def portal_with_wechat(portal):
    yield portal
    if getattr(portal, "fake_wechat", None):
        portal.fake_wechat.close()


def page_in(browser, device: dict, **options):
    return browser.new_context(**device, **options).new_page()


@pytest.mark.parametrize("width", [360, 390, 414])
def test_every_staff_page_fits_a_phone_and_its_steps_are_full_width_buttons(portal, browser, width):
    base = f"http://127.0.0.1:{portal.port}"
    stall, parked = report_through(portal), report_to_triage(portal, "o-phone-parker")
    phone = {"viewport": {"width": width, "height": 800}, "is_mobile": True, "has_touch": True}
    for username, tabs in (("hq", HQ_TABS), ("chen", DEPARTMENT_TABS), ("boss", DEPARTMENT_TABS)):
        page = page_in(browser, phone)
        page.goto(f"{base}/portal/login")
        assert fits_the_screen(page), (width, "login")
        log_in(page, base, username)
        for tab in tabs:
            page.goto(f"{base}/portal/tickets?tab={tab}")
            assert fits_the_screen(page), (width, username, tab)
        for number in (stall, parked):
            response = page.goto(f"{base}/portal/tickets/{number}")
            if response.status == 404:      # the triage ticket is HQ's alone
                continue
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")   # every step's form
            assert fits_the_screen(page), (width, username, number)
            for form in page.locator(".actions form").all():
                button, box = form.locator("button.primary").bounding_box(), form.bounding_box()
                assert button["width"] >= box["width"] - 2, (width, username, form.get_attribute("data-action"))
        if username == "hq":
            page.goto(f"{base}/portal/scores")
            assert fits_the_screen(page), (width, "scores")
        page.context.close()


@pytest.mark.parametrize("device, shots", [(PHONE, ("20-phone-390-queue", "21-phone-390-ticket")),
                                           (DESKTOP, ("22-desktop-1280-queue", "23-desktop-1280-ticket"))])
def test_a_clerk_resolves_with_a_camera_photo_and_hq_sees_where_and_when_it_was_taken(portal_with_wechat, browser,
                                                                                      tmp_path, device, shots):
    portal = portal_with_wechat
    base = f"http://127.0.0.1:{portal.port}"
    number = report_with_photo(portal, tmp_path)          # reported at 花塔村 (HUATA_VILLAGE) with a photo
    unplaced = report_to_triage(portal, "o-phone-neighbour")   # no point: never nearby
    rubbish = report_rubbish_nearby(portal)
    photo = tmp_path / "IMG_20261207_101500.jpg"
    # Taken on the spot, 40 m north, just now, held sideways (EXIF orientation 6: turn 90° to stand upright).
    photo.write_bytes(images.phone_photo(**dict(zip(("latitude", "longitude"), metres_north_in_exif(HUATA_VILLAGE, 40),
                                                    strict=True)),
                                         taken=beijing_now(timedelta(seconds=5)), orientation=6))
    assert photo.stat().st_size > 3_500_000   # over three times the webhook's 1 MiB

    clerk = page_in(browser, device)
    log_in(clerk, base, "chen")
    assert number in clerk.inner_text("main") and unplaced not in clerk.inner_text("main") and fits_the_screen(clerk)
    clerk.click(f"text={number}")
    assert "附近没有其他工单" in clerk.inner_text(".nearby") and fits_the_screen(clerk)   # 环卫's is not 城管's
    clerk.click("form[data-action=accept] button")
    assert "已完成：接单处置" in clerk.inner_text("main") and fits_the_screen(clerk)
    resolve = clerk.locator("form[data-action=resolve]")
    camera = resolve.locator("input[type=file]")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    resolve.locator("textarea[name=note]").fill("摊位已清走，路面已清扫")
    camera.set_input_files(str(photo))
    with clerk.expect_navigation(), clerk.expect_request(lambda r: r.method == "POST") as sent:
        resolve.locator("button[type=submit]").click()   # the page shrinks the photo first, then sends the form
    sent_bytes = int(sent.value.header_value("content-length"))
    assert sent_bytes < 1_000_000, sent_bytes    # made smaller in the browser before it was sent
    assert "已完成：处置完成" in clerk.inner_text("main") and fits_the_screen(clerk)
    after = clerk.locator(".photo-group[data-kind=after]")
    assert after.locator("img[alt=处置后照片]").count() == 1
    caption = after.locator("figcaption").inner_text()
    assert re.search(r"距反映位置约 (3\d|4\d) 米", caption), caption     # the EXIF GPS survived the resizing
    assert "拍摄于" in caption and "早于派遣" not in caption and "超过" not in caption
    shown = after.locator("img").evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
    assert shown[1] > shown[0], shown            # upright (portrait), turned once, not twice

    hq = page_in(browser, device)
    log_in(hq, base, "hq")
    hq.goto(f"{base}/portal/tickets?tab=resolved")
    assert number in hq.inner_text("main") and "照片存疑" not in hq.inner_text("main") and fits_the_screen(hq)
    hq.screenshot(path=str(SHOTS / f"{shots[0]}.png"), full_page=True)
    hq.click(f"text={number}")
    groups = hq.locator(".photo-group h4").all_inner_texts()
    assert groups[:2] == ["市民拍摄", "处置后"] and hq.locator("#evidence-alert").count() == 0
    for _ in range(40):   # the resident's photo is fetched from WeChat by the job worker, in its own time
        if hq.locator("img[alt=市民拍摄照片]").count() == 1:
            break
        hq.wait_for_timeout(250)
        hq.reload()
    assert hq.locator("img[alt=市民拍摄照片]").count() == 1
    near = hq.inner_text(".nearby")
    assert rubbish in near and "环境卫生" in near and "150 米" in near and unplaced not in near
    assert "距反映位置约" in hq.locator(".photo-group[data-kind=after]").inner_text() and fits_the_screen(hq)
    tops = [box["y"] for box in (hq.locator(".photo-group").nth(i).bounding_box() for i in range(2))]
    assert (tops[0] == tops[1]) == (device is DESKTOP)    # side by side on a desktop, one above the other on a phone
    hq.screenshot(path=str(SHOTS / f"{shots[1]}.png"), full_page=True)
    hq.context.close()
    clerk.context.close()


def test_hq_is_warned_of_an_after_photo_taken_far_away_or_before_the_dispatch(portal, browser, tmp_path):
    base = f"http://127.0.0.1:{portal.port}"
    number = report_through(portal)
    photo = tmp_path / "old.jpg"
    # 1.5 km away, and taken yesterday: an old photo of somewhere else.
    photo.write_bytes(images.jpeg(images.scene(8), **dict(zip(("latitude", "longitude"),
                                                              metres_north_in_exif(HUATA_VILLAGE, 1500), strict=True)),
                                  taken=beijing_now(-timedelta(days=1))))
    clerk = page_in(browser, PHONE)
    log_in(clerk, base, "chen")
    clerk.goto(f"{base}/portal/tickets/{number}")
    clerk.click("form[data-action=accept] button")
    resolve = clerk.locator("form[data-action=resolve]")
    resolve.locator("textarea[name=note]").fill("已处理")
    resolve.locator("input[type=file]").set_input_files(str(photo))
    resolve.locator("button[type=submit]").click()
    assert "已完成：处置完成" in clerk.inner_text("main")
    flags = clerk.locator(".photo-group[data-kind=after] .flag").all_inner_texts()
    assert any("1.5 公里，超过 200 米" in flag for flag in flags) and any("早于派遣" in flag for flag in flags), flags

    hq = page_in(browser, DESKTOP)
    log_in(hq, base, "hq")
    hq.goto(f"{base}/portal/tickets?tab=resolved")
    assert "照片存疑" in hq.locator(f"tr:has(a:text-is('{number}'))").inner_text()
    hq.click(f"text={number}")
    alert = hq.inner_text("#evidence-alert")
    assert "拍摄地点距反映位置超过 200 米" in alert and "拍摄时间早于派遣" in alert
    assert "现场照片存疑" in hq.locator("form[data-action=verify]").inner_text()
    hq.screenshot(path=str(SHOTS / "24-desktop-1280-ticket-photo-in-doubt.png"), full_page=True)


def test_an_upload_too_large_is_answered_in_chinese_with_the_note_kept_with_and_without_javascript(
        portal, browser, tmp_path):
    base = f"http://127.0.0.1:{portal.port}"
    number = report_through(portal)
    huge = tmp_path / "huge.jpg"
    huge.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * (35 * 1024 * 1024))   # no browser can shrink this
    for scripts in (True, False):
        clerk = page_in(browser, PHONE, java_script_enabled=scripts)
        log_in(clerk, base, "chen")
        clerk.goto(f"{base}/portal/tickets/{number}")
        if scripts:
            clerk.click("form[data-action=accept] button")
        resolve = clerk.locator("form[data-action=resolve]")
        resolve.locator("textarea[name=note]").fill("摊主已劝离，照片较大")
        resolve.locator("input[type=file]").set_input_files(str(huge))
        resolve.locator("button[type=submit]").click()
        if scripts:   # said before anything is sent
            expect(resolve.locator(".upload-status")).to_contain_text("超过 10 MB，未能上传")
        else:         # the server reads the words, throws the photo away, and shows the page again
            clerk.wait_for_load_state()
            assert "照片太大，未能上传" in clerk.inner_text("main")
        resolve = clerk.locator("form[data-action=resolve]")
        assert resolve.locator("textarea[name=note]").input_value() == "摊主已劝离，照片较大"
        assert "处理中" in clerk.inner_text("h2") and fits_the_screen(clerk)
        clerk.context.close()
