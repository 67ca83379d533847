"""The same problem reported again joins the open ticket: counted reporters, shared news, and HQ can split."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.web.photo_links import resident_photo_url
from models import Photo, Ticket, TicketReporter
from tests import images
from tests.conftest import Resident, make_settings
from tests.support import add_staff, count, fake_api, logged_in, ticket_number
from tests.support import report as whole_report

HUATA = (37.7050, 112.4310)
NEARBY = (37.7053, 112.4312)      # about 40 m away
FARTHER = (37.7080, 112.4310)     # about 330 m away


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat)))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"), ("hq", "hq", "admin"))
    return app


def report(app, openid: str, point, words="路口有人摆摊占了半条路", category="占道经营", photo: str | None = None):
    """A resident at point (near 花塔村) reports, naming the category."""
    return whole_report(Resident(app, openid), words, category=category, at=point, label="花塔村", photo=photo)


def tickets(app) -> int:
    return count(app.extensions["civicbot"].sessions, Ticket)


def test_a_nearby_report_of_the_same_problem_joins_the_open_ticket(app, fake_wechat):
    first = report(app, "o-first", HUATA)
    number = ticket_number(first)
    second = report(app, "o-second", NEARBY, words="花塔村那儿又摆上摊了")
    assert "该问题已有 2 人反映" in second and number in second and tickets(app) == 1
    third = report(app, "o-third", NEARBY, words="小贩把路都堵了")
    assert "已有 3 人反映" in third
    assert number in Resident(app, "o-second").says("我的")
    chen = logged_in(app, "chen")
    page = chen.page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "反映人数：</strong>3 人" in page
    chen.act(number, "accept")
    told = {m["touser"] for m in fake_wechat.sent if "已接手" in m.get("text", {}).get("content", "")}
    assert told == {"o-first", "o-second", "o-third"}


@pytest.mark.parametrize("point, category", [(FARTHER, "占道经营"), (NEARBY, "环境卫生")],
                         ids=["too far", "another category"])
def test_a_different_place_or_problem_opens_its_own_ticket(app, point, category):
    report(app, "o-first", HUATA)
    assert "JY-" in report(app, "o-other", point, category=category) and tickets(app) == 2


def test_a_near_identical_photo_joins_even_without_a_nearby_point(app, fake_wechat):
    fake_wechat.add_media("m-a", images.jpeg(images.scene(41, (1600, 1200))))
    fake_wechat.add_media("m-b", images.jpeg(images.scene(41, (1600, 1200)).resize((800, 600)), quality=60))
    report(app, "o-first", HUATA, photo="m-a")
    assert "已有 2 人反映" in report(app, "o-second", FARTHER, photo="m-b")


def test_hq_splits_a_wrong_merge(app):
    number = ticket_number(report(app, "o-first", HUATA))
    report(app, "o-second", NEARBY, words="这里的摊位是另一家，和上次不是一回事")
    with app.extensions["civicbot"].sessions() as session:
        reporter_id = session.scalar(select(TicketReporter.id))
    hq = logged_in(app, "hq")
    page = hq.client.post(f"/portal/tickets/{number}/split/{reporter_id}",
                          data={"csrf_token": hq.csrf(f"/portal/tickets/{number}")},
                          follow_redirects=True).get_data(as_text=True)
    assert "已拆分为新工单" in page and tickets(app) == 2
    new_number = re.search(r"已拆分为新工单 (JY-\d{8}-\d{4})", page).group(1)
    assert new_number in Resident(app, "o-second").says("我的")


def test_a_ticket_hq_splits_off_is_pushed_to_its_department_like_any_new_ticket(app):
    from sqlalchemy import update

    from models import Department
    from tests.test_notify import Robot
    number = ticket_number(report(app, "o-first", HUATA))
    report(app, "o-second", NEARBY, words="这里的摊位是另一家，和上次不是一回事")
    robot = Robot()
    try:
        with app.extensions["civicbot"].sessions() as session, session.begin():
            session.execute(update(Department).where(Department.code == "urban_mgmt").values(wecom_webhook=robot.url))
            reporter_id = session.scalar(select(TicketReporter.id))
        hq = logged_in(app, "hq")
        page = hq.client.post(f"/portal/tickets/{number}/split/{reporter_id}",
                              data={"csrf_token": hq.csrf(f"/portal/tickets/{number}")},
                              follow_redirects=True).get_data(as_text=True)
        new_number = re.search(r"已拆分为新工单 (JY-\d{8}-\d{4})", page).group(1)
        assert [m["text"]["content"].split("\n")[0] for m in robot.received] == [f"新工单 {new_number}"]
    finally:
        robot.close()


def test_the_same_resident_reporting_again_is_not_counted_twice(app):
    number = ticket_number(report(app, "o-first", HUATA))
    again = report(app, "o-first", NEARBY, words="又来摆摊了")
    assert "您已经反映过这个问题" in again and number in again and tickets(app) == 1
    assert "已有 2 人反映" in report(app, "o-second", NEARBY)


def test_a_joined_reporter_sees_the_ticket_in_their_data_and_erasing_unlinks_them(app):
    number = ticket_number(report(app, "o-first", HUATA))
    report(app, "o-joined", NEARBY, words="花塔村那儿又摆上摊了")
    joined = Resident(app, "o-joined")
    assert "工单：1 件" in joined.says("我的数据")
    assert "1 件工单已与您解除关联" in (joined.says("删除我的数据") and joined.says("确认删除"))
    with app.extensions["civicbot"].sessions() as session:
        assert session.scalars(select(TicketReporter.resident_id)).all() == [None]
    assert number in Resident(app, "o-first").says("我的")


def test_each_reporter_sees_their_own_photos_and_the_departments_reply_never_anothers(app, fake_wechat):
    fake_wechat.add_media("m-first", images.jpeg(images.scene(51)))
    fake_wechat.add_media("m-second", images.jpeg(images.scene(52)))
    number = ticket_number(report(app, "o-first", HUATA, photo="m-first"))
    report(app, "o-second", NEARBY, words="花塔村那儿又摆上摊了", photo="m-second")
    with app.extensions["civicbot"].sessions() as session:
        first_photo, second_photo = session.scalars(select(Photo.id).order_by(Photo.id)).all()
    services = app.extensions["civicbot"]

    def link(photo_id):
        return resident_photo_url(services.settings, services.signer, photo_id)

    chen = logged_in(app, "chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note="摊主王某已登记", reply="已劝离摊贩，路面已清理",
             photos=[("after.jpg", images.jpeg())])
    for openid, own, other in (("o-first", first_photo, second_photo), ("o-second", second_photo, first_photo)):
        answer = Resident(app, openid).says(f"查询 {number}")
        assert "处理情况：已劝离摊贩，路面已清理" in answer and "王某" not in answer
        assert "区城市管理局的处置后照片" in answer
        assert link(own) in answer and link(other) not in answer
