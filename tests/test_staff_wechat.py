"""Staff in WeChat: binding with a one-time code, commands by chat through the same workflow, and notices of
dispatch, 督办 and deadlines through the outbox (WeChat, with its 48-hour rule, and 企业微信)."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from models import BindCode, Draft, Photo, PhotoKind, StaffNotice, Ticket, TicketEvent, utcnow
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident, make_settings
from tests.support import (
    add_staff,
    civicbot,
    config_file,
    count,
    fake_api,
    logged_in,
    report,
    send_photo,
    status_of,
    ticket_number,
)
from tests.test_evidence import caption, exif_point

CODE = re.compile(r"绑定 (\d{6})")


def build(tmp_path, database, fake_wechat, **extra):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat), **extra))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"), ("boss", "urban_mgmt", "admin"),
              ("liu", "water_affairs", "admin"), ("hq", "hq", "admin"))
    return app


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    return build(tmp_path, database, fake_wechat)


def bind_code(app, username: str) -> str:
    """Log in to the portal, open 绑定微信 from the header and get a code: the one the page shows."""
    clerk = logged_in(app, username)
    assert "绑定微信" in clerk.page("/portal/tickets").get_data(as_text=True)
    page = clerk.client.post("/portal/wechat/code", data={"csrf_token": clerk.csrf("/portal/wechat")})
    return CODE.search(page.get_data(as_text=True)).group(1)


def phone_of(app, username: str, openid: str | None = None) -> Resident:
    """The staff member's WeChat, bound to their account."""
    phone = Resident(app, openid or f"o-staff-{username}")
    assert "绑定成功" in phone.says(f"绑定 {bind_code(app, username)}")
    return phone


def sent_to(fake_wechat, openid: str) -> list[str]:
    return [m["text"]["content"] for m in fake_wechat.sent if m["touser"] == openid and m["msgtype"] == "text"]


def staff_notices(app) -> list[StaffNotice]:
    with app.extensions["civicbot"].sessions() as session:
        return list(session.scalars(select(StaffNotice).order_by(StaffNotice.id)))


def new_ticket(app, openid: str = "o-reporter") -> str:
    return ticket_number(report(Resident(app, openid), category="占道经营"))


# ---- binding

def test_a_code_from_the_portal_binds_the_staff_members_wechat_once(app):
    code = bind_code(app, "chen")
    phone = Resident(app, "o-chen")
    assert "绑定成功：chen（区城市管理局）" in phone.says(f"绑定 {code}")
    assert "已绑定微信" in logged_in(app, "chen").page("/portal/wechat").get_data(as_text=True)
    assert "我的待办" in phone.says("帮助")   # a bound WeChat's 帮助 lists the staff commands
    # The code is spent: nobody else can bind with it.
    assert "绑定码不正确或已过期" in Resident(app, "o-stranger").says(f"绑定 {code}")
    with app.extensions["civicbot"].sessions() as session:
        [stored] = session.scalars(select(BindCode)).all()
        assert code not in stored.code_sha256 and stored.used_at is not None   # only its hash is kept


def test_a_code_expires_and_a_new_one_replaces_the_old(app):
    old = bind_code(app, "chen")
    new = bind_code(app, "chen")
    phone = Resident(app, "o-chen")
    assert "不正确或已过期" in phone.says(f"绑定 {old}")
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(BindCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert "不正确或已过期" in phone.says(f"绑定 {new}")
    assert "这是工作人员指令" in phone.says("我的待办")   # still not bound


def test_wrong_codes_from_one_wechat_are_limited(app):
    guesser = Resident(app, "o-guesser")
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        assert "不正确或已过期" in guesser.says(f"绑定 {guess}")
    assert "错误次数过多" in guesser.says(f"绑定 {bind_code(app, 'chen')}")   # even the right code, for an hour
    assert "绑定成功" in Resident(app, "o-chen").says(f"绑定 {bind_code(app, 'chen')}")   # others are not stopped


def test_one_wechat_is_bound_to_one_account(app):
    phone = phone_of(app, "chen")
    assert "已绑定工作人员账号 chen" in phone.says(f"绑定 {bind_code(app, 'boss')}")
    # Binding the account to another WeChat moves it: the first one is a resident again.
    other = phone_of(app, "chen", "o-chen-new-phone")
    assert "这是工作人员指令" in phone.says("我的待办") and "待办" in other.says("我的待办")


def test_unbinding_by_chat_and_from_the_portal(app):
    phone = phone_of(app, "chen")
    assert "已解除绑定" in phone.says("解绑")
    assert "这是工作人员指令" in phone.says("我的待办")
    assert "没有绑定" in phone.says("解绑")
    phone = phone_of(app, "chen")
    clerk = logged_in(app, "chen")
    page = clerk.client.post("/portal/wechat/unbind", data={"csrf_token": clerk.csrf("/portal/wechat")},
                             follow_redirects=True).get_data(as_text=True)
    assert "已解除微信绑定" in page and "尚未绑定微信" in page
    assert "这是工作人员指令" in phone.says("接单 JY-20261201-0001")


def test_a_deactivated_account_stops_working_by_chat(app, tmp_path):
    phone = phone_of(app, "chen")
    settings = app.extensions["civicbot"].settings
    assert civicbot(config_file(tmp_path / "c.toml", settings), "staff", "deactivate", "chen").exit_code == 0
    number = new_ticket(app)
    assert "这是工作人员指令" in phone.says(f"接单 {number}")
    assert status_of(app.extensions["civicbot"].sessions, number) == "dispatched"
    assert staff_notices(app) == []


# ---- commands

def test_a_staff_member_works_a_ticket_by_chat_with_an_after_photo(app, fake_wechat):
    phone = phone_of(app, "chen")
    number = new_ticket(app)
    [dispatched] = sent_to(fake_wechat, "o-staff-chen")
    assert "【新工单】" in dispatched and number in dispatched and f"接单 {number}" in dispatched
    todo = phone.says("我的待办")
    assert number in todo and "待接单" in todo and "占道经营" in todo
    detail = phone.says(f"详情 {number.lower()}")
    assert f"{number}【占道经营】" in detail and "状态：已派遣至责任部门" in detail
    assert detail.endswith("可用指令：接单")   # not yet 办结: it has to be accepted first
    loose = number.lower().replace("-", "")   # typed as residents do in 查询
    assert "已接单" in phone.says(f"接单 {loose}")
    sessions = app.extensions["civicbot"].sessions
    assert status_of(sessions, number) == "in_progress"
    waiting = phone.says(f"办结 {number} 已劝离摊贩，路面已清理")
    assert "处置后照片" in waiting and status_of(sessions, number) == "in_progress"
    fake_wechat.add_media("after-1", images.jpeg())
    assert "照片已收到" in send_photo(phone, "after-1")
    assert status_of(sessions, number) == "resolved"
    assert any(f"已办结 {number}" in text for text in sent_to(fake_wechat, "o-staff-chen"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        [after] = [p for p in ticket.photos if p.kind == PhotoKind.AFTER]
        assert after.status == "stored" and after.staff_id is not None
        events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
        assert [e.channel for e in events if e.action in ("accept", "resolve")] == ["wechat", "wechat"]
        assert [e.reason for e in events if e.action == "resolve"] == ["已劝离摊贩，路面已清理"]
    # The resident hears of it with the after-photo, as from the portal; the history says it came by WeChat.
    assert any(m["msgtype"] == "image" for m in fake_wechat.sent if m["touser"] == "o-reporter")
    page = logged_in(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "（微信）" in page
    assert number not in phone.says("我的待办")


def test_an_after_photo_sent_by_chat_is_judged_for_hq_like_one_from_the_portal(app, fake_wechat):
    """Where and when its EXIF says it was taken reach the ticket page: 800 m off and before the dispatch."""
    phone = phone_of(app, "chen")
    number = ticket_number(report(Resident(app, "o-far"), category="占道经营", at=HUATA_VILLAGE, label="花塔村"))
    phone.says(f"接单 {number}")
    phone.says(f"办结 {number} 已清理")
    earlier = (utcnow() + timedelta(hours=8) - timedelta(days=2)).strftime("%Y:%m:%d %H:%M:%S")   # Beijing time
    fake_wechat.add_media("after-far", images.jpeg(**exif_point(800), taken=earlier))
    send_photo(phone, "after-far")
    assert status_of(app.extensions["civicbot"].sessions, number) == "resolved"
    words = caption(html.unescape(logged_in(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)))
    assert re.search(r"距反映位置约 (79\d|80\d) 米，超过 200 米", words) and "早于派遣" in words


def test_a_photo_that_cannot_be_fetched_asks_for_another_and_the_resolution_waits(app, fake_wechat):
    phone = phone_of(app, "chen")
    number = new_ticket(app)
    phone.says(f"接单 {number}")
    phone.says(f"办结 {number} 已清理")
    send_photo(phone, "gone-from-wechat")   # WeChat no longer has it (40007)
    sessions = app.extensions["civicbot"].sessions
    assert status_of(sessions, number) == "in_progress"
    assert any("未能保存" in text and "重新发送" in text for text in sent_to(fake_wechat, "o-staff-chen"))
    fake_wechat.add_media("after-2", images.jpeg())
    send_photo(phone, "after-2")
    assert status_of(sessions, number) == "resolved"


def test_a_ticket_sent_elsewhere_before_the_photo_comes_is_not_resolved_and_the_staff_member_is_told(app, fake_wechat):
    phone = phone_of(app, "chen")
    number = new_ticket(app)
    phone.says(f"接单 {number}")
    phone.says(f"办结 {number} 已清理")
    logged_in(app, "hq").act(number, "dispatch", note="属于水务", department="water_affairs")
    fake_wechat.add_media("after-late", images.jpeg())
    send_photo(phone, "after-late")
    assert status_of(app.extensions["civicbot"].sessions, number) == "dispatched"
    assert any(f"未能办结 {number}" in text for text in sent_to(fake_wechat, "o-staff-chen"))
    assert "已取消" not in phone.says("取消办结")   # the wait ended with the refusal
    with app.extensions["civicbot"].sessions() as session:   # no step holds the photo: its files are not kept
        photo = session.scalar(select(Photo).where(Photo.media_id == "after-late"))
        assert photo.status == "failed" and "refused step" in photo.note and photo.ticket_id is None
    media = app.extensions["civicbot"].settings.media.root
    assert not [path for path in Path(media).rglob("*") if path.is_file() and f"/{photo.id}/" in str(path)]


def test_a_resolution_can_be_cancelled_and_then_a_photo_is_a_report(app):
    phone = phone_of(app, "chen")
    number = new_ticket(app)
    phone.says(f"接单 {number}")
    assert "处置后照片" in phone.says(f"办结 {number} 已清理")
    assert "已取消办结" in phone.says("取消办结")
    send_photo(phone, "street-scene")
    assert status_of(app.extensions["civicbot"].sessions, number) == "in_progress"
    with app.extensions["civicbot"].sessions() as session:   # the photo opened the staff member's own report
        assert session.scalar(select(Photo).where(Photo.media_id == "street-scene")).draft_id is not None


def test_the_portals_permissions_hold_by_chat(app):
    number = new_ticket(app)
    liu = phone_of(app, "liu")   # 水务: another department
    assert "没有找到您可以办理的编号为" in liu.says(f"接单 {number}")
    assert "没有找到" in liu.says(f"详情 {number}")
    chen = phone_of(app, "chen")
    assert "当前状态或权限下不能“退回指挥部”" in chen.says(f"退回 {number} 不归我们管")   # only an admin returns
    boss = phone_of(app, "boss")
    assert "请填写说明或理由" in boss.says(f"退回 {number}")
    assert "已退回指挥部" in boss.says(f"退回 {number} 属于水务部门职责")
    assert status_of(app.extensions["civicbot"].sessions, number) == "returned"
    assert "当前状态或权限下不能“处置完成”" in chen.says(f"办结 {number} 已处理")
    assert "没有找到" in chen.says("接单 JY-20200101-0001")
    assert "请回复“接单 编号”" in chen.says("接单")


def test_a_resident_typing_staff_commands_is_told_politely_and_no_draft_opens(app):
    resident = Resident(app, "o-curious")
    for words in ("我的待办", "接单 JY-20261201-0001", "办结", "工作帮助"):
        assert "这是工作人员指令" in resident.says(words)
    assert count(app.extensions["civicbot"].sessions, Draft) == 0
    assert "反映问题只需几步" in resident.says("帮助")   # their 帮助 is the residents' one
    # Words that merely begin like a command are a report as always.
    assert "这是工作人员指令" not in resident.says("退回来的渣土车把路口占了，晋祠镇花塔村")


def test_a_bound_staff_member_can_still_report_as_a_resident(app):
    phone = phone_of(app, "chen")
    number = ticket_number(report(phone, category="占道经营"))
    assert status_of(app.extensions["civicbot"].sessions, number) == "dispatched"


# ---- notices

def test_reassignment_and_urging_reach_the_right_people(app, fake_wechat):
    chen, liu = phone_of(app, "chen"), phone_of(app, "liu")
    number = new_ticket(app)
    hq = logged_in(app, "hq")
    hq.act(number, "dispatch", note="属于水务", department="water_affairs")
    assert any("【新工单】区水务局" in text and number in text for text in sent_to(fake_wechat, "o-staff-liu"))
    hq.act(number, "dispatch", department="urban_mgmt")
    chen.says(f"接单 {number}")
    boss = phone_of(app, "boss")
    hq.act(number, "urge", note="群众反映强烈，今天处理完")
    # The assignee is urged; the rest of the department is not disturbed.
    assert any("【督办】" in text and "群众反映强烈" in text for text in sent_to(fake_wechat, "o-staff-chen"))
    assert not any("【督办】" in text for text in sent_to(fake_wechat, boss.openid))
    assert not any("督办" in text for text in sent_to(fake_wechat, liu.openid))


def test_a_reopened_ticket_and_a_request_to_help_reach_the_people_who_must_act(app, fake_wechat):
    chen, liu = phone_of(app, "chen"), phone_of(app, "liu")
    number = new_ticket(app)
    chen.says(f"接单 {number}")
    logged_in(app, "chen").act(number, "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    hq = logged_in(app, "hq")
    hq.act(number, "reopen", note="现场仍有摊位")
    reopened = [text for text in sent_to(fake_wechat, chen.openid) if "【重开】" in text]
    assert len(reopened) == 1 and number in reopened[0] and "重开原因：现场仍有摊位" in reopened[0]
    assert f"接单 {number}" in reopened[0]
    hq.act(number, "add_co_handler", note="请配合清理排水沟", department="water_affairs")
    helped = [text for text in sent_to(fake_wechat, liu.openid) if "【协办】" in text]
    assert len(helped) == 1 and "请配合清理排水沟" in helped[0] and "牵头单位：区城市管理局" in helped[0]
    assert not any("【协办】" in text for text in sent_to(fake_wechat, chen.openid))


def test_a_ticket_near_its_deadline_is_announced_once_per_turn(app, fake_wechat):
    phone_of(app, "chen")
    number = new_ticket(app)
    sessions = app.extensions["civicbot"].sessions
    with sessions() as session, session.begin():
        session.execute(update(Ticket).where(Ticket.number == number).values(deadline_at=utcnow() + timedelta(hours=1)))
    jobs = app.extensions["civicbot"].jobs
    assert jobs.check_deadlines() == (1, 0)
    with sessions() as session, session.begin():   # an extension moves the deadline: the portal warns again
        session.execute(update(Ticket).where(Ticket.number == number)
                        .values(warned_at=None, deadline_at=utcnow() + timedelta(hours=2)))
    assert jobs.check_deadlines() == (1, 0)
    warned = [text for text in sent_to(fake_wechat, "o-staff-chen") if "【即将到期】" in text]
    assert len(warned) == 1 and number in warned[0]


def test_outside_the_48_hour_window_a_notice_waits_for_the_staff_members_next_message(app, fake_wechat):
    phone = phone_of(app, "chen")
    fake_wechat.outside_window.add(phone.openid)
    number = new_ticket(app)
    [notice] = staff_notices(app)
    assert notice.status == "waiting"
    fake_wechat.outside_window.clear()
    phone.says("我的待办")
    assert staff_notices(app)[0].status == "sent"
    assert any(number in text and "【新工单】" in text for text in sent_to(fake_wechat, phone.openid))


def test_a_staff_template_is_used_outside_the_window(tmp_path, database, fake_wechat):
    app = build(tmp_path, database, fake_wechat, notifications={"staff_template_id": "TPL-staff"})
    phone = phone_of(app, "chen")
    fake_wechat.outside_window.add(phone.openid)
    number = new_ticket(app)
    assert staff_notices(app)[0].status == "template_sent"
    [template] = [t for t in fake_wechat.templates if t["touser"] == phone.openid]
    assert template["template_id"] == "TPL-staff" and template["data"]["keyword1"]["value"] == number


def test_a_failing_api_is_retried_and_nothing_is_lost(app, fake_wechat):
    phone_of(app, "chen")
    fake_wechat.failing = True
    number = new_ticket(app)
    fake_wechat.failing = False
    [notice] = staff_notices(app)
    assert notice.status == "pending" and notice.last_error
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(StaffNotice).values(next_attempt_at=utcnow()))
    assert app.extensions["civicbot"].jobs.deliver_staff_notices()["sent"] == 1
    assert any(number in text for text in sent_to(fake_wechat, "o-staff-chen"))


# ---- 企业微信

@pytest.fixture
def wecom_app(tmp_path, database, fake_wechat):
    app = build(tmp_path, database, fake_wechat, wecom={
        "corp_id": fake_wechat.wecom_corp_id, "agent_id": 1000002, "secret": fake_wechat.wecom_secret,
        "api_base_url": fake_wechat.base_url})
    config = config_file(tmp_path / "c.toml", app.extensions["civicbot"].settings)
    for username, userid in (("chen", "ChenWei"), ("boss", "WangJun"), ("liu", "LiuQiang")):
        assert civicbot(config, "staff", "wecom", username, userid).exit_code == 0
    return app


def test_wecom_members_of_the_department_get_the_application_message(wecom_app, fake_wechat):
    number = new_ticket(wecom_app)
    messages = {m["touser"]: m for m in fake_wechat.wecom_sent}
    assert set(messages) == {"ChenWei", "WangJun"}   # 城管's members; not 水务's
    assert messages["ChenWei"]["agentid"] == 1000002 and number in messages["ChenWei"]["text"]["content"]
    assert {n.status for n in staff_notices(wecom_app)} == {"sent"}


def test_wecom_failures_are_retried_and_unknown_members_dropped(wecom_app, fake_wechat):
    fake_wechat.failing = True
    fake_wechat.wecom_invalid_users.add("WangJun")
    new_ticket(wecom_app)
    assert {n.status for n in staff_notices(wecom_app)} == {"pending"}
    fake_wechat.failing = False
    with wecom_app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(StaffNotice).values(next_attempt_at=utcnow()))
    assert wecom_app.extensions["civicbot"].jobs.deliver_staff_notices() == {
        "sent": 1, "template_sent": 0, "waiting": 0, "dropped": 1, "retry": 0}
