"""Residents hear about their tickets: the outbox, retries, the 48-hour window, templates, the next message."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.db import transaction
from bot.staff import do_add_staff
from models import Notification, utcnow
from tests import images
from tests.conftest import Resident, make_settings
from tests.test_portal import PASSWORD, Clerk


def build(tmp_path, database, fake_wechat, **extra):
    settings = make_settings(tmp_path, database, wechat={"app_id": fake_wechat.app_id,
                                                         "app_secret": fake_wechat.secret,
                                                         "api_base_url": fake_wechat.base_url}, **extra)
    app = create_app(settings)
    with transaction(app.extensions["civicbot.sessions"]) as session:
        do_add_staff("chen", "urban_mgmt", "staff", PASSWORD, session=session)
        do_add_staff("hq", "hq", "admin", PASSWORD, session=session)
    return app


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    return build(tmp_path, database, fake_wechat)


def open_ticket(resident: Resident) -> str:
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    resident.says("改为 占道经营")
    return re.search(r"JY-\d{8}-\d{4}", resident.says("提交")).group(0)


def clerk(app, name: str) -> Clerk:
    person = Clerk(app, name)
    person.login()
    return person


def notices(app) -> list[Notification]:
    with app.extensions["civicbot.sessions"]() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_each_step_reaches_the_resident_with_the_after_photo(app, fake_wechat):
    resident = Resident(app, "o-notice")
    number = open_ticket(resident)
    chen = clerk(app, "chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note="已劝离摊贩", photos=[("after.jpg", images.jpeg())])
    sent = [m for m in fake_wechat.sent if m["touser"] == "o-notice"]
    assert "区城市管理局已接手" in sent[0]["text"]["content"] and number in sent[0]["text"]["content"]
    assert "已劝离摊贩" in sent[1]["text"]["content"]
    assert sent[2]["msgtype"] == "image" and sent[2]["image"]["media_id"].startswith("uploaded-")
    assert [n.status for n in notices(app)] == ["sent", "sent"]
    page = clerk(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "告知市民" in page and "已发送" in page


def test_a_failing_api_is_retried_until_it_recovers_and_nothing_is_lost(app, fake_wechat):
    resident = Resident(app, "o-retry")
    number = open_ticket(resident)
    fake_wechat.failing = True
    clerk(app, "chen").act(number, "accept")
    [notice] = notices(app)
    assert notice.status == "pending" and notice.attempts == 1 and notice.last_error
    queue = app.extensions["civicbot.queue"]
    with app.extensions["civicbot.sessions"]() as session, session.begin():
        session.execute(update(Notification).values(next_attempt_at=utcnow()))
    assert queue.deliver_notifications()["retry"] == 1
    fake_wechat.failing = False
    with app.extensions["civicbot.sessions"]() as session, session.begin():
        session.execute(update(Notification).values(next_attempt_at=utcnow()))
    assert queue.deliver_notifications()["sent"] == 1
    assert [n.status for n in notices(app)] == ["sent"]
    assert any(number in m["text"]["content"] for m in fake_wechat.sent if m["msgtype"] == "text")


def test_outside_the_48_hour_window_news_waits_for_the_next_message(app, fake_wechat):
    resident = Resident(app, "o-away")
    number = open_ticket(resident)
    fake_wechat.outside_window.add("o-away")
    clerk(app, "chen").act(number, "accept")
    assert notices(app)[0].status == "waiting"
    fake_wechat.outside_window.clear()   # writing to the account reopens the window
    resident.says("你好")
    assert notices(app)[0].status == "sent"
    assert any("已接手" in m["text"]["content"] for m in fake_wechat.sent if m["touser"] == "o-away")


def test_a_configured_template_is_used_outside_the_window(tmp_path, database, fake_wechat):
    app = build(tmp_path, database, fake_wechat, notifications={"template_id": "TPL-progress"})
    resident = Resident(app, "o-template")
    number = open_ticket(resident)
    fake_wechat.outside_window.add("o-template")
    clerk(app, "chen").act(number, "accept")
    assert notices(app)[0].status == "template_sent"
    [template] = fake_wechat.templates
    assert template["touser"] == "o-template" and template["template_id"] == "TPL-progress"
    assert template["data"]["keyword1"]["value"] == number
