"""A photo or words sent soon after 提交 are offered to the ticket just filed, and reach its department as an
addition; otherwise, as before, they start a new report."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from models import Department, Photo, Ticket
from models import Resident as ResidentRow
from tests import images
from tests.conftest import Resident, make_settings
from tests.support import add_staff, count, fake_api, logged_in, report, send_photo, ticket_number
from tests.test_notify import Robot


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat)))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"))
    return app


@pytest.fixture
def robot(app):
    endpoint = Robot()
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(Department).where(Department.code == "urban_mgmt").values(wecom_webhook=endpoint.url))
    yield endpoint
    endpoint.close()


def filed(app, openid: str) -> tuple[Resident, str]:
    resident = Resident(app, openid)
    return resident, ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊占了半条路", category="占道经营"))


def history(app, number: str) -> str:
    return logged_in(app, "chen").page(f"/portal/tickets/{number}").get_data(as_text=True)


def tickets(app) -> int:
    return count(app.extensions["civicbot"].sessions, Ticket)


def test_a_photo_right_after_submitting_joins_the_ticket_and_reaches_the_department(app, fake_wechat, robot):
    resident, number = filed(app, "o-late-photo")
    robot.received.clear()
    fake_wechat.add_media("m-late", images.jpeg())
    offer = send_photo(resident, "m-late")
    assert number in offer and "回复 1" in offer and "照片 1 张" in offer
    added = resident.says("1")
    assert "已补充到工单" in added and number in added
    with app.extensions["civicbot"].sessions() as session:
        photo = session.scalar(select(Photo).where(Photo.media_id == "m-late"))
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        assert photo.ticket_id == ticket_id and photo.status.value == "stored"   # fetched as any photo is
    assert "市民补充照片 1 张" in history(app, number) and tickets(app) == 1
    [pushed] = robot.received
    assert number in pushed["text"]["content"] and "市民补充" in pushed["text"]["content"]


def test_words_right_after_submitting_can_be_added_as_a_note(app):
    resident, number = filed(app, "o-late-words")
    offer = resident.says("摊主是个戴红帽子的中年人，每天下午三点左右来")
    assert number in offer and "回复 2" in offer
    assert "已补充到工单" in resident.says("是的")
    assert "市民补充：摊主是个戴红帽子的中年人" in history(app, number) and tickets(app) == 1
    assert "JY-" not in resident.says("提交")   # nothing is left over to submit


def test_words_that_point_back_at_the_report_add_the_photo(app, fake_wechat):
    resident, number = filed(app, "o-late-back")
    fake_wechat.add_media("m-back", images.jpeg())
    send_photo(resident, "m-back")
    assert "已补充到工单" in resident.says("这是刚才那个的照片")


def test_answering_no_keeps_the_photo_as_a_new_report(app, fake_wechat):
    resident, number = filed(app, "o-late-no")
    fake_wechat.add_media("m-new", images.jpeg())
    send_photo(resident, "m-new")
    answer = resident.says("2")
    assert "照片：1 张" in answer and "问题说明" in answer and number not in answer
    assert "市民补充" not in history(app, number)


def test_a_new_problem_described_after_the_offer_goes_on_as_a_new_report(app, fake_wechat):
    resident, number = filed(app, "o-late-other")
    fake_wechat.add_media("m-other", images.jpeg())
    send_photo(resident, "m-other")
    answer = resident.says("金胜村村口的垃圾桶满了好几天，没人清运")
    assert "照片：1 张" in answer and "金胜村" in answer
    assert "JY-" in resident.says("提交") and tickets(app) == 2


@pytest.mark.parametrize("words", ["河里漂着好多垃圾", "另外还有个情况，路灯坏了好几个", "金胜村那边也有人摆摊",
                                   "晋祠镇花塔村3号门口也有人摆摊卖菜"],
                         ids=["another category", "announced as another", "another place", "a whole report"])
def test_words_that_plainly_report_another_problem_start_a_new_report_at_once(app, words):
    resident, number = filed(app, "o-late-another")
    answer = resident.says(words)
    assert "收到" in answer and number not in answer


def test_after_the_configured_minutes_a_photo_starts_a_new_report_as_before(app, fake_wechat):
    resident, number = filed(app, "o-late-later")
    with app.extensions["civicbot"].sessions() as session, session.begin():
        row = session.scalar(select(ResidentRow).where(ResidentRow.openid == "o-late-later"))
        row.last_submitted_at -= timedelta(minutes=11)
    fake_wechat.add_media("m-later", images.jpeg())
    answer = send_photo(resident, "m-later")
    assert number not in answer and "照片：1 张" in answer


def test_the_offer_can_be_switched_off(tmp_path, database, fake_wechat):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat),
                                   conversation={"late_addition_minutes": 0}))
    resident, number = filed(app, "o-late-off")
    fake_wechat.add_media("m-off", images.jpeg())
    assert number not in send_photo(resident, "m-off")
