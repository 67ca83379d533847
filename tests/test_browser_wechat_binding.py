"""Binding a WeChat from the portal on a phone, against `civicbot serve`, in headless Chromium."""
from __future__ import annotations

import re

import pytest

from bot.config import WeChatSettings
from bot.simulator.chat import ChatSimulator
from tests.support import TOKEN
from tests.test_browser import SHOTS, fits_the_screen, log_in

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("width", [390, 1280])
def test_a_clerk_binds_their_wechat_from_the_header_on_a_phone_and_a_desktop(portal, browser, width):
    base = f"http://127.0.0.1:{portal.port}"
    page = browser.new_page(viewport={"width": width, "height": 844}, is_mobile=width < 600, has_touch=width < 600)
    log_in(page, base, "chen")
    page.click("header >> text=绑定微信")
    page.click("button:has-text('获取绑定码')")
    code = re.search(r"绑定 (\d{6})", page.inner_text(".bind-code")).group(1)
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / f"wechat-binding-{width}.png"), full_page=True)
    phone = ChatSimulator(portal.url, WeChatSettings(token=TOKEN), openid=f"o-browser-chen-{width}")
    assert "绑定成功" in phone.text(f"绑定 {code}")
    page.reload()
    assert "本账号已绑定微信" in page.inner_text("main")
    page.click("button:has-text('解除绑定')")
    assert "已解除微信绑定" in page.inner_text("main")
    assert "这是工作人员指令" in phone.text("我的待办")
