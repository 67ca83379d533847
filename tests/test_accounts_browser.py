"""Two-factor authentication and 账号管理 in headless Chromium, on a phone (360 px) and a desktop: a clerk enrols
TOTP by the page's secret (pyotp stands in for the phone's authenticator app), logs out, and logs in with the
password and a code; an admin's account pages fit the screen. Screenshots 30–33 go to var/screenshots/."""
from __future__ import annotations

import os
import re
import time

import pyotp
import pytest

from tests.conftest import BROWSER_PASSWORD as PASSWORD
from tests.conftest import CHROMIUM, SHOTS
from tests.test_browser import fits_the_screen, log_in

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (make test installs it when run as root)",
                allow_module_level=True)

pytestmark = pytest.mark.slow   # headless Chromium against `civicbot serve`


PHONE = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("device, name", [(PHONE, "phone-360"), (DESKTOP, "desktop-1280")])
def test_a_clerk_enrols_totp_and_logs_in_with_a_code(portal, browser, device, name):
    base = f"http://127.0.0.1:{portal.port}"
    page = browser.new_context(**device).new_page()
    log_in(page, base, "chen")
    page.click("header a:text('账号安全')")
    assert page.locator("img.qr").is_visible() and fits_the_screen(page), name
    page.screenshot(path=str(SHOTS / f"30-{name}-totp-enrol.png"), full_page=True)
    app = pyotp.TOTP(page.locator("code.secret").inner_text().strip())   # what the phone's app would hold
    page.fill("input[name=code]", app.now())
    page.click("button:text('确认开启')")
    assert "两步验证已开启" in page.locator("main").inner_text()

    page.click("header button:text('退出')")
    page.fill("input[name=username]", "chen")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/login/code$"))
    assert fits_the_screen(page), name
    page.screenshot(path=str(SHOTS / f"31-{name}-totp-code.png"), full_page=True)
    page.fill("input[name=code]", app.now())   # the code just used to enrol: refused, it cannot be used twice
    page.click("button[type=submit]")
    assert "验证码不正确或已使用过" in page.locator("main").inner_text()
    page.fill("input[name=code]", app.at(time.time() + 30))   # the next one, as a phone a little ahead shows it
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/tickets.*"))
    assert "账号管理" not in page.locator("header").inner_text()   # a clerk manages nobody
    page.context.close()


@pytest.mark.parametrize("device, name", [(PHONE, "phone-360"), (DESKTOP, "desktop-1280")])
def test_an_admins_account_pages_fit_the_screen_and_reset_a_password(portal, browser, device, name):
    base = f"http://127.0.0.1:{portal.port}"
    page = browser.new_context(**device).new_page()
    log_in(page, base, "boss")
    page.click("header a:text('账号管理')")
    assert fits_the_screen(page), name
    listed = page.locator("table.accounts td.name").all_inner_texts()
    assert sorted(listed) == ["boss", "chen"]     # 城管's own accounts, not 水务's liu nor HQ's
    page.screenshot(path=str(SHOTS / f"32-{name}-accounts.png"), full_page=True)
    page.click("table.accounts a:text('chen')")
    page.click("button:text('重置密码')")
    shown = page.locator(".shown-once").inner_text().strip()
    assert len(shown) >= 16 and fits_the_screen(page), name
    page.screenshot(path=str(SHOTS / f"33-{name}-account.png"), full_page=True)
    page.context.close()
