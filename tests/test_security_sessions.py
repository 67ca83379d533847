"""Security, point 1: portal sessions are kept on the server (the database, or Redis with `make test-scale`). The
cookie holds only a random id; logout and a password change end sessions; idle and absolute expiry; a new id at
login; Secure behind HTTPS."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.cases.accounts import COMMAND_LINE, do_reset_password, managed_account
from bot.infra.db import transaction
from bot.tasks import JobQueue
from bot.web.sessions import VISITOR_COOKIE
from models import SharedState, utcnow
from tests.conftest import REDIS_URL, fresh_redis_url, make_settings
from tests.support import PASSWORD, Clerk, add_staff, civicbot, config_file, logged_in

STORES = ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="Redis sessions are tested by make test-scale (CIVICBOT_TEST_REDIS_URL)"))]
COOKIE = "civicbot_session"


@pytest.fixture(params=STORES)
def portal_app(request, tmp_path, database):
    store = {"session_store": request.param}
    if request.param == "redis":
        store["redis_url"] = fresh_redis_url()
    app = create_app(make_settings(tmp_path, database, portal=store))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"), ("boss", "urban_mgmt", "admin"))
    return app


def cookie_of(response) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(COOKIE + "="))


def session_id(client) -> str:
    return client.get_cookie(COOKIE).value


def can_see_the_queue(person: Clerk) -> bool:
    return person.client.get("/portal/tickets").status_code == 200


def test_the_cookie_holds_only_a_random_id_httponly_samesite_and_not_secure_over_http(portal_app):
    response = Clerk(portal_app, "chen").login()
    header = cookie_of(response)
    value = header.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Expires" in header and "Secure" not in header
    decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert len(decoded) == 32 and b"staff_id" not in decoded and b"password" not in decoded
    assert "." not in value   # not itsdangerous' signed payload: nothing but the id


def test_the_store_keeps_only_a_hash_of_the_id(app, accounts, sessions):
    chen = logged_in(app, "chen")
    with sessions() as db:
        keys = list(db.scalars(select(SharedState.key).where(SharedState.key.startswith("session:"))))
    assert keys and session_id(chen.client) not in "".join(keys)


def test_logout_ends_the_session_on_the_server(portal_app):
    chen = logged_in(portal_app, "chen")
    stolen = session_id(chen.client)
    token = chen.csrf("/portal/tickets")
    assert chen.client.post("/portal/logout", data={"csrf_token": token}).status_code == 302
    replay = portal_app.test_client()
    replay.set_cookie(COOKIE, stolen)
    answer = replay.get("/portal/tickets")
    assert answer.status_code == 302 and "/portal/login" in answer.location


def test_a_password_change_ends_every_session_of_that_account_and_no_other(portal_app):
    phone, desktop, boss = logged_in(portal_app, "chen"), logged_in(portal_app, "chen"), logged_in(portal_app, "boss")
    assert can_see_the_queue(phone) and can_see_the_queue(desktop)
    with transaction(portal_app.extensions["civicbot"].sessions) as db:
        do_reset_password(COMMAND_LINE, managed_account(COMMAND_LINE, "chen", session=db), utcnow(), session=db,
                          password="a brand new password")
    assert not can_see_the_queue(phone) and not can_see_the_queue(desktop)
    assert can_see_the_queue(boss)
    assert Clerk(portal_app, "chen").login("a brand new password").status_code == 302


def test_the_staff_passwd_command_ends_the_sessions_too(app, accounts, settings, tmp_path):
    chen = logged_in(app, "chen")
    changed = civicbot(config_file(tmp_path / "c.toml", settings), "staff", "passwd", "chen",
                       "--password", "another long password")
    assert changed.exit_code == 0, changed.output
    assert not can_see_the_queue(chen)


def test_the_session_id_changes_at_login_so_a_planted_id_is_worthless(portal_app):
    victim = Clerk(portal_app, "chen")
    planted = "planted-by-someone-else-0123456789abcdef"
    victim.client.set_cookie(COOKIE, planted)
    victim.client.get("/portal/login")
    assert victim.login().status_code == 302
    assert session_id(victim.client) != planted
    attacker = Clerk(portal_app, "mallory")
    attacker.client.set_cookie(COOKIE, planted)
    assert not can_see_the_queue(attacker)


class Clock:
    """The sessions' clock, moved by the test."""

    def __init__(self, monkeypatch):
        self.now = utcnow()
        monkeypatch.setattr("bot.web.sessions.utcnow", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def test_a_session_ends_after_the_idle_timeout(portal_app, monkeypatch):
    clock = Clock(monkeypatch)
    chen = logged_in(portal_app, "chen")          # idle_minutes = 30 by default
    clock.advance(minutes=29)
    assert can_see_the_queue(chen)          # within the idle time: the session goes on, and is touched
    clock.advance(minutes=29)
    assert can_see_the_queue(chen)
    clock.advance(minutes=31)
    assert not can_see_the_queue(chen)


def test_a_busy_session_still_ends_at_its_absolute_lifetime(portal_app, monkeypatch):
    clock = Clock(monkeypatch)
    chen = logged_in(portal_app, "chen")          # session_hours = 8 by default
    for _ in range(7 * 3):                         # a request every 20 minutes for 7 hours
        clock.advance(minutes=20)
        assert can_see_the_queue(chen)
    clock.advance(minutes=61)
    assert not can_see_the_queue(chen)


def test_idle_and_lifetime_come_from_the_settings(tmp_path, database, monkeypatch):
    app = create_app(make_settings(tmp_path, database, portal={"idle_minutes": 5, "session_hours": 1}))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"))
    clock = Clock(monkeypatch)
    chen = logged_in(app, "chen")
    clock.advance(minutes=6)
    assert not can_see_the_queue(chen)


def test_the_cookie_is_secure_when_served_over_https(tmp_path, database):
    configured = create_app(make_settings(tmp_path, database, server={"public_url": "https://gd.example.cn"}))
    add_staff(configured.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"))
    assert "Secure" in cookie_of(Clerk(configured, "chen").login())


@pytest.mark.parametrize(("hops", "secure"), [(1, True), (0, False)])
def test_behind_a_trusted_https_proxy_the_cookie_is_secure(tmp_path, database, hops, secure):
    app = create_app(make_settings(tmp_path, database, server={"trusted_proxies": hops}))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"))
    client = app.test_client()
    # The browser's Referer (Flask-WTF checks it over HTTPS) as nginx passes it on.
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7",
               "Referer": "https://localhost/portal/login"}
    page = client.get("/portal/login", headers=proxied).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/portal/login", headers=proxied,
                           data={"username": "chen", "password": "correct horse battery", "csrf_token": token})
    # Not trusted: a client's own X-Forwarded-Proto says nothing; the login works either way.
    assert response.status_code == 302 and ("Secure" in cookie_of(response)) == secure


def stored_sessions(app) -> int:
    with app.extensions["civicbot"].sessions() as db:
        return len(list(db.scalars(select(SharedState.key).where(SharedState.key.startswith("session:")))))


def test_a_visitor_who_is_not_logged_in_writes_no_session_to_the_store(app, accounts):
    visitor = Clerk(app, "chen")
    for path in ("/portal/login", "/portal/no-such-page", "/portal/tickets", "/portal/login?next=/portal/map"):
        visitor.client.get(path)
    refused = visitor.login(password="wrong password")
    assert refused.status_code == 200 and "账号或密码" in refused.get_data(as_text=True)
    assert stored_sessions(app) == 0 and visitor.client.get_cookie(COOKIE) is None
    # The login form's token lives in a signed cookie of the visitor's own, HttpOnly and SameSite.
    cookie = visitor.client.get_cookie(VISITOR_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert visitor.login().status_code == 302       # the token from that cookie is accepted
    assert stored_sessions(app) == 1 and visitor.client.get_cookie(VISITOR_COOKIE) is None
    assert can_see_the_queue(visitor)


def test_a_forged_visitor_cookie_carries_no_token(app, accounts):
    visitor = Clerk(app, "chen")
    token = visitor.csrf("/portal/login")
    value = visitor.client.get_cookie(VISITOR_COOKIE).value
    visitor.client.set_cookie(VISITOR_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    forged = visitor.client.post("/portal/login", data={"username": "chen", "password": PASSWORD, "csrf_token": token})
    assert forged.status_code == 400 and "登录页面已过期" in forged.get_data(as_text=True)
    assert stored_sessions(app) == 0


def test_the_job_worker_sweeps_ended_sessions_from_the_database(app, accounts, settings, sessions):
    logged_in(app, "chen")
    with transaction(sessions) as db:
        db.add(SharedState(key="session:ended", value="{}", expires_at=utcnow() - timedelta(minutes=1)))
    assert JobQueue(settings).sweep_shared_state() == 1
    with sessions() as db:
        keys = list(db.scalars(select(SharedState.key)))
    assert "session:ended" not in keys and any(key.startswith("session:") for key in keys)
