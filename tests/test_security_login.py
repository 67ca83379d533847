"""Security, point 2: a login that cannot be turned against users. Guesses are slowed down per client address and per
account in storage every worker shares; the owner of an account under attack still logs in from a clean address
after a short, captcha-free wait; an unknown username gets the same answer, in about the same time, as a wrong
password; the waits are said in Chinese."""
from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta

import pytest
import requests

from bot.cases.login_delays import ACCOUNT_FREE, ACCOUNT_MAX, ADDRESS_FREE, check_login_turn
from bot.infra.shared_state import DatabaseStore
from models import utcnow
from tests.conftest import REDIS_URL, fresh_redis_url, make_settings
from tests.support import CSRF, PASSWORD, Clerk, civicbot

ANSWER_TO_A_WRONG_PAIR = "账号或密码不正确"


class Visitor(Clerk):
    """A browser at a given client address."""

    def __init__(self, app, username: str, address: str):
        super().__init__(app, username)
        self.client.environ_base["REMOTE_ADDR"] = address

    def tries(self, password: str):
        started = time.perf_counter()
        response = self.login(password)
        self.seconds = time.perf_counter() - started
        return response


class Clock:
    """The portal's clock for logins, moved by the test (a wait of a minute passes at once)."""

    def __init__(self, monkeypatch):
        self.now = utcnow()
        monkeypatch.setattr("bot.web.portal.auth.utcnow", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def test_an_unknown_username_gets_the_same_answer_in_about_the_same_time_as_a_wrong_password(app, accounts):
    known = Visitor(app, "chen", "10.1.0.1").login("not the password!")
    nobody = Visitor(app, "no-such-clerk", "10.1.0.2").login("not the password!")
    assert known.status_code == nobody.status_code == 200
    assert ANSWER_TO_A_WRONG_PAIR in known.get_data(as_text=True)
    assert CSRF.sub("", known.get_data(as_text=True)).replace("chen", "no-such-clerk") == \
        CSRF.sub("", nobody.get_data(as_text=True))
    wrong, unknown = [], []
    for n in range(5):   # taken in turns, each from an address of its own: no delay is involved
        wrong.append(_timed(app, "chen", f"10.4.0.{n}"))
        unknown.append(_timed(app, "no-such-clerk", f"10.5.0.{n}"))
    # Both check a password hash of the same kind (the old lockout answered an unknown name 10 times slower).
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.6 < ratio < 1.6, (wrong, unknown)


def _timed(app, username: str, address: str) -> float:
    visitor = Visitor(app, username, address)
    visitor.tries("not the password!")
    return visitor.seconds


def test_one_address_guessing_many_accounts_is_slowed_down_in_chinese_and_others_are_not(app, accounts):
    guesser = [Visitor(app, f"guess-{n}", "10.6.6.6") for n in range(ADDRESS_FREE + 2)]
    answers = [visitor.login("password123").status_code for visitor in guesser]
    assert answers[:ADDRESS_FREE + 1] == [200] * (ADDRESS_FREE + 1)   # then a wait of a second begins
    refused = guesser[-1].login("password123")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 2
    page = refused.get_data(as_text=True)
    assert "登录尝试过于频繁" in page and "秒后再试" in page and "per 1 minute" not in page
    assert 'name="username"' in page   # the login form is still there, with the name typed
    # The same moment, another address is not held up at all, and the right password works there.
    assert Visitor(app, "chen", "10.7.7.7").login().status_code == 302


def test_an_account_under_attack_from_many_addresses_slows_down_but_its_owner_still_gets_in(app, accounts,
                                                                                            monkeypatch):
    clock = Clock(monkeypatch)
    attackers = iter(range(1, 255))
    for _ in range(ACCOUNT_FREE + 1):
        assert Visitor(app, "chen", f"10.8.0.{next(attackers)}").login("guess!").status_code == 200
    # From here on every address waits before trying chen, however many addresses the attacker has...
    fresh_attacker = Visitor(app, "chen", f"10.8.0.{next(attackers)}").login("guess!")
    assert fresh_attacker.status_code == 429
    # ...and the attacker keeps trying, each new address after its own wait, never locking the account.
    for _ in range(30):
        visitor = Visitor(app, "chen", f"10.8.0.{next(attackers)}")
        wait = int(visitor.login("guess!").headers["Retry-After"])
        assert wait <= ACCOUNT_MAX.total_seconds()
        clock.advance(seconds=wait)
        assert visitor.login("guess!").status_code == 200
    owner = Visitor(app, "chen", "10.9.9.9")                  # a clean address
    first = owner.login()
    wait = int(first.headers["Retry-After"])
    assert first.status_code == 429 and wait <= ACCOUNT_MAX.total_seconds()
    assert "分钟" in first.get_data(as_text=True) or "秒" in first.get_data(as_text=True)
    clock.advance(seconds=wait / 2)
    Visitor(app, "chen", f"10.8.0.{next(attackers)}").login("guess!")   # the attackers cannot take the owner's turn
    clock.advance(seconds=wait / 2)
    assert owner.login().status_code == 302                  # in, without a captcha and without an administrator


def test_a_login_starts_the_accounts_count_again(app, accounts):
    for n in range(ACCOUNT_FREE):
        Visitor(app, "chen", f"10.10.0.{n}").login("guess!")
    assert Visitor(app, "chen", "10.10.1.1").login().status_code == 302
    for n in range(ACCOUNT_FREE):
        assert Visitor(app, "chen", f"10.10.2.{n}").login("typo!").status_code == 200


def test_an_office_behind_one_address_logs_in_all_day(app, accounts):
    """Logins that succeed are not held against the address: a whole office shares one public address."""
    for _ in range(ADDRESS_FREE * 2):
        assert Visitor(app, "chen", "10.11.0.1").login().status_code == 302


@pytest.mark.parametrize("store_kind", ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="Redis is tested by make test-scale (CIVICBOT_TEST_REDIS_URL)"))])
def test_guesses_at_the_same_moment_are_counted_one_after_another(tmp_path, database, store_kind):
    from bot.infra.db import make_engine
    from bot.infra.shared_state import RedisStore
    store = RedisStore(fresh_redis_url()) if store_kind == "redis" else DatabaseStore(
        make_engine(make_settings(tmp_path, database)))
    now, allowed, start = utcnow(), [], threading.Barrier(20)

    def guess(n: int) -> None:
        start.wait()
        allowed.append(check_login_turn(f"guess-{n}", "10.12.0.1", now, store=store).allowed)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # ADDRESS_FREE free tries and the one that starts the wait; none slipped through by reading a stale count.
    assert allowed.count(True) == ADDRESS_FREE + 1


@pytest.mark.slow
def test_the_count_is_shared_by_every_worker_of_the_server(served_bot):
    base = served_bot.url.rsplit("/wechat", 1)[0]
    added = civicbot(served_bot.config, "staff", "add", "chen", "--department", "urban_mgmt", "--password", PASSWORD)
    assert added.exit_code == 0
    guesser = requests.Session()
    guesser.headers["Connection"] = "close"  # a new connection each time: the guesses land on both workers
    answers = []
    for attempt in range(ADDRESS_FREE + 2):
        token = CSRF.search(guesser.get(f"{base}/portal/login", timeout=10).text).group(1)
        answers.append(guesser.post(f"{base}/portal/login", timeout=10, data={
            "username": f"nobody-{attempt}", "password": "guess", "csrf_token": token}).status_code)
    assert answers == [200] * (ADDRESS_FREE + 1) + [429]
