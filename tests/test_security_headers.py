"""Security, point 4: every response of the portal, the public links, the API and the webhook carries the security
headers — a strict Content-Security-Policy (no inline script or style), no framing, no MIME sniffing, no referrer
to other sites — and pages with personal data are never stored. Proved by walking every route of app.url_map,
and in a real browser that reports any breach of the policy."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pyotp
import pytest
from sqlalchemy import select

from bot.app import create_app
from models import Photo
from tests import images
from tests.conftest import make_settings
from tests.support import civicbot, report, signed, ticket_number

NO_STORE_EXEMPT = {"portal.static",     # the stylesheet and script: cacheable, nothing personal
                   "api.openapi",       # the API's document
                   "open311.services_list", "open311.service_definition"}   # the public catalogue
# The 办理公示 pages, the same for everyone: cacheable by anyone when they answer, not stored when they refuse.
PUBLIC = "public."


def policy_of(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_secure_headers(response, where: str) -> None:
    policy = policy_of(response)
    assert policy.get("default-src") == ["'self'"], where
    assert policy.get("script-src") == ["'self'"], where        # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert "'unsafe-inline'" not in policy.get("style-src", []), where
    assert policy.get("frame-ancestors") == ["'none'"] and policy.get("object-src") == ["'none'"], where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where


@pytest.fixture
def everything(app, clerk, resident, sessions):
    """A ticket with an after-photo, and the values every route's address needs."""
    number = ticket_number(report(resident, photo="m-1"))
    chen = clerk("chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    with sessions() as db:
        photo_id = db.scalar(select(Photo.id).where(Photo.kind == "after"))
    token = app.extensions["civicbot"].signer.sign("photo", photo_id)
    return {"number": number, "photo_id": photo_id, "variant": "thumbnail", "token": token, "reporter_id": 1,
            "filename": "portal.css", "username": "chen", "action": "unlock", "token_id": 1,
            "number_id": 1, "service_code": "street_vending", "request_id": number, "open311_token": "x",
            "fmt": "json"}


def every_route(app, values: dict):
    """(method, path, endpoint) for every rule and method of the app; a rule whose address needs a value the test
    does not know fails here, so a new route cannot slip past."""
    for rule in app.url_map.iter_rules():
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: the test needs a sample value for {missing}"
        path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint


def test_every_route_answers_with_the_security_headers_and_personal_pages_are_not_stored(app, clerk, everything):
    hq = clerk("hq")
    anonymous = app.test_client()
    walked = 0
    for method, path, endpoint in every_route(app, everything):
        for who, client in (("hq", hq.client), ("anonymous", anonymous)):
            response = client.open(path, method=method)
            where = f"{who} {method} {path} → {response.status_code}"
            assert_secure_headers(response, where)
            if endpoint.startswith(PUBLIC) and response.status_code < 400:
                assert response.headers["Cache-Control"].startswith("public, max-age="), where
                assert "Set-Cookie" not in response.headers, where
            elif endpoint not in NO_STORE_EXEMPT:
                assert response.headers.get("Cache-Control") == "no-store", where
            walked += 1
    assert walked > 40


def test_the_webhook_and_a_departments_api_call_carry_them_too(app, resident):
    wechat = app.extensions["civicbot"].settings.wechat
    client = app.test_client()
    assert_secure_headers(client.get(wechat.webhook_path, query_string={**signed(), "echostr": "x"}), "webhook")
    answer = client.post(wechat.webhook_path, query_string=signed(), data=b"<xml>", content_type="text/xml")
    assert_secure_headers(answer, "webhook refusal")
    api = client.get("/api/v1/tickets")
    assert_secure_headers(api, "api")
    assert api.headers["Cache-Control"] == "no-store"


class InlineCode(HTMLParser):
    """Finds what a strict policy would block: inline scripts, event handler and style attributes, <style>
    without the response's nonce."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce, self.found = nonce, []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style" and (not self.nonce or names.get("nonce") != self.nonce):
            self.found.append("<style> without the nonce")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]


def test_no_page_has_inline_script_or_style_the_policy_would_block(app, clerk, everything):
    hq, boss = clerk("hq"), clerk("boss")
    pages = ["/portal/login", "/portal/tickets?tab=all", f"/portal/tickets/{everything['number']}", "/portal/scores",
             "/portal/no-such-page", "/portal/accounts", "/portal/accounts/chen", "/portal/security", "/public/",
             f"/public/cases/{everything['number']}", "/public/no-such-page"]
    for person in (hq, boss):
        for path in pages:
            response = person.page(path)
            nonces = re.findall(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
            parser = InlineCode(nonces[0] if nonces else None)
            parser.feed(response.get_data(as_text=True))
            assert parser.found == [], (person.username, path, parser.found[:5])
    # The scoreboard's charts keep their style through the nonce; other pages get none in their policy.
    scores = hq.page("/portal/scores")
    assert "'nonce-" in scores.headers["Content-Security-Policy"] and "<svg" in scores.get_data(as_text=True)
    assert "'nonce-" not in hq.page("/portal/tickets").headers["Content-Security-Policy"]


def test_more_image_hosts_can_be_allowed_for_a_map(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, server={"img_sources": ["https://tiles.example.cn"]}))
    img = policy_of(app.test_client().get("/portal/login"))["img-src"]
    assert img == ["'self'", "data:", "blob:", "https://tiles.example.cn"]


def test_the_maps_tile_hosts_are_let_in_by_themselves(tmp_path, database):
    tianditu = ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY")
    app = create_app(make_settings(tmp_path, database, map={"tile_url": tianditu, "tile_subdomains": "012"}))
    img = policy_of(app.test_client().get("/portal/login"))["img-src"]
    assert img[3:] == ["https://t0.tianditu.gov.cn", "https://t1.tianditu.gov.cn", "https://t2.tianditu.gov.cn"]


@pytest.mark.slow
def test_in_a_real_browser_the_portal_breaks_no_rule_of_its_policy_and_its_script_still_works(served_bot):
    """Chromium reports every resource the policy blocks; the queue's 全选本页 (now a static script) still counts."""
    browsing = pytest.importorskip("tests.test_browser")   # skips, as it does, where Chromium is missing
    from playwright.sync_api import sync_playwright

    assert civicbot(served_bot.config, "staff", "add", "hq", "--department", "hq", "--role", "admin",
                    "--password", browsing.PASSWORD).exit_code == 0
    browsing.report_to_triage(served_bot, "o-csp-first")
    browsing.report_to_triage(served_bot, "o-csp-second")
    base = f"http://127.0.0.1:{served_bot.port}"
    blocked: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browsing.CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        page = chromium.new_page()
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        # A new HQ admin is held on 账号安全 until TOTP is enrolled: its QR code (a data: image) breaks no rule either.
        page.goto(f"{base}/portal/login")
        page.fill("input[name=username]", "hq")
        page.fill("input[name=password]", browsing.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/portal/security")
        assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 0
        page.fill("input[name=code]", pyotp.TOTP(page.inner_text("code.secret").strip()).now())
        page.click("button:text('确认开启')")
        page.wait_for_url("**/portal/tickets**")
        page.goto(f"{base}/portal/tickets?tab=triage")
        page.check("#select-all")
        assert page.inner_text("#picked") == "2"
        page.goto(f"{base}/portal/scores")
        assert page.locator("figure.chart svg").count() >= 2
        page.goto(f"{base}/portal/no-such-page")
        assert "未找到页面" in page.content()
        chromium.close()
    assert blocked == []
