"""The number registry in a real browser, on a phone: a flyer photographed by a resident is read by the running
bot's job worker, and 区城市管理局 sees its number, sets its status and opens the ticket that carries it."""
from __future__ import annotations

import time

import pytest

from bot.config import WeChatSettings
from bot.photos import ocr
from bot.simulator.chat import ChatSimulator
from bot.simulator.fake_wechat_api import FakeWeChat
from tests import images
from tests.conftest import HUATA_VILLAGE
from tests.support import TOKEN, report, ticket_number
from tests.test_browser import SHOTS, fits_the_screen, log_in

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ocr.ocr_available(ocr.OcrSettings()), reason="the ocr extra is not installed")]


def test_a_flyers_number_reaches_the_registry_on_a_phone(portal, browser):
    api = FakeWeChat(app_id=None, port=portal.api_port)   # WeChat's API, from which the job worker fetches
    try:
        api.add_media("m-flyer", images.jpeg(images.flyer(["专业办证 刻章", "电话：159-3510-1234", "微信同号"])))
        resident = ChatSimulator(portal.url, WeChatSettings(token=TOKEN), openid="o-flyer-resident")
        number = ticket_number(report(resident, "电线杆上贴满了办证的小广告", at=HUATA_VILLAGE,
                                      label="晋源区晋祠镇花塔村", photo="m-flyer"))
        base = f"http://127.0.0.1:{portal.port}"
        phone = browser.new_page(viewport={"width": 375, "height": 740})
        log_in(phone, base, "chen")
        deadline = time.monotonic() + 60
        while "159 3510 1234" not in phone.inner_text("main"):   # the photo job reads it within seconds
            assert time.monotonic() < deadline, "the flyer's number never reached the registry"
            time.sleep(1)
            phone.goto(f"{base}/portal/numbers")
        assert number in phone.inner_text("main") and fits_the_screen(phone)
        phone.select_option("td form select[name$=-status]", "warned")
        phone.fill("td form input[name$=-note]", "已电话警告，承诺自行清除")
        phone.click("td form button[type=submit]")
        assert "→ 已警告" in phone.inner_text(".flash")
        assert phone.locator("td form select[name$=-status]").input_value() == "warned"
        phone.screenshot(path=str(SHOTS / "20-number-registry-phone.png"), full_page=True)
        phone.click(f"text={number}")
        assert "159 3510 1234" in phone.inner_text("main") and fits_the_screen(phone)
        phone.screenshot(path=str(SHOTS / "21-ticket-numbers-phone.png"), full_page=True)
    finally:
        api.close()
