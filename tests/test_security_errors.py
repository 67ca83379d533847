"""Security, point 5: every error a person can reach is a Chinese page in the portal's layout with a way back, the
API answers JSON with a Chinese message, the webhook keeps WeChat's protocol, a refused form keeps what was typed,
and no address — however wild its parameters — makes the server fail (a walk over every GET route)."""
from __future__ import annotations

import re
import time

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from models import TicketStatus
from tests.support import CSRF, PASSWORD, Clerk, logged_in, signed, status_of
from tests.test_portal import ticket_at
from tests.test_security_headers import every_route

LAYOUT = "晋源区文明城市工单系统"
ENGLISH = re.compile(r"Not Found|Forbidden|Method Not Allowed|Bad Request|Internal Server Error|CSRF|Too Many|"
                     r"Request Entity|Payload Too Large|Unauthorized|The requested URL")


def assert_chinese_page(response, code: int, title: str) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == code, page[:300]
    assert response.mimetype == "text/html" and LAYOUT in page and f"<h2>{title}</h2>" in page, page[:500]
    assert not ENGLISH.search(page), ENGLISH.search(page)
    return page


def test_every_error_page_a_clerk_can_reach_is_chinese_in_the_layout_with_a_way_back(app, clerk, vending_ticket,
                                                                                         monkeypatch):
    chen, liu = clerk("chen"), clerk("liu")
    page = assert_chinese_page(chen.page("/portal/no-such-page"), 404, "未找到页面")
    assert 'href="/portal/tickets"' in page and "返回工单列表" in page
    # A ticket handed to another department: the same 404, saying it may have moved on.
    page = assert_chinese_page(liu.page(f"/portal/tickets/{vending_ticket}"), 404, "未找到页面")
    assert "已转交其他单位" in page
    assert "返回上一页" in assert_chinese_page(
        chen.client.get("/portal/scores", headers={"Referer": "http://localhost/portal/tickets?tab=all"}),
        403, "无权访问")
    assert_chinese_page(chen.page("/portal/logout"), 405, "操作方式不正确")
    assert_chinese_page(chen.client.post("/portal/tickets/bulk", data={"numbers": ["x"]}), 400, "请求无效")
    big = chen.client.post("/portal/login", data={"x": "y" * (2 * 1024 * 1024)})
    assert_chinese_page(big, 413, "上传内容过大")

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr("bot.web.portal.views.ticket_query", broken)
    page = assert_chinese_page(chen.page("/portal/tickets"), 500, "系统出错了")
    assert "a bug" not in page and "Traceback" not in page


def test_a_nul_character_in_an_address_or_a_form_is_a_chinese_400_on_every_database(clerk, vending_ticket):
    """PostgreSQL refuses text holding NUL; the request is refused before any query, on SQLite too."""
    hq = clerk("hq")
    listed = hq.page("/portal/tickets?number=%00")
    assert listed.status_code == 400 and "无效字符" in listed.get_data(as_text=True)
    assert "无效字符" in hq.page("/portal/tickets/JY%00").get_data(as_text=True)
    noted = hq.act(vending_ticket, "note", note="现场\x00核实")
    assert noted.status_code == 400 and "无效字符" in noted.get_data(as_text=True)


def test_a_visitor_and_a_resident_get_chinese_pages_too(app):
    visitor = app.test_client()
    assert "前往登录" in assert_chinese_page(visitor.get("/portal/nothing"), 404, "未找到页面")
    page = assert_chinese_page(visitor.get("/r/photo/forged-token/display"), 404, "未找到页面")
    assert "请返回微信" in page


def test_a_login_refused_for_too_many_tries_is_a_chinese_429(app, accounts):
    guesser = Clerk(app, "nobody")
    answers = [guesser.login("guess") for _ in range(12)]
    assert answers[-1].status_code == 429 and "登录尝试过于频繁" in answers[-1].get_data(as_text=True)
    assert not ENGLISH.search(answers[-1].get_data(as_text=True))


def test_the_api_answers_json_errors_in_chinese(app):
    client = app.test_client()
    for path, code in [("/api/v1/tickets", 401), ("/api/v1/nothing", 404), ("/api/v1/photos/1/display", 401)]:
        response = client.get(path)
        assert response.status_code == code and response.is_json, path
        assert re.search(r"[\u4e00-\u9fff]", response.json["message"]) and response.json["error"] == code


def test_the_api_refuses_a_bad_limit_or_status_with_400_in_chinese(app, sessions):
    from bot.infra.db import transaction
    from bot.web.api import do_issue_token
    with transaction(sessions) as db:
        token = do_issue_token("urban_mgmt", session=db)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for query in ("limit=abc", "limit=-5", "limit=0", "limit=99999999999999999999", "limit=501", "status=nope"):
        response = client.get(f"/api/v1/tickets?{query}", headers=auth)
        assert response.status_code == 400 and "参数" in response.json["message"], query
    assert client.get("/api/v1/tickets?limit=500", headers=auth).status_code == 200


def test_the_webhook_still_answers_wechat_in_its_own_protocol(app):
    path = app.extensions["civicbot"].settings.wechat.webhook_path
    refused = app.test_client().get(path, query_string={"signature": "forged", "timestamp": "1", "nonce": "2"})
    assert refused.status_code == 403 and refused.mimetype == "text/plain" and "<html" not in refused.text
    assert app.test_client().get(path, query_string={**signed(), "echostr": "hello"}).text == "hello"


def sit_open(monkeypatch, seconds: int) -> None:
    """The page sits open for `seconds`: the clock the forms' CSRF tokens are signed and checked by (itsdangerous)
    moves on at once, for the rest of the test, instead of the test waiting."""
    from itsdangerous.timed import TimestampSigner
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: int(time.time()) + seconds)


def test_a_ticket_form_that_sat_open_too_long_comes_back_with_the_note_kept(app, clerk, sessions, vending_ticket,
                                                                             monkeypatch):
    chen = clerk("chen")
    chen.act(vending_ticket, "accept")
    page = chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    app.config["WTF_CSRF_TIME_LIMIT"] = 1    # the page sits open past the token's lifetime
    sit_open(monkeypatch, seconds=2)
    note = "现场已清理完毕，摊主已劝离，次日复查无反弹"
    refused = chen.client.post(f"/portal/tickets/{vending_ticket}/act", data={
        "action": "note", "note": note, "csrf_token": token}, follow_redirects=True)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "表单已过期" in text and f">{note}</textarea>" in text
    assert "The CSRF token" not in text
    # The form on that page works: the note is filed with one more click.
    again = chen.client.post(f"/portal/tickets/{vending_ticket}/act", data={
        "action": "note", "note": note, "csrf_token": CSRF.search(text).group(1)}, follow_redirects=True)
    assert "已完成" in again.get_data(as_text=True)
    assert status_of(sessions, vending_ticket) == TicketStatus.IN_PROGRESS


def test_when_the_session_ended_meanwhile_the_note_waits_through_a_new_login(app, accounts, vending_ticket):
    chen = logged_in(app, "chen")
    page = chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    chen.client.post("/portal/logout", data={"csrf_token": token})     # or idle for too long
    note = "已联系摊主，约定今天下午撤离"
    refused = chen.client.post(f"/portal/tickets/{vending_ticket}/act",
                               data={"action": "accept", "note": note, "csrf_token": token})
    assert refused.status_code == 302 and "/portal/login" in refused.location
    login_page = chen.client.get(refused.location).get_data(as_text=True)
    assert "表单已过期" in login_page
    back = chen.client.post("/portal/login", data={"username": "chen", "password": PASSWORD, "next": (
        f"/portal/tickets/{vending_ticket}"), "csrf_token": CSRF.search(login_page).group(1)})
    assert back.status_code == 302 and back.location.endswith(f"/portal/tickets/{vending_ticket}")
    assert f">{note}</textarea>" in chen.page(back.location).get_data(as_text=True)


def test_a_ticket_form_made_up_by_another_site_is_not_given_back(app, clerk, sessions, vending_ticket):
    chen, other = clerk("chen"), clerk("chen")   # other: a session of someone else's, whose old token is sent
    chen.act(vending_ticket, "accept")
    token = CSRF.search(other.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)).group(1)
    note = "已办结，无需核查"
    forged = chen.client.post(f"/portal/tickets/{vending_ticket}/act", data={
        "action": "resolve", "note": note, "csrf_token": token})
    assert_chinese_page(forged, 400, "请求无效")
    assert note not in chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    assert status_of(sessions, vending_ticket) == TicketStatus.IN_PROGRESS


TICKED = re.compile(r'<input type="checkbox" form="bulk" name="numbers" value="([^"]+)"[^>]*\bchecked>')


def chosen(page: str, name: str) -> str:
    """The option the page has selected in the bulk bar's menu `name`."""
    menu = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    selected = re.search(r'<option selected value="([^"]*)"', menu)
    return selected.group(1) if selected else ""


def test_a_bulk_form_that_sat_open_too_long_comes_back_with_the_ticks_and_choices_kept(app, clerk, sessions,
                                                                                       monkeypatch):
    first = ticket_at(sessions, "JY-20260306-0001", TicketStatus.REGISTERED, lead="hq", triage=True)
    second = ticket_at(sessions, "JY-20260306-0002", TicketStatus.REGISTERED, lead="hq", triage=True)
    third = ticket_at(sessions, "JY-20260306-0003", TicketStatus.REGISTERED, lead="hq", triage=True)
    hq = clerk("hq")
    back = "/portal/tickets?tab=triage&sort=deadline"
    token = CSRF.search(hq.page(back).get_data(as_text=True)).group(1)
    app.config["WTF_CSRF_TIME_LIMIT"] = 1    # the list sits open past the token's lifetime
    sit_open(monkeypatch, seconds=2)
    refused = hq.client.post("/portal/tickets/bulk", data={
        "action": "dispatch", "numbers": [first, third], "department": "water_affairs", "next": back,
        "csrf_token": token}, follow_redirects=True)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "表单已过期" in page
    assert refused.request.path == "/portal/tickets" and "tab=triage" in refused.request.url   # the same list
    assert set(TICKED.findall(page)) == {first, third}
    assert chosen(page, "action") == "dispatch" and chosen(page, "department") == "water_affairs"
    assert status_of(sessions, first) == TicketStatus.REGISTERED
    # The page's form works: one more click dispatches them, and the next visit ticks nothing.
    again = hq.client.post("/portal/tickets/bulk", data={
        "action": "dispatch", "numbers": TICKED.findall(page), "department": "water_affairs", "next": back,
        "csrf_token": CSRF.search(page).group(1)}, follow_redirects=True)
    assert "成功 2 张" in again.get_data(as_text=True)
    assert status_of(sessions, third) == TicketStatus.DISPATCHED
    assert status_of(sessions, second) == TicketStatus.REGISTERED
    assert TICKED.findall(hq.page(back).get_data(as_text=True)) == []


def test_a_bulk_request_made_up_by_another_site_ticks_nothing(app, accounts, sessions, monkeypatch):
    number = ticket_at(sessions, "JY-20260306-0004", TicketStatus.REGISTERED, lead="hq", triage=True)
    attacker, hq = logged_in(app, "hq"), logged_in(app, "hq")   # a token of the attacker's own session, long expired
    token = CSRF.search(attacker.page("/portal/tickets").get_data(as_text=True)).group(1)
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    sit_open(monkeypatch, seconds=2)
    forged = hq.client.post("/portal/tickets/bulk", data={
        "action": "dispatch", "numbers": [number], "department": "water_affairs", "next": "/portal/tickets?tab=triage",
        "csrf_token": token})
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert_chinese_page(forged, 400, "请求无效")
    page = hq.page("/portal/tickets?tab=triage").get_data(as_text=True)
    assert TICKED.findall(page) == [] and chosen(page, "department") == ""
    assert status_of(sessions, number) == TicketStatus.REGISTERED


def test_a_login_page_that_sat_open_too_long_keeps_the_username(app, accounts):
    client = app.test_client()
    client.get("/portal/login")
    answer = client.post("/portal/login", data={"username": "chen", "password": PASSWORD, "csrf_token": "stale"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "登录页面已过期" in page and 'value="chen"' in page


# Every GET route with wild parameters ----------------------------------------------------------------------------

WILD = ["99999999999999999999", "-1", "0", "abc", "", "\x00", "9" * 5000, "2026-02-30", "9999-12-31",
        "0001-01-01", "１２", "%", "../../etc/passwd", "<script>", "null", "1e308", "NaN"]
SHARPEST = ["99999999999999999999", "-1", "abc", "9999-12-31", "\x00"]
PARAMETERS = ["page", "from", "to", "limit", "status", "tab", "sort", "q", "number", "next", "category", "town",
              "echostr", "timestamp", "nonce", "signature", "cursor", "since"]
PATH_VALUES = {"number": ["JY-99999999-9999", "X" * 300, "%00"], "photo_id": ["99999999999999999999", "0"],
               "variant": ["nope"], "token": ["x", "a.b.c"], "reporter_id": ["99999999999999999999"],
               "filename": ["nope.css", "../app.py"], "request_id": ["JY-99999999-9999", "X" * 300, "%00"],
               "service_code": ["nope", "X" * 300], "open311_token": ["a.b.c", "%00"]}


@pytest.fixture
def walk_values(app, vending_ticket):
    return {"number": vending_ticket, "photo_id": 1, "variant": "display", "token": "x", "reporter_id": 1,
            "number_id": 1, "filename": "portal.css", "username": "chen", "action": "unlock", "token_id": 1,
            "service_code": "street_vending", "request_id": vending_ticket, "open311_token": "x", "fmt": "json"}


@pytest.mark.slow   # about 15 s: 900 requests, the scoreboard's and the 通报's among them
@pytest.mark.timeout(300)
def test_no_get_route_fails_whatever_its_parameters(app, clerk, walk_values, monkeypatch):
    """Every GET route, first with every parameter at once set to each wild value, then each parameter it reads
    alone with the values most likely to break a parser; and each part of the address replaced by a wild one."""
    from functools import partial

    import bot.bulletin.publish
    # The 通报's PDF takes LibreOffice seconds; its parameters are read before, and the DOCX is still made.
    monkeypatch.setattr(bot.bulletin.publish, "write_bulletin", partial(bot.bulletin.publish.write_bulletin, pdf=False))
    monkeypatch.setattr(app, "request_class", ReadingRequest)
    hq = clerk("hq")
    tried = 0
    from bot.infra.db import transaction
    from bot.web.api import do_issue_token
    with transaction(app.extensions["civicbot"].sessions) as db:   # the API's routes with HQ's token, not a 401
        api_auth = {"Authorization": f"Bearer {do_issue_token('hq', session=db)}"}

    def check(target: str, query: dict) -> None:
        nonlocal tried
        response = hq.client.get(target, query_string=query, headers=api_auth if target.startswith("/api/") else {})
        where = f"{target[:80]} {str(query)[:80]} → {response.status_code}"
        assert response.status_code < 500, where
        if response.status_code >= 400 and response.mimetype == "text/html":
            assert re.search(r"[\u4e00-\u9fff]", response.get_data(as_text=True)), where
        tried += 1

    routes = [path for method, path, _endpoint in every_route(app, walk_values) if method == "GET"]
    read_anywhere: set[str] = set()
    for path in routes:
        READ.clear()
        check(path, {})
        for value in WILD:
            check(path, dict.fromkeys(PARAMETERS, value))
        # A parameter the route never looked at, alone, is the plain address again (tried above); one it reads, or
        # all when it read the query as a whole, is tried alone with each sharpest value.
        alone = PARAMETERS if WHOLE_QUERY in READ else sorted(READ)
        read_anywhere |= READ - {WHOLE_QUERY}
        for name in alone:
            for value in SHARPEST:
                check(path, {name: value})
    # The reading is seen (else the loop above tried nothing alone): the ticket list's filters, the API's.
    assert {"page", "from", "to", "tab", "sort", "q", "category", "town", "limit", "status", "next"} <= read_anywhere
    for name, values in PATH_VALUES.items():
        for path in routes:
            if name in _arguments(app, path):
                for value in values:
                    check(path.replace(f"/{walk_values[name]}", f"/{value}", 1), {})
    assert tried > 500


WHOLE_QUERY = "*"
READ: set[str] = set()   # the query parameters the app looked at by name since the last clear()


class ReadingArguments(ImmutableMultiDict):
    """request.args that note which parameters the app reads by name (WHOLE_QUERY: it went through their names).

    Reads without names — values() (the NUL guard's), the raw query string, request.url — are not noted: whatever
    they do with a value, the requests with every parameter at once set to each wild value have shown them."""

    def __getitem__(self, key):   # get() comes here too
        READ.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        READ.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)

    def _whole(self, method: str, *args):
        READ.add(WHOLE_QUERY)
        return getattr(super(), method)(*args)

    def __iter__(self):
        return self._whole("__iter__")

    def keys(self):
        return self._whole("keys")

    def items(self, multi=False):
        return self._whole("items", multi)

    def lists(self):
        return self._whole("lists")

    def to_dict(self, flat=True):
        return self._whole("to_dict", flat)


class ReadingRequest(Request):
    parameter_storage_class = ReadingArguments


def _arguments(app, path: str) -> set[str]:
    adapter = app.url_map.bind("localhost")
    try:
        return set(adapter.match(path, method="GET")[1])
    except Exception:
        return set()


def test_a_page_number_too_large_for_the_database_is_no_error(clerk, vending_ticket):
    page = clerk("chen").page("/portal/tickets?page=99999999999999999999")
    assert page.status_code == 200 and "本页没有工单" in page.get_data(as_text=True)
