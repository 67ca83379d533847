"""What a department's program reads and does besides the list: a ticket's whole history, and its own API tokens
(listed without the secret, revoked at once); never the resident's identity, never another department's."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot.infra.db import transaction
from bot.web.api import do_issue_token
from models import AccountEvent, Resident
from tests import images


def token_for(sessions, code: str, note: str = "") -> str:
    with transaction(sessions) as db:
        return do_issue_token(code, session=db, note=note)


def as_client(app, token: str):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path: client.open(path, method=method, headers=headers)


@pytest.fixture
def worked_ticket(clerk, vending_ticket) -> str:
    """城管 took the resident's street-vending ticket, told them so, and resolved it with an after-photo."""
    chen = clerk("chen")
    chen.act(vending_ticket, "accept")
    chen.act(vending_ticket, "reply", reply="已安排城管队员明早到现场处理")
    chen.act(vending_ticket, "resolve", note="摊贩已劝离", photos=[("after.jpg", images.jpeg())])
    return vending_ticket


def test_the_history_tells_the_ticket_step_by_step_with_the_turn_and_the_photos(app, sessions, worked_ticket):
    urban = as_client(app, token_for(sessions, "urban_mgmt"))
    history = urban("GET", f"/api/v1/tickets/{worked_ticket}/history").get_json()
    steps = [(e["from"], e["to"], e["action"]) for e in history["events"]]
    assert steps[-3:] == [("dispatched", "in_progress", "accept"), ("in_progress", "in_progress", "reply"),
                          ("in_progress", "resolved", "resolve")]
    assert steps[0][:2] == (None, "received") and history["status"] == "resolved"
    assert [e["at"] for e in history["events"]] == sorted(e["at"] for e in history["events"])
    reply = history["events"][-2]
    assert reply["reply"] == "已安排城管队员明早到现场处理" and reply["actor"] == "staff:chen"
    assert reply["department"] == "urban_mgmt" and reply["channel"] == "portal"
    [hold] = history["holds"]
    assert hold["department"] == "urban_mgmt" and hold["end"] == "resolved" and hold["ended_at"]
    resolve = history["events"][-1]
    after = [p for p in history["photos"] if p["kind"] == "after"]
    assert [p["id"] for p in after] == resolve["photos"] and after[0]["event_id"] == resolve["id"]
    assert after[0]["display"] == f"/api/v1/photos/{after[0]['id']}/display"
    assert urban("GET", after[0]["display"]).mimetype == "image/jpeg"


def test_the_history_never_names_the_resident(app, sessions, resident, worked_ticket):
    body = as_client(app, token_for(sessions, "hq"))("GET", f"/api/v1/tickets/{worked_ticket}/history").text
    with sessions() as db:
        person = db.scalar(select(Resident).where(Resident.openid == resident.openid))
    assert "JY-" in body and resident.openid not in body
    assert person is not None and f"resident:{person.id}" not in body and '"resident_id"' not in body
    actors = {e["actor"] for e in json.loads(body)["events"]}
    assert "resident" in actors and all(re.fullmatch(r"resident|staff:\w+|system:\w+|cli|other", a) for a in actors)


def test_only_a_department_that_may_see_the_ticket_gets_its_history(app, sessions, worked_ticket):
    for code in ("urban_mgmt", "jinci_office", "hq"):   # the lead, the town's office, HQ
        assert as_client(app, token_for(sessions, code))("GET", f"/api/v1/tickets/{worked_ticket}/history").is_json
    for path in (f"/api/v1/tickets/{worked_ticket}/history", "/api/v1/tickets/JY-20000101-0001/history"):
        refused = as_client(app, token_for(sessions, "water_affairs"))("GET", path)
        assert refused.status_code == 404 and refused.is_json
        assert "不在本单位的查看范围内" in refused.json["message"] and refused.json["error"] == 404
    lower = as_client(app, token_for(sessions, "urban_mgmt"))("GET", f"/api/v1/tickets/{worked_ticket.lower()}/history")
    assert lower.json["number"] == worked_ticket   # typed in lower case, as people do


def test_a_department_lists_its_own_tokens_without_the_secret(app, sessions):
    mine = token_for(sessions, "urban_mgmt", note="同步程序")
    token_for(sessions, "urban_mgmt", note="备用")
    theirs = token_for(sessions, "water_affairs", note="水务的")
    response = as_client(app, mine)("GET", "/api/v1/tokens")
    listed = response.json["tokens"]
    assert sorted(t["note"] for t in listed) == ["同步程序", "备用"]
    assert {t["department"] for t in listed} == {"urban_mgmt"}
    assert [t["note"] for t in listed if t["current"]] == ["同步程序"]
    assert [t["last_used_at"] is not None for t in listed if t["current"]] == [True]
    assert mine not in response.text and theirs not in response.text and "sha256" not in response.text


@pytest.mark.parametrize("how", ["DELETE", "POST"])
def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_recorded(app, sessions, how):
    keeper = as_client(app, token_for(sessions, "urban_mgmt", note="管理用"))
    leaked = token_for(sessions, "urban_mgmt", note="泄露了")
    [row] = [t for t in keeper("GET", "/api/v1/tokens").json["tokens"] if t["note"] == "泄露了"]
    assert as_client(app, leaked)("GET", "/api/v1/tickets").status_code == 200
    path = f"/api/v1/tokens/{row['id']}" + ("/revoke" if how == "POST" else "")
    revoked = keeper(how, path)
    assert revoked.status_code == 200 and revoked.json["token"]["revoked_at"] is not None
    refused = as_client(app, leaked)("GET", "/api/v1/tickets")
    assert refused.status_code == 401 and refused.json["message"] == "访问令牌无效或已停用。"
    assert keeper(how, path).status_code == 200   # again: still revoked, no error
    with sessions() as db:
        event = db.scalar(select(AccountEvent).where(AccountEvent.action == "token_revoked"))
    assert event is not None and event.target == f"token:{row['id']}" and event.department_code == "urban_mgmt"
    assert event.actor.startswith("token:") and event.actor != event.target


def test_a_token_may_revoke_itself_but_never_another_departments(app, sessions, clerk):
    water = token_for(sessions, "water_affairs", note="水务的")
    [water_row] = as_client(app, water)("GET", "/api/v1/tokens").json["tokens"]
    for code in ("urban_mgmt", "hq"):   # HQ's token too: tokens of other departments are the portal's business
        other = as_client(app, token_for(sessions, code))
        refused = other("DELETE", f"/api/v1/tokens/{water_row['id']}")
        assert refused.status_code == 404 and "不属于本单位" in refused.json["message"]
    assert as_client(app, water)("GET", "/api/v1/tickets").status_code == 200
    myself = as_client(app, water)
    assert myself("POST", f"/api/v1/tokens/{water_row['id']}/revoke").json["token"]["current"] is True
    assert myself("GET", "/api/v1/tokens").status_code == 401
    events = clerk("liu").page("/portal/accounts").text   # 水务's admin reads who revoked it
    assert f"接口令牌 #{water_row['id']}" in events


def test_token_routes_refuse_without_a_token_and_a_wrong_method_in_chinese_json(app, sessions):
    client = app.test_client()
    assert client.get("/api/v1/tokens").status_code == 401
    assert client.delete("/api/v1/tokens/1").status_code == 401
    wrong = as_client(app, token_for(sessions, "urban_mgmt"))("PUT", "/api/v1/tokens/1")
    assert wrong.status_code == 405 and wrong.is_json and re.search(r"[\u4e00-\u9fff]", wrong.json["message"])
