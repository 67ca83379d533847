"""账号管理 and 账号安全 through the portal (Flask's test client): admins manage their own department only, a
password is shown once, the login asks HQ admins for a TOTP code and holds one without TOTP on the enrolment page,
login delays are cleared by a button, and API tokens show their last use and can be revoked."""
from __future__ import annotations

import html
import re

import pyotp
from sqlalchemy import select

from bot.cases.login_delays import ACCOUNT_FREE, check_login_turn
from bot.infra.db import transaction
from models import ApiToken, StaffAccount, utcnow
from tests.support import PASSWORD, TOTP_SECRET, Clerk, civicbot, config_file, fresh_code
from tests.test_api_cli import token_for

SHOWN = re.compile(r'class="shown-once"><code>([^<]+)</code>')
SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


def post(person: Clerk, path: str, page: str, **fields):
    return person.client.post(path, data={"csrf_token": person.csrf(page), **fields})


def test_only_admins_see_account_management_and_a_department_admin_sees_only_its_own(clerk):
    chen, boss = clerk("chen"), clerk("boss")
    assert "账号管理" not in chen.page("/portal/tickets").get_data(as_text=True)
    assert chen.page("/portal/accounts").status_code == 403
    assert "账号管理" in boss.page("/portal/tickets").get_data(as_text=True)
    listed = boss.page("/portal/accounts").get_data(as_text=True)
    assert "chen" in listed and ">liu<" not in listed and ">hq<" not in listed
    assert boss.page("/portal/accounts/liu").status_code == 404          # another department's: not found
    assert boss.page("/portal/accounts/nobody").status_code == 404
    answer = post(boss, "/portal/accounts/liu/deactivate", "/portal/accounts")
    assert answer.status_code == 404
    assert Clerk(boss.app, "liu").login().status_code == 302          # untouched
    hq = clerk("hq")
    assert ">liu<" in hq.page("/portal/accounts").get_data(as_text=True)


def test_an_admin_creates_an_account_whose_password_is_shown_once_and_a_refused_form_keeps_what_was_typed(clerk,
                                                                                                           app):
    boss = clerk("boss")
    made = post(boss, "/portal/accounts", "/portal/accounts", username="wang", display_name="王五",
                department="urban_mgmt", role="staff")
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "只显示这一次" in page
    password = html.unescape(SHOWN.search(page).group(1))
    assert password not in boss.page("/portal/accounts").get_data(as_text=True)      # not shown again
    assert Clerk(app, "wang").login(password).status_code == 302
    again = post(boss, "/portal/accounts", "/portal/accounts", username="wang", display_name="另一个王五",
                 department="urban_mgmt", role="admin")
    text = again.get_data(as_text=True)
    assert again.status_code == 400 and "already exists" in text and 'value="另一个王五"' in text
    other = post(boss, "/portal/accounts", "/portal/accounts", username="zhou", department="water_affairs",
                 role="staff")
    assert other.status_code == 400   # not a department boss may choose
    with transaction(app.extensions["civicbot"].sessions) as db:
        assert db.scalar(select(StaffAccount).where(StaffAccount.username == "zhou")) is None


def test_a_password_reset_shows_the_new_one_once_and_ends_the_owners_sessions(clerk, app):
    chen, boss = clerk("chen"), clerk("boss")
    answer = post(boss, "/portal/accounts/chen/password", "/portal/accounts/chen")
    password = html.unescape(SHOWN.search(answer.get_data(as_text=True)).group(1))
    assert chen.page("/portal/tickets").status_code == 302          # chen's session is over
    assert Clerk(app, "chen").login().status_code == 200
    assert Clerk(app, "chen").login(password).status_code == 302
    trail = boss.page("/portal/accounts/chen").get_data(as_text=True)
    assert "重置密码" in trail and "boss" in trail and password not in trail


def test_deactivating_and_role_changes_and_the_last_hq_admin(clerk, app):
    boss, hq = clerk("boss"), clerk("hq")
    post(boss, "/portal/accounts/chen/deactivate", "/portal/accounts/chen")
    assert Clerk(app, "chen").login().status_code == 200
    assert "已停用" in boss.page("/portal/accounts").get_data(as_text=True)
    post(boss, "/portal/accounts/chen/reactivate", "/portal/accounts/chen")
    assert Clerk(app, "chen").login().status_code == 302
    post(boss, "/portal/accounts/chen/role", "/portal/accounts/chen", role="admin")
    promoted = Clerk(app, "chen")
    assert promoted.login().status_code == 302
    assert "账号管理" in promoted.page("/portal/tickets").get_data(as_text=True)
    refused = post(hq, "/portal/accounts/hq/deactivate", "/portal/accounts/hq")
    assert refused.status_code == 400 and "唯一" in refused.get_data(as_text=True)
    assert hq.page("/portal/tickets").status_code == 200           # still in


def test_the_button_clears_the_accounts_login_delays(clerk, app):
    store = app.extensions["civicbot"].shared
    for n in range(ACCOUNT_FREE + 3):
        check_login_turn("chen", f"10.50.0.{n}", utcnow(), store=store)
    waiting = Clerk(app, "chen")
    waiting.client.environ_base["REMOTE_ADDR"] = "10.60.0.1"
    assert waiting.login().status_code == 429
    boss = clerk("boss")
    done = post(boss, "/portal/accounts/chen/unlock", "/portal/accounts/chen")
    assert done.status_code == 302
    assert "解除登录限制" in boss.page("/portal/accounts/chen").get_data(as_text=True)
    owner = Clerk(app, "chen")
    owner.client.environ_base["REMOTE_ADDR"] = "10.60.0.2"
    assert owner.login().status_code == 302


def test_an_hq_admin_gives_a_code_after_the_password_and_a_code_cannot_be_used_twice(app, accounts):
    person = Clerk(app, "hq")
    first = person.client.post("/portal/login", data={"username": "hq", "password": PASSWORD,
                                                      "csrf_token": person.csrf("/portal/login")})
    assert first.headers["Location"].endswith("/portal/login/code")
    assert person.page("/portal/tickets").status_code == 302        # not in before the code
    wrong = person.client.post("/portal/login/code", data={"code": "000000" if pyotp.TOTP(TOTP_SECRET).now()
                                                           != "000000" else "111111",
                                                           "csrf_token": person.csrf("/portal/login/code")})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.get_data(as_text=True)
    code = fresh_code(app.extensions["civicbot"].sessions, "hq")
    right = person.client.post("/portal/login/code", data={"code": code,
                                                           "csrf_token": person.csrf("/portal/login/code")})
    assert right.status_code == 302 and person.page("/portal/tickets").status_code == 200
    # Someone who saw the code over the shoulder, with the password too, cannot use it again.
    other = Clerk(app, "hq")
    other.client.post("/portal/login", data={"username": "hq", "password": PASSWORD,
                                             "csrf_token": other.csrf("/portal/login")})
    replay = other.client.post("/portal/login/code", data={"code": code,
                                                           "csrf_token": other.csrf("/portal/login/code")})
    assert replay.status_code == 200 and other.page("/portal/tickets").status_code == 302


def test_five_wrong_codes_send_the_person_back_to_the_password(app, accounts):
    person = Clerk(app, "hq")
    person.client.post("/portal/login", data={"username": "hq", "password": PASSWORD,
                                              "csrf_token": person.csrf("/portal/login")})
    wrong = "000000" if pyotp.TOTP(TOTP_SECRET).now() != "000000" else "111111"
    answers = [person.client.post("/portal/login/code", data={"code": wrong,
                                                              "csrf_token": person.csrf("/portal/login/code")})
               for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 302]
    assert answers[-1].headers["Location"].endswith("/portal/login")
    assert person.page("/portal/login/code").headers["Location"].endswith("/portal/login")   # no code step left
    assert "请重新输入账号和密码" in person.page("/portal/login").get_data(as_text=True)


def test_an_hq_admin_without_totp_can_only_enrol_and_then_works(app, settings, tmp_path, accounts):
    config = config_file(tmp_path / "cli.toml", settings)
    assert civicbot(config, "staff", "add", "hq2", "--department", "hq", "--role", "admin",
                    "--password", PASSWORD).exit_code == 0
    person = Clerk(app, "hq2")
    assert person.login().status_code == 302
    for path in ("/portal/tickets", "/portal/accounts", "/portal/scores"):
        held = person.page(path)
        assert held.status_code == 302 and held.headers["Location"].endswith("/portal/security"), path
    page = person.page("/portal/security").get_data(as_text=True)
    assert "必须开启两步验证" in page and 'src="data:image/svg+xml' in page
    assert "工单编号" not in page and "账号管理" not in page     # the header offers nothing it could not open
    secret = SECRET.search(page).group(1)
    enrolled = post(person, "/portal/security/totp", "/portal/security", code=pyotp.TOTP(secret).now())
    assert enrolled.status_code == 302 and person.page("/portal/tickets").status_code == 200
    assert "已开启" in person.page("/portal/security").get_data(as_text=True)


def test_staff_may_turn_totp_on_and_off_and_hq_resets_a_lost_phone(app, clerk):
    chen = clerk("chen")
    page = chen.page("/portal/security").get_data(as_text=True)
    assert "自愿开启" in page
    secret = SECRET.search(page).group(1)
    assert post(chen, "/portal/security/totp", "/portal/security", code="12345x").status_code == 400
    assert post(chen, "/portal/security/totp", "/portal/security",
                code=pyotp.TOTP(secret).now()).status_code == 302
    again = Clerk(app, "chen")
    asked = again.client.post("/portal/login", data={"username": "chen", "password": PASSWORD,
                                                     "csrf_token": again.csrf("/portal/login")})
    assert asked.headers["Location"].endswith("/portal/login/code")   # a code is asked from now on
    hq = clerk("hq")
    assert "重置两步验证" in hq.page("/portal/accounts/chen").get_data(as_text=True)
    assert "重置两步验证" not in clerk("boss").page("/portal/accounts/chen").get_data(as_text=True)
    post(hq, "/portal/accounts/chen/totp-reset", "/portal/accounts/chen")
    assert Clerk(app, "chen").login().headers["Location"].endswith("/portal/tickets")


def test_tokens_show_their_last_use_and_a_revoked_one_is_refused(app, clerk, sessions):
    token = token_for(sessions, "urban_mgmt")
    water = token_for(sessions, "water_affairs")
    boss = clerk("boss")
    assert "从未使用" in boss.page("/portal/accounts").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = boss.page("/portal/accounts").get_data(as_text=True)
    assert "从未使用" not in listed and "water_affairs" not in listed
    with transaction(sessions) as db:
        ids = {row.department_code: row.id for row in db.scalars(select(ApiToken))}
    assert post(boss, f"/portal/tokens/{ids['water_affairs']}/revoke", "/portal/accounts").status_code == 404
    assert post(boss, f"/portal/tokens/{ids['urban_mgmt']}/revoke", "/portal/accounts").status_code == 302
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {water}"}).status_code == 200
    made = post(boss, "/portal/tokens", "/portal/accounts", department="urban_mgmt", note="网格化平台")
    new = html.unescape(SHOWN.search(made.get_data(as_text=True)).group(1))
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {new}"}).status_code == 200



def test_a_new_account_form_whose_page_expired_comes_back_filled_in(clerk):
    boss = clerk("boss")
    expired = boss.client.post("/portal/accounts", data={"csrf_token": "stale", "username": "wang",
                                                         "display_name": "王五", "department": "urban_mgmt",
                                                         "role": "admin"})
    page = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "表单已过期" in page
    assert 'value="wang"' in page and 'value="王五"' in page and '<option selected value="admin">' in page
