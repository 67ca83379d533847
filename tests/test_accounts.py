"""Accounts administered by admins, at the service level (bot/cases/accounts.py, bot/cases/totp.py): who manages
whom, each action and its audit record, the last HQ admin kept, login delays cleared, API tokens' last use and
revocation, TOTP codes checked once, and the demo accounts following portal.demo_accounts."""
from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from bot.cases.account_audit import account_events
from bot.cases.accounts import (
    COMMAND_LINE,
    NotManaged,
    do_clear_login_delays,
    do_create_account,
    do_issue_token,
    do_reset_password,
    do_reset_totp,
    do_revoke_token,
    do_set_active,
    do_set_role,
    list_accounts,
    list_tokens,
    managed_account,
    manager_of,
    token_department,
)
from bot.cases.client_keys import TOUCH
from bot.cases.login_delays import ACCOUNT_FREE, check_login_turn
from bot.cases.staff import StaffError, check_login, do_log_in
from bot.cases.totp import check_totp, do_disable_totp, do_enable_totp, matching_step, totp_required
from bot.infra.db import transaction
from models import ApiToken, Department, StaffAccount, utcnow
from tests.conftest import make_settings
from tests.support import PASSWORD, TOTP_SECRET, add_staff, civicbot, config_file


def manager(db, username: str):
    account = db.scalar(select(StaffAccount).where(StaffAccount.username == username))
    kind = db.scalar(select(Department.kind).where(Department.code == account.department_code))
    return manager_of(account, kind)


def account(db, username: str) -> StaffAccount:
    return db.scalar(select(StaffAccount).where(StaffAccount.username == username))


def test_a_department_admin_manages_its_own_department_hq_all_staff_nobody(sessions, accounts):
    with transaction(sessions) as db:
        boss, hq = manager(db, "boss"), manager(db, "hq")
        assert manager(db, "chen") is None
        assert {a.username for a in list_accounts(boss, session=db)} == {"chen", "boss"}
        assert {"chen", "boss", "liu", "zhao", "hq"} <= {a.username for a in list_accounts(hq, session=db)}
        with pytest.raises(NotManaged):
            managed_account(boss, "liu", session=db)
        with pytest.raises(NotManaged):   # the same answer as for a name nobody has
            managed_account(boss, "nobody", session=db)
        with pytest.raises(NotManaged):
            do_create_account(boss, "wang", "water_affairs", "staff", utcnow(), session=db)
        assert managed_account(hq, "liu", session=db).username == "liu"


def test_an_account_made_by_an_admin_logs_in_with_the_password_shown_once_and_the_trail_says_who(sessions,
                                                                                                  accounts):
    now = utcnow()
    with transaction(sessions) as db:
        made, password = do_create_account(manager(db, "boss"), "wang", "urban_mgmt", "staff", now, session=db,
                                           display_name="王五")
        assert len(password) >= 16 and made.display_name == "王五"
    with transaction(sessions) as db:
        assert check_login("wang", password, now, session=db) is not None
        [event] = account_events(session=db, target="wang")
        assert (event.actor, event.action, event.department_code) == ("staff:boss", "created", "urban_mgmt")
        assert password not in event.detail
        with pytest.raises(StaffError, match="演示账号"):
            do_create_account(manager(db, "hq"), "demo-fake", "hq", "admin", now, session=db)
        with pytest.raises(StaffError, match="already exists"):
            do_create_account(manager(db, "hq"), "chen", "urban_mgmt", "staff", now, session=db)


def test_a_deactivated_account_cannot_log_in_loses_its_wechat_and_comes_back_when_reactivated(sessions, accounts):
    now = utcnow()
    with transaction(sessions) as db:
        chen = account(db, "chen")
        chen.wechat_openid, generation = "o-chen", chen.session_generation
        do_set_active(manager(db, "boss"), chen, False, now, session=db)
    with transaction(sessions) as db:
        chen = account(db, "chen")
        assert check_login("chen", PASSWORD, now, session=db) is None
        assert chen.wechat_openid is None and chen.session_generation > generation
        do_set_active(manager(db, "boss"), chen, True, now, session=db)
    with transaction(sessions) as db:
        assert check_login("chen", PASSWORD, now, session=db) is not None
        assert [e.action for e in account_events(session=db, target="chen")] == ["reactivated", "deactivated"]


def test_the_district_always_keeps_an_active_hq_admin(sessions, accounts):
    now = utcnow()
    with transaction(sessions) as db:
        hq = manager(db, "hq")
        with pytest.raises(StaffError, match="唯一"):
            do_set_active(hq, account(db, "hq"), False, now, session=db)
        with pytest.raises(StaffError, match="唯一"):
            do_set_role(hq, account(db, "hq"), "staff", now, session=db)
        do_create_account(hq, "hq2", "hq", "admin", now, session=db)
    with transaction(sessions) as db:   # with a second HQ admin, the first may step down
        do_set_role(manager(db, "hq"), account(db, "hq"), "staff", now, session=db)
    with transaction(sessions) as db:
        assert account(db, "hq").role == "staff" and manager(db, "hq") is None
        with pytest.raises(StaffError, match="唯一"):
            do_set_active(COMMAND_LINE, account(db, "hq2"), False, now, session=db)


def test_a_password_reset_ends_the_old_password_and_every_session_and_is_never_logged(sessions, accounts, caplog):
    caplog.set_level(logging.DEBUG)
    now = utcnow()
    with transaction(sessions) as db:
        generation = account(db, "chen").session_generation
        password = do_reset_password(manager(db, "boss"), account(db, "chen"), now, session=db)
    with transaction(sessions) as db:
        assert check_login("chen", PASSWORD, now, session=db) is None
        assert check_login("chen", password, now, session=db) is not None
        assert account(db, "chen").session_generation > generation
        assert account_events(session=db, target="chen")[0].action == "password_reset"
    assert password not in caplog.text


def test_clearing_login_delays_lets_the_owner_in_at_once(app, sessions, accounts):
    store = app.extensions["civicbot"].shared
    now = utcnow()
    for n in range(ACCOUNT_FREE + 3):   # guesses from many addresses: the account now makes everyone wait
        check_login_turn("chen", f"10.20.0.{n}", now, store=store)
    assert not check_login_turn("chen", "10.30.0.1", now, store=store).allowed
    with transaction(sessions) as db:
        do_clear_login_delays(manager(db, "boss"), account(db, "chen"), now, session=db, store=store)
    found = do_log_in("chen", PASSWORD, "10.30.0.2", now, sessions=sessions, store=store)
    assert found.staff_id is not None and found.wait_seconds == 0
    with transaction(sessions) as db:
        assert account_events(session=db, target="chen")[0].action == "login_delays_cleared"


def test_a_tokens_last_use_is_written_at_most_once_a_minute_and_a_revoked_token_stops(sessions, accounts):
    now = utcnow()
    with transaction(sessions) as db:
        token = do_issue_token("urban_mgmt", session=db, note="数字城管对接", manager=manager(db, "boss"), now=now)
        water = do_issue_token("water_affairs", session=db)
    with transaction(sessions) as db:
        assert token_department(token, now, session=db).code == "urban_mgmt"
    with transaction(sessions) as db:
        token_department(token, now + timedelta(seconds=30), session=db)
        row = db.scalar(select(ApiToken).where(ApiToken.note == "数字城管对接"))
        assert row.last_used_at == now          # not written again within the minute
    with transaction(sessions) as db:
        token_department(token, now + TOUCH, session=db)
    with transaction(sessions) as db:
        row = db.scalar(select(ApiToken).where(ApiToken.note == "数字城管对接"))
        assert row.last_used_at == now + TOUCH
        boss = manager(db, "boss")
        assert [t.department_code for t in list_tokens(boss, session=db)] == ["urban_mgmt"]
        water_id = db.scalar(select(ApiToken.id).where(ApiToken.department_code == "water_affairs"))
        with pytest.raises(NotManaged):
            do_revoke_token(boss, water_id, now, session=db)
        do_revoke_token(boss, row.id, now, session=db)
    with transaction(sessions) as db:
        assert token_department(token, now, session=db) is None
        assert token_department(water, now, session=db).code == "water_affairs"
        assert account_events(session=db, target=f"token:{row.id}")[0].actor == "staff:boss"


def test_a_totp_code_is_taken_within_a_step_either_side_and_only_once(sessions, accounts):
    now = utcnow()
    totp = pyotp.TOTP(TOTP_SECRET)
    with transaction(sessions) as db:
        hq = account(db, "hq")   # enrolled by the fixture
        hq.totp_last_step = None
        assert not check_totp(hq, totp.at(now - timedelta(seconds=90)), now, session=db)   # too old
        assert not check_totp(hq, "12345", now, session=db)
        assert not check_totp(hq, "abcdef", now, session=db)
        assert check_totp(hq, totp.at(now), now, session=db)
        assert not check_totp(hq, totp.at(now), now, session=db)                           # the same code again
        assert not check_totp(hq, totp.at(now - timedelta(seconds=30)), now, session=db)   # nor an earlier one
        assert check_totp(hq, totp.at(now + timedelta(seconds=30)), now, session=db)       # a phone a little ahead
    assert matching_step(TOTP_SECRET, totp.at(now), now, after=None) is not None


def test_two_logins_racing_with_the_same_code_cannot_both_win(sessions, accounts):
    now = utcnow()
    code = pyotp.TOTP(TOTP_SECRET).at(now + timedelta(seconds=30))   # a step the fixture's enrolment did not use
    with sessions() as db:
        theirs = account(db, "hq")   # the other login read the account before either checked its code
    with transaction(sessions) as db:
        assert check_totp(account(db, "hq"), code, now, session=db)
    with transaction(sessions) as db:
        assert theirs.totp_last_step != account(db, "hq").totp_last_step   # its copy says the step is unused…
        assert not check_totp(theirs, code, now, session=db)                 # …but the database knows


def test_totp_is_required_for_hq_admins_optional_for_others_and_hq_resets_it(sessions, accounts):
    now = utcnow()
    with transaction(sessions) as db:
        hq, chen = account(db, "hq"), account(db, "chen")
        assert totp_required(hq, "hq", demo_accounts=False) and not totp_required(chen, "department",
                                                                                   demo_accounts=False)
        with pytest.raises(StaffError):
            do_enable_totp(chen, TOTP_SECRET, "000000" if pyotp.TOTP(TOTP_SECRET).now() != "000000" else "111111",
                           now, session=db)
        do_enable_totp(chen, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).at(now), now, session=db)
        with pytest.raises(StaffError, match="必须"):
            do_disable_totp(hq, "hq", now, session=db, demo_accounts=False)
        with pytest.raises(StaffError, match="指挥部"):
            do_reset_totp(manager(db, "boss"), chen, now, session=db)
        do_reset_totp(manager(db, "hq"), chen, now, session=db)
        assert chen.totp_secret is None
        assert [e.action for e in account_events(session=db, target="chen")][:2] == ["totp_reset", "totp_enabled"]


def test_a_login_asks_for_the_code_when_the_account_has_totp(app, sessions, accounts):
    store = app.extensions["civicbot"].shared
    found = do_log_in("hq", PASSWORD, "10.40.0.1", utcnow(), sessions=sessions, store=store)
    assert found.needs_code and found.staff_id is not None
    assert not do_log_in("chen", PASSWORD, "10.40.0.1", utcnow(), sessions=sessions, store=store).needs_code


# Demo accounts ---------------------------------------------------------------------------------------------------

def demo_config(tmp_path, database, on: bool):
    settings = make_settings(tmp_path, database, portal={"demo_accounts": on})
    return config_file(tmp_path / ("on.toml" if on else "off.toml"), settings,
                       f'[portal]\ndemo_accounts = {"true" if on else "false"}\n')


def test_demo_accounts_are_made_when_on_and_deactivated_when_off_passwords_on_the_terminal_only(
        tmp_path, database, sessions, caplog):
    caplog.set_level(logging.DEBUG)
    on = civicbot(demo_config(tmp_path, database, True), "staff", "demo")
    assert on.exit_code == 0, on.output
    record = tmp_path / "var" / "demo-accounts.txt"
    assert stat.S_IMODE(os.stat(record).st_mode) == 0o600
    password = next(line.split("\t")[1] for line in on.output.splitlines() if line.startswith("demo-hq\t"))
    again = civicbot(demo_config(tmp_path, database, True), "staff", "demo")
    assert password not in again.output and "demo-accounts.txt" in again.output   # shown once
    with transaction(sessions) as db:
        hq = account(db, "demo-hq")
        assert hq.active and not totp_required(hq, "hq", demo_accounts=True)   # the demo is shown without a phone
        assert totp_required(hq, "hq", demo_accounts=False)
    off = civicbot(demo_config(tmp_path, database, False), "staff", "demo")
    assert off.exit_code == 0 and "deactivated" in off.output and not record.exists()
    with transaction(sessions) as db:
        assert not any(a.active for a in db.scalars(select(StaffAccount)
                                                    .where(StaffAccount.username.startswith("demo-"))))
        assert check_login("demo-hq", password, utcnow(), session=db) is None
        assert account_events(session=db, target="demo-hq")[0].action == "demo_deactivated"
    assert password not in caplog.text


def test_a_demo_account_left_active_cannot_log_in_once_demo_accounts_are_off(sessions):
    from bot.cases.staff import do_add_demo_accounts
    with transaction(sessions) as db:
        made = {username: password for username, password, _ in do_add_demo_accounts(utcnow(), session=db)}
    with transaction(sessions) as db:
        assert check_login("demo-hq", made["demo-hq"], utcnow(), session=db, allow_demo=True) is not None
        assert check_login("demo-hq", made["demo-hq"], utcnow(), session=db, allow_demo=False) is None


# The command line ------------------------------------------------------------------------------------------------

def test_the_command_line_resets_totp_lists_and_revokes_tokens_and_clears_delays(tmp_path, settings, sessions):
    add_staff(sessions, ("hq", "hq", "admin"), ("chen", "urban_mgmt", "staff"))
    config = config_file(tmp_path / "cli.toml", settings)
    assert civicbot(config, "staff", "totp-reset", "hq").exit_code == 0
    with transaction(sessions) as db:
        assert account(db, "hq").totp_secret is None
        assert account_events(session=db, target="hq")[0].actor == "cli"
    token = civicbot(config, "department", "token", "urban_mgmt", "--note", "对接").output.strip()
    listed = civicbot(config, "department", "tokens")
    assert "urban_mgmt" in listed.output and "last used -" in listed.output and token not in listed.output
    with transaction(sessions) as db:
        token_id = db.scalar(select(ApiToken.id))
    assert civicbot(config, "department", "revoke", str(token_id)).exit_code == 0
    assert "REVOKED" in civicbot(config, "department", "tokens").output
    assert civicbot(config, "department", "revoke", "999").exit_code != 0
    assert civicbot(config, "staff", "unlock", "chen").exit_code == 0
    assert civicbot(config, "staff", "deactivate", "hq").exit_code != 0   # the last HQ admin
    assert civicbot(config, "staff", "role", "chen", "admin").exit_code == 0
